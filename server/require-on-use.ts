// Packages that only some configurations or some requests need (Redis, S3, SMTP, PostgreSQL's
// driver, the common-password list) are required where they are first used instead of imported
// at start-up: every import is loaded and evaluated before the server can listen (bench:startup,
// STARTUP_TRACE's "modules" phase). Node requires ES modules synchronously too, so a call site
// that is not async need not become so.
import { createRequire } from "node:module";

export const requireOnUse = createRequire(import.meta.url);
