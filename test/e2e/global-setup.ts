// Once per e2e run, not once per file: `npm start`'s prestart (build the client if stale, make the
// migrated PGlite template) and one Chromium. Each file then starts the server alone
// (test/e2e/server.ts) and connects to the browser over its WebSocket (test/e2e/browser.ts), in
// its own browser contexts, so files share no cookies or storage.
import { spawnSync } from "node:child_process";
import { chromium } from "playwright-core";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's Chromium (playwright's browser server), for `chromium.connect`. */
    browserWsEndpoint: string;
  }
}

const root = new URL("../../", import.meta.url).pathname;

export default async function setup(project: TestProject) {
  const prestart = spawnSync("npm", ["run", "prestart"], { cwd: root, encoding: "utf8", stdio: "pipe" });
  if (prestart.status !== 0) throw new Error(`npm run prestart failed:\n${prestart.stdout}\n${prestart.stderr}`);
  const browser = await chromium.launchServer({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  project.provide("browserWsEndpoint", browser.wsEndpoint());
  return async () => {
    await browser.close();
  };
}
