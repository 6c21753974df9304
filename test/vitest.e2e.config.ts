import { defineConfig } from "vitest/config";

// Browser end-to-end test: starts the product as `npm start` does and drives Debian's Chromium.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    // `npm start`'s prestart and one Chromium, once for every file.
    globalSetup: ["test/e2e/global-setup.ts"],
    testTimeout: 240_000,
    hookTimeout: 300_000,
    // Two files at a time, each with its own server and data folder, in its own contexts of the
    // one Chromium: a file spends most of its time waiting on the browser or its server, so one
    // at a time left a core idle.
    maxWorkers: 2,
    reporters: ["verbose"],
  },
});
