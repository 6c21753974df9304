import { defineConfig } from "vitest/config";

// Every server test runs twice: on embedded PGlite and on a real PostgreSQL server; tests that
// need no database (test/unit) run once.
export default defineConfig({
  resolve: {
    // graphql 16 ships ESM and CJS; Vite would pick the ESM build while CommonJS dependencies
    // (Pothos, yoga's deps) load the CJS one, and two copies of graphql refuse to work together.
    alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }],
  },
  test: {
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { NODE_ENV: "test" },
    projects: [
      {
        extends: true,
        test: { name: "pglite", include: ["test/server/**/*.test.ts"], env: { TEST_DB: "pglite" } },
      },
      ...(process.env.TEST_SKIP_POSTGRES === "1"
        ? []
        : [
            {
              extends: true as const,
              test: { name: "postgres", include: ["test/server/**/*.test.ts"], env: { TEST_DB: "postgres" } },
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
        test: { name: "ops", include: ["test/ops/**/*.test.ts"] },
      },
      {
        extends: true,
        test: { name: "client", include: ["test/client/**/*.test.{ts,tsx}"], environment: "jsdom" },
      },
    ],
  },
});
