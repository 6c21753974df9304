// Every screen, on a phone (390 px) and a desk (1280 px): no sideways scrolling, no serious or
// critical axe violation, the saved dark theme before the first query answers, and a page reached
// while the server was down recovers by itself once it is back. Screenshots go to
// test-results/e2e-screens/.
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectBrowser, seriousAxeViolations } from "./browser.ts";
import { type Api, seedScreens } from "./seed.ts";
import { type RunningServer, startProduct } from "./server.ts";

const SHOTS = resolve("test-results/e2e-screens");
// The phone in the system's dark theme, the desk in light: every screen is checked in both. The
// phone opens each screen by its URL (a link from outside, a reload); the desk moves from screen to
// screen inside the app, as its links do, without loading the page again.
const WIDTHS = [
  [390, "dark", "by URL"],
  [1280, "light", "in the app"],
] as const;

let server: RunningServer;
let browser: Browser;
let token: string;
let gql: Api["gql"];
let runId: string;
/** A member of a tenant that requires two-factor sign-in, who has not set it up. */
let enrollingToken: string;
let conversationId: string;

async function newContext(
  width: number,
  signedIn: boolean | string = true,
  colorScheme: "light" | "dark" = "light",
): Promise<BrowserContext> {
  // bypassCSP: axe is injected as an inline script; the app's own CSP is checked in product.test.ts.
  const context = await browser.newContext({ viewport: { width, height: 860 }, colorScheme, bypassCSP: true });
  if (signedIn)
    await context.addInitScript(
      (t) => localStorage.setItem("userplane.token", t),
      typeof signedIn === "string" ? signedIn : token,
    );
  return context;
}

