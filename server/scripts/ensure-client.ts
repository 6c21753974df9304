// `npm start` runs this first (prestart): it builds the web client when client/dist is missing or
// older than the client's sources, so `npm install && npm start` serves a working product at /.
// Codegen runs first when client/gql (generated, git-ignored) is missing or stale.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const at = (...p: string[]) => join(root, ...p);

/** Newest modification time (ms) of a file or of every file under a folder; 0 when missing. */
export function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

const schemaAndCodegen = Math.max(newestMtime(at("client/schema.graphql")), newestMtime(at("codegen.ts")));
const sources = Math.max(
  newestMtime(at("client/src")),
  newestMtime(at("client/index.html")),
  newestMtime(at("client/vite.config.ts")),
  schemaAndCodegen,
);
const generated = newestMtime(at("client/gql/graphql.ts"));
const built = newestMtime(at("client/dist/index.html"));

if (built && built >= sources) {
  console.log("client: client/dist is up to date");
} else {
  const started = Date.now();
  try {
    if (!generated || generated < Math.max(schemaAndCodegen, newestMtime(at("client/src")))) {
      console.log("client: generating GraphQL types (codegen)…");
      const { generate } = await import("@graphql-codegen/cli");
      const { default: config } = await import("../../codegen.ts");
      await generate({ ...config, cwd: root, silent: true }, true);
    }
    console.log(built ? "client: sources changed, rebuilding…" : "client: building for the first time…");
    const { build } = await import("vite");
    await build({ configFile: at("client/vite.config.ts"), logLevel: "warn", mode: "production" });
    console.log(`client: built client/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (err) {
    if (built) {
      console.warn(`client: rebuild failed, serving the previous build: ${(err as Error).message}`);
    } else if ((err as { code?: string }).code === "ERR_MODULE_NOT_FOUND") {
      // A production install without devDependencies: the API still starts, without the web client.
      console.warn("client: vite or codegen is not installed (npm install --omit=dev?); serving the API only.");
    } else {
      console.error("client: build failed");
      throw err;
    }
  }
}
