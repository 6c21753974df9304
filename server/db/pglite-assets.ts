// PGlite's WebAssembly (8.7 MB), compiled once per process and as early as the start-up asks for
// it. Left to PGlite.create, the compilation starts only after the server's modules have loaded,
// and the server then waits ~40 ms for it. Started before those modules, it runs on V8's
// background threads while they load; PGlite.create takes the result (its pgliteWasmModule option).
import { readFileSync } from "node:fs";
import path from "node:path";
import { requireOnUse } from "../require-on-use.ts";

let compiled: Promise<WebAssembly.Module> | undefined;

/**
 * The compiled module; the first call starts the compilation. The file is read synchronously on
 * purpose (a few ms from the page cache): an asynchronous read would go on only once the caller's
 * synchronous work (loading modules) lets the event loop run, and so would the compilation.
 */
export function pgliteWasmModule(): Promise<WebAssembly.Module> {
  if (!compiled) {
    try {
      // The package's entry point sits in dist/, beside the file PGlite itself would read.
      const dist = path.dirname(requireOnUse.resolve("@electric-sql/pglite"));
      compiled = WebAssembly.compile(readFileSync(path.join(dist, "pglite.wasm")));
    } catch (err) {
      compiled = Promise.reject(err);
    }
    // Node does not count V8's compilation as pending work: awaited with nothing else pending, it
    // can end the process instead (exit code 13, "unsettled top-level await"; seen with
    // --no-wasm-lazy-compilation, whose compilation takes longer).
    const keepAlive = setInterval(() => {}, 60_000);
    // Whoever awaits it sees a failure; a start that fails before then must not end on an
    // unhandled rejection instead of its own error.
    compiled.catch(() => {}).finally(() => clearInterval(keepAlive));
  }
  return compiled;
}
