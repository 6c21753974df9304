// `npm start`'s entry: turns on V8's compile cache (in the OS's temporary folder) before the server's
// bundle and the packages it loads are compiled, so every start after the first reads their
// compiled code from disk instead of parsing and compiling ~100,000 lines again (bench:startup's
// "modules" phase). It has to come first: a module compiled before the cache is on is not cached.
import module from "node:module";

module.enableCompileCache?.();
await import("./generated/server.mjs");