/** Goes to `path` as the app's own links do: a history entry, then the router's event. */
async function goInApp(page: Page, path: string) {
  await page.evaluate((to) => {
    window.history.pushState({ key: `e2e-${Date.now()}` }, "", to);
    window.dispatchEvent(new PopStateEvent("popstate"));
  }, path);
  // The screen that was there may still show its heading: wait for the router to have rendered.
  await page.waitForFunction(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
}

/** Waits until no spinner shows, so checks see the screen with its data. */
async function settled(page: Page) {
  await page.locator("main h1").first().waitFor();
  await expect.poll(() => page.locator(".spinner").count(), { timeout: 30_000 }).toBe(0);
}

async function overflow(page: Page) {
  return page.evaluate(() => ({
    scrollWidth: document.scrollingElement?.scrollWidth ?? 0,
    innerWidth: window.innerWidth,
  }));
}

beforeAll(async () => {
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  server = await startProduct();
  browser = await connectBrowser();
  ({ token, runId, conversationId, enrollingToken, gql } = await seedScreens(server.url));
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  console.log(`\nScreen checks' screenshots in ${SHOTS}`);
});

const SCREENS = [
  { path: "/signin", signedIn: false },
  { path: "/signup", signedIn: false },
  { path: "/analyses", signedIn: true },
  { path: "/analyses/:run", signedIn: true },
  { path: "/agents", signedIn: true },
  { path: "/memories", signedIn: true },
  { path: "/conversations", signedIn: true },
  { path: "/conversations/:conversation", signedIn: true },
  { path: "/usage", signedIn: true },
  { path: "/profile", signedIn: true },
  { path: "/files", signedIn: true },
  { path: "/security", signedIn: true },
  { path: "/access-log", signedIn: true },
  { path: "/notifications", signedIn: true },
  { path: "/admin", signedIn: true },
  ...["invites", "catalogue", "sessions", "quotas", "limits", "retention", "webhooks", "audit", "sign-in"].map((k) => ({
    path: `/admin?section=${k}`,
    signedIn: true,
  })),
  // Any path shows only the set-up screen to a member who must enrol.
  { path: "/analyses", signedIn: true, enrolling: true },
];

describe("every screen, on a phone and a desk", () => {
  for (const [width, scheme, how] of WIDTHS) {
    it(`at ${width} px, ${scheme}, ${how}: no sideways scrolling, no serious axe violation`, async () => {
      const context = await newContext(width, true, scheme);
      const page = await context.newPage();
      const problems: string[] = [];
      let loaded = false;
      for (const s of SCREENS) {
        const path = s.path.replace(":run", runId).replace(":conversation", encodeURIComponent(conversationId));
        const own = !s.signedIn || "enrolling" in s;
        const p = own
          ? await (await newContext(width, "enrolling" in s ? enrollingToken : false, scheme)).newPage()
          : page;
        if (how === "in the app" && p === page && loaded) await goInApp(p, path);
        else await p.goto(`${server.url}${path}`);
        loaded ||= p === page;
        await settled(p);
        const name = `${width}-${scheme}-${"enrolling" in s ? "enrolling" : ""}${s.path.replace(/[/:?=]/g, "_")}`;
        await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
        const o = await overflow(p);
        if (o.scrollWidth > o.innerWidth) problems.push(`${path}: ${o.scrollWidth} px wide in ${o.innerWidth} px`);
        for (const v of await seriousAxeViolations(p)) problems.push(`${path}: ${v}`);
        if (own) await p.context().close();
      }
      await context.close();
      expect(problems.join("\n")).toBe("");
      // Twenty screens, each settled, screenshotted and checked by axe: minutes on a shared, loaded machine.
    }, 900_000);
  }

  it("the phone's navigation is one row until opened", async () => {
    const context = await newContext(390);
    const page = await context.newPage();
    await page.goto(`${server.url}/usage`);
    await settled(page);
    const nav = page.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link", { name: "Security" }).isVisible()).toBe(false);
    await page.getByRole("button", { name: "Menu" }).click();
    await nav.getByRole("link", { name: "Security" }).click();
    await page.getByRole("heading", { name: "Security", exact: true }).waitFor();
    // Choosing a screen closes the menu again.
    expect(await nav.getByRole("link", { name: "Usage & quotas" }).isVisible()).toBe(false);
    await context.close();
  });
});

describe("conversations", () => {
  it("starts one, sends a message, and shows an agent's reply live without a reload", async () => {
    const context = await newContext(390, true, "dark");
    const page = await context.newPage();
    await page.goto(`${server.url}/conversations`);
    await settled(page);
    await page.getByRole("list", { name: "Conversations" }).getByText("Sources on COBOL").waitFor();
    await page.getByLabel("Title (optional)").fill("Compilers");
    await page.getByRole("button", { name: "Start" }).click();
    await page.getByRole("heading", { name: "Compilers" }).waitFor();
    await page.getByRole("textbox", { name: "Message" }).fill("Who wrote the first compiler?");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    const thread = page.getByRole("list", { name: "Messages" });
    await thread.getByText("Who wrote the first compiler?").waitFor();
    const id = decodeURIComponent(new URL(page.url()).pathname.split("/").pop() as string);
    // An agent backend's reply, posted outside the browser, arrives through the live thread.
    await gql(
      `mutation($c: ID!) { postMessage(conversationId: $c, role: assistant, content: "A-0, in 1952.", tokens: 12, model: "m") { id } }`,
      { c: id },
    );
    await thread.getByText("A-0, in 1952.").waitFor();
    await page.screenshot({ path: join(SHOTS, "conversation-live.png"), fullPage: true });
    await context.close();
  });
});

describe("history", () => {
  it("Back returns to where the list was scrolled, and filters are in the URL", async () => {
    const context = await newContext(390);
    const page = await context.newPage();
    await page.goto(`${server.url}/analyses`);
    await settled(page);
    const link = page.locator(`a[href="/analyses/${runId}"]`).first();
    await link.scrollIntoViewIfNeeded();
    const before = await page.evaluate(() => window.scrollY);
    expect(before).toBeGreaterThan(200);
    await link.click();
    await page.getByRole("img", { name: /Overall grade/ }).waitFor();
    expect(await page.evaluate(() => window.scrollY)).toBeLessThan(50);
    await page.goBack();
    await link.waitFor();
    await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(before - 40);

    await page.goto(`${server.url}/memories`);
    await settled(page);
    await page.getByRole("heading", { name: "All memories" }).locator("..").getByLabel("Type").selectOption("fact");
    await page.waitForURL(/type=fact/);
    await page.reload();
    await settled(page);
    expect(
      await page.getByRole("heading", { name: "All memories" }).locator("..").getByLabel("Type").inputValue(),
    ).toBe("fact");
    await page.getByRole("button", { name: "Search all types" }).waitFor();
    await context.close();
  });
});

describe("destructive actions", () => {
  it("a deleted memory comes back with Undo; revoking a key asks first in the app's own dialog", async () => {
    const context = await newContext(1280);
    const page = await context.newPage();
    await page.goto(`${server.url}/memories`);
    await settled(page);
    const list = page.getByRole("list", { name: "Memories" });
    await list.getByText("home_city").waitFor();
    await page.getByRole("button", { name: "Delete home_city" }).click();
    await page.getByText('Memory "home_city" deleted.').waitFor();
    await expect.poll(() => list.getByText("home_city").count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, "toast-undo.png") });
    // Toasts: at the bottom of a desk's screen, at the top of a phone's (where they cover no control).
    const toastY = async () => (await page.locator("[data-sonner-toast]").first().boundingBox())?.y ?? Number.NaN;
    expect(await toastY()).toBeGreaterThan(860 / 2);
    await page.setViewportSize({ width: 390, height: 860 });
    await expect.poll(toastY).toBeLessThan(860 / 2);
    await page.getByRole("button", { name: "Undo" }).click();
    await page.getByText('Memory "home_city" restored.').waitFor();
    await list.getByText("home_city").waitFor();
    await page.setViewportSize({ width: 1280, height: 860 });

    await gql(`mutation { createApiKey(name: "ci", scopes: [READ_PROFILE]) { secret } }`);
    await page.goto(`${server.url}/security`);
    await settled(page);
    await page.getByRole("button", { name: "Revoke key ci" }).click();
    const dialog = page.getByRole("alertdialog", { name: 'Revoke the key "ci"?' });
    await dialog.waitFor();
    await page.screenshot({ path: join(SHOTS, "confirm-dialog.png") });
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expect(await page.getByRole("button", { name: "Revoke key ci" }).isVisible()).toBe(true);
    await context.close();
  });
});

