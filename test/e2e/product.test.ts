// The product in a browser: sign up, memories, import, a live analysis, sign out and back in.
// Screenshots of every step go to test-results/e2e/ (printed at the end, kept by CI).
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectBrowser } from "./browser.ts";
import { type RunningServer, startProduct } from "./server.ts";

const SHOTS = resolve("test-results/e2e");

let server: RunningServer;
let browser: Browser;
let page: Page;
let step = 0;
const consoleErrors: string[] = [];
const cspViolations: string[] = [];
/** graphql-ws messages carrying analysisProgress, counted from the page's WebSockets. */
let progressFrames = 0;

async function shot(name: string) {
  step++;
  await page.screenshot({ path: join(SHOTS, `${String(step).padStart(2, "0")}-${name}.png`), fullPage: true });
}

const email = `ada.${Date.now()}@example.com`;
const password = "correct horse battery staple";

// Posts to analyse: mostly harmless, a few the lexicon flags. 40 items in batches of 5 with a
// pause between batches, so the progress bar has many steps to show.
const posts = Array.from({ length: 40 }, (_, i) => {
  if (i === 7) return "Honestly I overstayed my visa last year and nobody noticed.";
  if (i === 19) return "Got so wasted at the party, total blackout, what a hangover.";
  if (i === 31) return "Bought some weed from my dealer before the concert.";
  return `Post ${i + 1}: a walk by the river, coffee with friends and a good book about gardening.`;
}).join("\n\n");

beforeAll(async () => {
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  server = await startProduct({ ANALYSIS_BATCH_SIZE: "5", ANALYSIS_STEP_DELAY_MS: "300" });
  browser = await connectBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // The app must run under the Content-Security-Policy it is served with: any violation fails.
  cspViolations.length = 0;
  await page.exposeFunction("reportCspViolation", (v: string) => cspViolations.push(v));
  await page.addInitScript({
    content: `document.addEventListener("securitypolicyviolation", (e) =>
      window.reportCspViolation(e.effectiveDirective + " blocked " + (e.blockedURI || "inline")));`,
  });
  page.on("pageerror", (e) => consoleErrors.push(e.message));
  page.on("websocket", (ws) =>
    ws.on("framereceived", (f) => {
      if (typeof f.payload === "string" && f.payload.includes('"analysisProgress"')) progressFrames++;
    }),
  );
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (readdirSync(SHOTS).length) {
    console.log(
      `\nE2E screenshots in ${SHOTS}:\n${readdirSync(SHOTS)
        .map((f) => `  ${join(SHOTS, f)}`)
        .join("\n")}`,
    );
  }
});

