// One migrated PGlite for the whole run: migrating an embedded database through the schema
// engine costs seconds of CPU, and the pglite project builds dozens of apps. The global setup
// makes one (the same kind `npm start` unpacks on a first start) and every test app starts from
// a copy (createTestApp); its migration check finds nothing to do.
import path from "node:path";
import { makePgliteTemplate } from "../../server/db/template.ts";

const root = path.resolve(import.meta.dirname, "../..");

/** The path of the migrated template, kept in node_modules/.cache until its inputs change. */
export function pgliteTemplate(): Promise<string> {
  return makePgliteTemplate(path.join(root, "node_modules/.cache/userplane-test"));
}