describe("dark theme", () => {
  it("a saved dark theme is on the page before any query answers, signed in or not", async () => {
    await gql(`mutation { updateProfile(input: { preferences: { theme: "dark" } }) { id } }`);
    const context = await newContext(1280);
    const page = await context.newPage();
    // First visit: the preferences arrive and the theme is remembered for the next load.
    await page.goto(`${server.url}/analyses`);
    await settled(page);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");

    // Hold every GraphQL request: what shows now comes from before the first answer.
    const held: (() => Promise<void>)[] = [];
    await page.route("**/graphql", (route) => {
      held.push(() => route.continue());
    });
    for (const path of ["/memories", "/signin"]) {
      if (path === "/signin") await page.evaluate(() => localStorage.removeItem("userplane.token"));
      await page.goto(`${server.url}${path}`, { waitUntil: "load" });
      const look = await page.evaluate(() => ({
        theme: document.documentElement.dataset.theme,
        background: getComputedStyle(document.documentElement).backgroundColor,
      }));
      expect(look.theme, path).toBe("dark");
      expect(look.background, path).toBe("rgb(18, 21, 27)");
      await page.screenshot({ path: join(SHOTS, `dark-first-paint${path.replace("/", "-")}.png`) });
    }
    expect(held.length).toBeGreaterThan(0);
    await page.unroute("**/graphql");
    for (const go of held) await go().catch(() => {});
    await context.close();
  });
});

describe("an outage", () => {
  it("a run page reached while the server is down shows its content once the server is back, without a reload", async () => {
    const context = await newContext(1280);
    const page = await context.newPage();
    await page.goto(`${server.url}/analyses`);
    await settled(page);
    const link = page.locator(`a[href="/analyses/${runId}"]`).first();
    await link.waitFor();

    await server.stop({ keepData: true });
    await link.click();
    await page.getByText("Can't reach the server", { exact: false }).first().waitFor();
    await page.screenshot({ path: join(SHOTS, "outage-down.png"), fullPage: true });

    server = await startProduct({}, 240_000, { port: server.port, dataDir: server.dataDir });
    const grade = page.getByRole("img", { name: /Overall grade [A-F]/ });
    await grade.waitFor({ timeout: 60_000 });
    expect(await page.getByText("Can't reach the server", { exact: false }).count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, "outage-recovered.png"), fullPage: true });
    await context.close();
  });
});