describe("Userplane in a browser", () => {
  it("signs up", async () => {
    await page.goto(`${server.url}/memories`);
    await page.getByRole("heading", { name: "Sign in to Userplane" }).waitFor();
    expect(new URL(page.url()).searchParams.get("next")).toBe("/memories");
    await shot("sign-in");
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByLabel("Your name").fill("Ada Lovelace");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByLabel("Tenant name (optional)").fill("Analytical Engines");
    await shot("sign-up");
    await page.getByRole("button", { name: "Create account" }).click();
    // Back where the visitor first wanted to go.
    await page.getByRole("heading", { name: "Memories", exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/memories");
    await expect(page.getByText("Analytical Engines")).toBeTruthy();
  });

  it("adds a memory and finds it by searching", async () => {
    const add = page.getByRole("form", { name: "Add a memory" });
    const addMemory = async (type: string, key: string, content: string) => {
      await add.getByLabel("Type").selectOption(type);
      await add.getByLabel("Key").fill(key);
      await add.getByLabel("Content").fill(content);
      await add.getByRole("button", { name: "Add memory" }).click();
      // The first memory loads the embedding model on the server: on a busy shared machine that
      // took longer than the default 30 s here.
      await page.getByText(`Memory "${key}" saved.`).waitFor({ timeout: 120_000 });
    };
    await addMemory("preference", "favourite_language", "I love writing programs in the Rust programming language");
    await addMemory("fact", "home_city", "I live in Oslo with my two cats");
    await page.getByRole("list", { name: "Memories" }).getByText("home_city").waitFor();
    await shot("memories-added");

    await page.getByLabel("Search memories").fill("which programming language do I like?");
    await page.getByRole("button", { name: "Search" }).click();
    const results = page.getByRole("list", { name: "Search results" });
    await results.waitFor();
    const first = results.getByRole("listitem").first();
    await expect.poll(() => first.textContent()).toContain("favourite_language");
    expect(await first.textContent()).toMatch(/match \d+%/);
    await shot("memory-search");
  });

  it("imports content", async () => {
    await page.getByRole("link", { name: "Analyses" }).click();
    await page.getByRole("heading", { name: "Analyses", exact: true }).waitFor();
    const form = page.getByRole("form", { name: "1. Import content" });
    await form.getByLabel("Source").selectOption("text");
    await form.getByLabel("Posts or texts").fill(posts);
    await form.getByText("40 items ready").waitFor();
    await form.getByRole("button", { name: "Import" }).click();
    await form.getByText("Imported 40 items.").waitFor();
    await shot("content-imported");
  });

  it("starts an analysis and watches live progress reach 100% through the subscription", async () => {
    // Count what travels: progress must arrive over the WebSocket, not by polling over HTTP.
    progressFrames = 0;
    const runQueries: string[] = [];
    page.on("request", (r) => {
      const body = r.postData() ?? "";
      if (r.url().endsWith("/graphql") && body.includes("AnalysisRunDetail")) runQueries.push(body);
    });

    // Every percent the bar shows is recorded in the page as React commits it, so what is seen
    // does not depend on how often this process, on a loaded machine, gets to look.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { percentsSeen: number[] }).percentsSeen = seen;
      new MutationObserver(() => {
        const bar = document.querySelector<HTMLElement>('[data-testid="analysis-progress"]');
        const percent = bar ? Number(bar.dataset.percent) : Number.NaN;
        if (bar && seen.at(-1) !== percent) seen.push(percent);
      }).observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ["data-percent"],
      });
    });
    await page.getByRole("button", { name: "Start analysis" }).click();
    await page.waitForURL(/\/analyses\/.+/);
    const bar = page.getByTestId("analysis-progress");
    await bar.waitFor();

    // A picture of the run half-way, for people reading the screenshots (best effort: on a loaded
    // machine the run may finish between two looks).
    const deadline = Date.now() + 120_000;
    let shotTaken = false;
    while (Date.now() < deadline && (await bar.getAttribute("data-status")) !== "complete") {
      const percent = Number(await bar.getAttribute("data-percent"));
      if (!shotTaken && percent > 10 && percent < 90) {
        await shot("analysis-progress");
        shotTaken = true;
      }
      await page.waitForTimeout(40);
    }
    const seen = await page.evaluate(() => (window as unknown as { percentsSeen: number[] }).percentsSeen);
    expect(seen.at(-1)).toBe(100);
    // It moved through several intermediate values, never backwards.
    expect(seen.filter((p) => p > 0 && p < 100).length).toBeGreaterThanOrEqual(3);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(progressFrames).toBeGreaterThanOrEqual(4);
    // One load of the run, and one refetch of the results when the last event arrived: no polling.
    expect(runQueries.length).toBeLessThanOrEqual(2);
    await shot("analysis-complete");
  });

  it("shows the grade, per-source results and flagged items with reasons", async () => {
    const results = page.getByRole("region", { name: /Results/ });
    await results.waitFor();
    const overall = results.getByRole("img", { name: /Overall grade [A-F]/ });
    await overall.waitFor();
    expect(await overall.textContent()).toMatch(/^[A-F]$/);
    await results.getByRole("img", { name: /Texts grade [A-F]/ }).waitFor();
    await results.getByText(/Flagged items \(\d+\)/).click();
    await results.getByText("overstayed", { exact: false }).first().waitFor();
    await shot("analysis-grade");
  });

  it("after signing out and back in, the result is still there", async () => {
    const runUrl = page.url();
    const grade = await page.getByRole("img", { name: /Overall grade/ }).textContent();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to Userplane" }).waitFor();
    await shot("signed-out");
    // The old page asks to sign in again.
    await page.goto(runUrl);
    await page.getByRole("heading", { name: "Sign in to Userplane" }).waitFor();
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(runUrl);
    const again = page.getByRole("img", { name: /Overall grade/ });
    await again.waitFor();
    expect(await again.textContent()).toBe(grade);
    await page.getByRole("link", { name: "← All analyses" }).click();
    const history = page.getByRole("table").filter({ hasText: "Grade" });
    await history.getByText("Complete").waitFor();
    await shot("history-after-sign-in");
  });

  it("shows the analysis's token usage on the usage screen", async () => {
    await page.getByRole("link", { name: "Usage & quotas" }).click();
    await page.getByRole("figure", { name: "Tokens by month" }).waitFor();
    await page.getByRole("figure", { name: "Cost by model (USD)" }).waitFor();
    // The daily chart's drawing loads on first show (its own chunk, under the page's CSP).
    await page
      .getByRole("figure", { name: /^Tokens and API calls/ })
      .locator("svg")
      .first()
      .waitFor();
    await shot("usage");
    expect(consoleErrors).toEqual([]);
  });

  it("ran every screen under its Content-Security-Policy without a violation", async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(cspViolations).toEqual([]);
  });
});
