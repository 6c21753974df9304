import { defineConfig } from "vitest/config";
import { ProjectOrderSequencer } from "./support/sequencer.ts";

// The whole suite in one run: the server tests whose outcome can depend on the engine (test/server:
// concurrency, the job queue, migrations) twice, on embedded PGlite and on a real PostgreSQL
// server; the API's rules, which run the same SQL through the same code on both (test/api:
// authorization, doors, validation, live queries), once, on PostgreSQL, or
// on PGlite when PostgreSQL is skipped; tests that need no database (test/unit, test/ops) and the
// client's component tests once;
// the browser tests (test/e2e) beside them. PGlite apps start from one migrated copy (see
// test/support/pglite-template.ts).
const skipPostgres = process.env.TEST_SKIP_POSTGRES === "1";

export default defineConfig({
  resolve: {
    // graphql 16 ships ESM and CJS; Vite would pick the ESM build while CommonJS dependencies
    // (Pothos, yoga's deps) load the CJS one, and two copies of graphql refuse to work together.
    alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }],
  },
  test: {
    // Vitest's default on 2 cores is one worker (cores - 1), so test files ran one after another
    // while a file waited on PostgreSQL, a spawned server or SMTP with a core idle. The browser
    // tests wait the most (on Chromium and their own server, in other processes): with them in the
    // same run, a third worker keeps both cores busy. VITEST_MAX_WORKERS overrides it.
    maxWorkers: 3,
    sequence: { sequencer: ProjectOrderSequencer },
    // A worker runs file after file in one process without re-importing: each server file
    // otherwise paid seconds of CPU to load the server (Prisma, Pothos, PGlite's wasm) again.
    // Files share nothing but those modules: each builds its own app and tenants, and state that
    // lives at module level (caches, the PGlite template) is safe to reuse. jsdom's client
    // tests keep their own process per file (see the client project).
    isolate: false,
    testTimeout: 60_000,
    // A poll waits for an outcome, not a deadline: expect.poll's default of one second failed tests
    // on a loaded machine. The test's own timeout bounds it (vi.waitFor takes its timeout per call).
    expect: { poll: { timeout: 60_000 } },
    hookTimeout: 120_000,
    env: { NODE_ENV: "test" },
    projects: [
      {
        extends: true,
        test: {
          name: "pglite",
          include: ["test/server/**/*.test.ts", ...(skipPostgres ? ["test/api/**/*.test.ts"] : [])],
          env: { TEST_DB: "pglite" },
          // Per server project, not at the root: a run of the client or unit tests starts no database.
          globalSetup: ["test/support/global-setup.ts"],
        },
      },
      ...(skipPostgres
        ? []
        : [
            {
              extends: true as const,
              test: {
                name: "postgres",
                include: ["test/server/**/*.test.ts", "test/api/**/*.test.ts"],
                env: { TEST_DB: "postgres" },
                globalSetup: ["test/support/global-setup.ts"],
                // Each file gets its own database cloned from the migrated one, so files run side
                // by side and a pass over a whole database (clean-up, retention) sees one file's rows.
                setupFiles: ["test/support/file-database.ts"],
              },
            },
          ]),
      {
        extends: true,
        // Server code that needs no database runs once, not once per database.
        test: { name: "unit", include: ["test/unit/**/*.test.ts"] },
      },
      {
        extends: true,
        // No database: the static client's headers, the lock file, the Dockerfile and compose file.
        // The client is built once for the run, here and for the browser tests alike.
        test: { name: "ops", include: ["test/ops/**/*.test.ts"], globalSetup: ["test/ops/global-setup.ts"] },
      },
      {
        extends: true,
        test: {
          name: "client",
          include: ["test/client/**/*.test.{ts,tsx}"],
          environment: "jsdom",
          // Screens render into one document and mock the WebSocket per file.
          isolate: true,
        },
      },
      {
        extends: true,
        test: {
          // The product in Debian's Chromium, started as `npm start` starts it.
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          // `npm start`'s prestart and one Chromium, once for every file; each file starts its own
          // server and data folder and works in its own browser contexts.
          globalSetup: ["test/e2e/global-setup.ts"],
          testTimeout: 240_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
