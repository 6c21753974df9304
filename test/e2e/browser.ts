// The run's one Chromium (test/e2e/global-setup.ts): launching one per file cost a browser start
// each. Closing what this returns closes only the contexts and pages this file opened.
import { buffer } from "node:stream/consumers";
import { type Browser, chromium, type Download } from "playwright-core";
import { inject } from "vitest";

export function connectBrowser(): Promise<Browser> {
  return chromium.connect(inject("browserWsEndpoint"));
}

/** A download's bytes. Over a connected browser the file stays on its side: there is no path() to read. */
export async function downloaded(download: Download): Promise<Buffer> {
  const stream = await download.createReadStream();
  return buffer(stream);
}
