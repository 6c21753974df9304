import type { TestProject } from "vitest/node";
import { makePgliteTemplate } from "../../server/db/template.ts";
import { ensureWordVectors } from "../../server/services/word-vectors.ts";
import { claimPostgres, startAhead, stopUnclaimed } from "./prepare.ts";
import { startRedis } from "./services.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The migrated PostgreSQL each postgres test file clones its own database from. */
    databaseUrl: string | null;
    redisUrl: string | null;
    /** A migrated PGlite data directory, dumped, that each pglite test app starts from. */
    pgliteTemplate: string | null;
  }
}

/**
 * Set up per server project (test/vitest.config.ts names it only there): the postgres project
 * gets one PostgreSQL migrated once (each file clones it: test/support/file-database.ts), the
 * pglite project one migrated PGlite to clone; both a Redis. Projects without a database start
 * nothing. What a project needs is made side by side (see prepare.ts).
 */
export default async function setup(project: TestProject) {
  startAhead(project);
  const [database, redis] = await Promise.all([
    project.name === "postgres" ? claimPostgres() : makePgliteTemplate(),
    startRedis(),
    // Made once here, in a child process, rather than by the first test that embeds.
    ensureWordVectors({ current: true }),
  ]);
  const services = [typeof database === "string" ? null : database, redis].filter((s) => s !== null);
  project.provide("databaseUrl", typeof database === "string" ? null : database.url);
  project.provide("redisUrl", redis?.url ?? null);
  project.provide("pgliteTemplate", typeof database === "string" ? database : null);
  return async () => {
    for (const s of services.reverse()) await s.stop();
    await stopUnclaimed();
  };
}
