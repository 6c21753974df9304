// Once per e2e run, not once per file: `npm start`'s prestart (build the client if stale, make the
// migrated PGlite template) and one Chromium. Each file then starts the server alone
// (test/e2e/server.ts) and connects to the browser over its WebSocket (test/e2e/browser.ts), in
// its own browser contexts, so files share no cookies or storage.
import { chromium } from "playwright-core";
import type { TestProject } from "vitest/node";
import { productBuilt } from "../support/prepare.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's Chromium (playwright's browser server), for `chromium.connect`. */
    browserWsEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  const [built, launched] = await Promise.allSettled([
    productBuilt(),
    chromium.launchServer({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }),
  ]);
  if (built.status === "rejected") {
    if (launched.status === "fulfilled") await launched.value.close();
    throw new Error(`npm run prestart failed: ${(built.reason as Error).message}`);
  }
  if (launched.status === "rejected") throw launched.reason;
  const browser = launched.value;
  project.provide("browserWsEndpoint", browser.wsEndpoint());
  return async () => {
    await browser.close();
  };
}
