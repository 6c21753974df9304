// The repository's root, found once. Files that read what sits beside them in the repository
// (migrations, the client build, the risk model) go from here, not from their own URL: `npm start`
// runs the server bundled into one file (server/generated/server.mjs), where every module's
// import.meta.url is the bundle's, so paths relative to a module's own file would point elsewhere.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));
