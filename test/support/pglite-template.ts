// One migrated PGlite for the whole run: migrating an embedded database through the schema
// engine costs seconds of CPU, and the pglite project builds dozens of apps. The global setup
// makes one, the very template `npm start` unpacks on a first start (server/db/template.ts, made
// once for the test apps and the browser tests' prestart alike), and every test app starts from a
// copy (createTestApp); its migration check finds nothing to do.
import { readFile } from "node:fs/promises";

/**
 * What every test app's configuration starts from (test/kit.ts's testConfig; bench:test-app, which
 * builds apps outside vitest, the same way).
 */
export const TEST_APP_ENV = {
  NODE_ENV: "test",
  LOG_LEVEL: "silent",
  PORT: "0",
  HOST: "127.0.0.1",
  SERVE_CLIENT: "false",
  // A test app's few rows need few buffers, and PGlite clears them all on every open.
  PGLITE_SHARED_BUFFERS_MB: "8",
} as const;

/**
 * The tarball as the Blob PGlite loads a data directory from. PGlite reads it with arrayBuffer(),
 * which on a Node Blob copies the bytes out chunk by chunk: a quarter of the CPU of opening a test
 * app's database (1.36 → 1.0 s, medians of 6 interleaved opens). This one hands over a copy of the
 * bytes at once.
 */
class TarballBlob extends Blob {
  constructor(private readonly tarball: Uint8Array) {
    super([], { type: "application/x-tar" });
  }
  override async arrayBuffer(): Promise<ArrayBuffer> {
    return this.tarball.slice().buffer as ArrayBuffer;
  }
}

/** The migrated template at `file`, as test apps open it (BuildOptions.pgliteTemplate). */
export async function templateBlob(file: string): Promise<Blob> {
  return new TarballBlob(await readFile(file));
}
