// `npm run build` and `npm start`'s prestart run this: it makes the migrated PGlite template a
// first start on an empty DATA_DIR unpacks (server/db/template.ts), unless the current one exists.
import { existsSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { makePgliteTemplate, TEMPLATE_DIR, templatePath } from "../db/template.ts";

if (process.env.DATABASE_URL) {
  // PostgreSQL mode never uses it.
} else if (existsSync(templatePath())) {
  console.log("database: the migrated template is up to date");
} else {
  const started = Date.now();
  console.log("database: making the migrated template for first starts…");
  const file = await makePgliteTemplate();
  console.log(`database: made ${file} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  // Templates of older migrations are 40 MB each and never read again.
  for (const old of readdirSync(TEMPLATE_DIR).filter((f) => /^pglite-\w+\.tar$/.test(f))) {
    if (old !== path.basename(file)) rmSync(path.join(TEMPLATE_DIR, old));
  }
}
