// The run's one Chromium (test/e2e/global-setup.ts): launching one per file cost a browser start
// each. Closing what this returns closes only the contexts and pages this file opened.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { buffer } from "node:stream/consumers";
import { type Browser, chromium, type Download, type Page } from "playwright-core";
import { expect, inject } from "vitest";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
/**
 * Rules whose violations are minor or moderate, switched off: axe gives a rule with a declared
 * impact that impact on every violation, and only serious and critical ones are reported, so
 * running them changed no result and cost a large share of axe's time (`region` walks the page).
 */
const LOW_IMPACT_RULES = Object.fromEntries(
  (require("axe-core") as { _audit: { rules: { id: string; impact?: string }[] } })._audit.rules
    .filter((r) => r.impact === "minor" || r.impact === "moderate")
    .map((r) => [r.id, { enabled: false }]),
);

let axeScript: Promise<string> | undefined;
/**
 * axe's URL on a server of this file's own, cached for a year: a page loaded again in the same
 * context takes it from Chromium's cache, compiled. As an inline script it was parsed and compiled
 * on every page a test loaded (about 100–200 ms each; the phone's screen pass loads 25).
 */
function axeScriptUrl(): Promise<string> {
  axeScript ??= new Promise((resolve, reject) => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/javascript", "cache-control": "public, max-age=31536000, immutable" });
      res.end(AXE);
    });
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/axe.min.js`),
    );
  });
  return axeScript;
}

export function connectBrowser(): Promise<Browser> {
  return chromium.connect(inject("browserWsEndpoint"));
}

/** A download's bytes. Over a connected browser the file stays on its side: there is no path() to read. */
export async function downloaded(download: Download): Promise<Buffer> {
  const stream = await download.createReadStream();
  return buffer(stream);
}

/**
 * The page's serious and critical axe violations, each as "rule (impact): first targets". Contexts
 * that check need `bypassCSP: true` (axe comes from another origin; the app's own CSP is checked in
 * product.test.ts). Only violations are gathered: axe otherwise builds a result for every rule
 * that passed or did not apply, most of its time on a large page.
 */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  // Once per loaded page: a page the test moved through inside the app has it already.
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ url: await axeScriptUrl() });
  const violations = await page.evaluate(async (rules) => {
    type AxeViolation = { id: string; impact: string; nodes: { target: string[] }[] };
    type Axe = { run(options: object): Promise<{ violations: AxeViolation[] }> };
    const axe = (window as unknown as { axe: Axe }).axe;
    const r = await axe.run({ resultTypes: ["violations"], rules });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(" ")) }));
  }, LOW_IMPACT_RULES);
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.targets.slice(0, 3).join(", ")}`);
}

/**
 * Waits until no toast shows. A toast under the pointer stays (sonner pauses it on hover), and on a
 * phone one spans the top of the screen over whatever is there, so the pointer leaves it first.
 */
export async function toastsGone(page: Page): Promise<void> {
  await page.mouse.move(0, 0);
  await expect.poll(() => page.locator("[data-sonner-toast]").count()).toBe(0);
}
