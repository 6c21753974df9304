// Live screens in a browser: two browser contexts, two admins of one tenant, each watching a screen
// the other (or an API client) changes; the change shows without a reload or a click.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectBrowser } from "./browser.ts";
import { type RunningServer, startProduct } from "./server.ts";

const password = "correct horse battery staple";
const stamp = Date.now();
const ada = { email: `ada.${stamp}@example.com`, name: "Ada Admin" };
const bob = { email: `bob.${stamp}@example.com`, name: "Bob Admin" };

let server: RunningServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let adaPage: Page;
let bobPage: Page;
const pageErrors: string[] = [];

async function gql<T = Record<string, unknown>>(query: string, variables: Record<string, unknown>, token?: string) {
  const r = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "curl/8.5.0",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await r.json()) as { data?: T; errors?: unknown[] };
  if (body.errors) throw new Error(`${query.slice(0, 40)}: ${JSON.stringify(body.errors)}`);
  return body.data as T;
}

const signUp = `mutation ($email: String!, $password: String!, $displayName: String!, $tenantName: String, $inviteToken: String) {
  signUp(email: $email, password: $password, displayName: $displayName, tenantName: $tenantName, inviteToken: $inviteToken) { token }
}`;

/** A browser context signed in with `token`, its page opened at `path`, marked to catch a reload. */
async function openAs(token: string, path: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 850 } });
  contexts.push(context);
  await context.addInitScript({ content: `localStorage.setItem("userplane.token", ${JSON.stringify(token)});` });
  const page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(`${server.url}${path}`);
  await page.getByRole("navigation", { name: "Main" }).waitFor();
  await page.evaluate(() => {
    (window as unknown as { notReloaded: boolean }).notReloaded = true;
  });
  return page;
}

const notReloaded = (page: Page) => page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded);

let adaToken: string;
let otherSessionToken: string;

beforeAll(async () => {
  server = await startProduct({ ANALYSIS_BATCH_SIZE: "5", ANALYSIS_STEP_DELAY_MS: "200" });
  browser = await connectBrowser();
  adaToken = (
    await gql<{ signUp: { token: string } }>(signUp, { ...ada, displayName: ada.name, password, tenantName: "Live Co" })
  ).signUp.token;
  const invite = await gql<{ createInvite: { token: string } }>(
    "mutation ($email: String) { createInvite(email: $email, role: admin) { token } }",
    { email: bob.email },
    adaToken,
  );
  const bobToken = (
    await gql<{ signUp: { token: string } }>(signUp, {
      ...bob,
      displayName: bob.name,
      password,
      inviteToken: invite.createInvite.token,
    })
  ).signUp.token;
  // Ada on another device: a second session, the one she revokes.
  otherSessionToken = (
    await gql<{ signIn: { token: string } }>(
      "mutation ($email: String!, $password: String!) { signIn(email: $email, password: $password) { token } }",
      { email: ada.email, password },
    )
  ).signIn.token;
  await gql(
    "mutation { setQuota(quotaType: tokens, quotaLimit: 1000000, period: month, alertThresholdPercentage: 80) { id } }",
    {},
    adaToken,
  );
  adaPage = await openAs(adaToken, "/security");
  bobPage = await openAs(bobToken, "/admin?section=sessions");
}, 300_000);

afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  await server?.stop();
});

describe("live screens across two browsers", () => {
  it("a session revoked in one browser disappears from the other admin's sessions screen", async () => {
    const bobSessions = bobPage.getByRole("region", { name: "Sessions" });
    const adaRows = bobSessions.getByRole("row").filter({ hasText: ada.name });
    await expect.poll(() => adaRows.count(), { timeout: 30_000 }).toBe(2);

    const own = adaPage.getByRole("region", { name: "Sessions" });
    await own.getByRole("row").nth(2).waitFor();
    // The only session Ada may revoke here is the other device's (the current one has no button).
    await own.getByRole("button", { name: /revoke session/i }).click();
    await adaPage.getByRole("alertdialog").getByRole("button", { name: "Revoke session" }).click();
    await expect.poll(() => own.getByRole("row").count(), { timeout: 30_000 }).toBe(2);

    await expect.poll(() => adaRows.count(), { timeout: 30_000 }).toBe(1);
    expect(await notReloaded(bobPage)).toBe(true);
    // The revoked token is refused.
    await expect(gql("{ me { id } }", {}, otherSessionToken).then((d) => d.me)).resolves.toBeNull();
  });

  it("an invite one admin creates appears on the other admin's screen", async () => {
    await bobPage.getByRole("navigation", { name: "Admin sections" }).getByRole("link", { name: "Invites" }).click();
    const bobInvites = bobPage.getByRole("region", { name: "Invites" });
    await bobInvites.waitFor();
    const newcomer = `grace.${stamp}@example.com`;
    expect(await bobInvites.getByText(newcomer).count()).toBe(0);

    await adaPage.getByRole("link", { name: "Admin" }).click();
    await adaPage.getByRole("navigation", { name: "Admin sections" }).getByRole("link", { name: "Invites" }).click();
    const form = adaPage.getByRole("form", { name: "Create an invite" });
    await form.getByLabel("Email (optional)").fill(newcomer);
    await form.getByRole("button", { name: /invite/i }).click();

    await bobInvites.getByText(newcomer).waitFor({ timeout: 30_000 });
    expect(await notReloaded(bobPage)).toBe(true);
  });

  it("the tenant's token usage rises on the other admin's usage screen while an analysis runs", async () => {
    await bobPage.getByRole("link", { name: "Usage & quotas" }).click();
    const detail = bobPage.getByText(/ of 1[,.\s]?000[,.\s]?000/);
    await detail.waitFor();
    const used = async () => Number(((await detail.textContent()) ?? "").split(" of ")[0]?.replace(/[^\d.]/g, ""));
    expect(await used()).toBe(0);

    // Ada's analysis, started by an API client (any client of the same tenant would do).
    const items = Array.from({ length: 20 }, (_, i) => ({
      text: `Post ${i}: gardening by the river, coffee and a book.`,
    }));
    await gql(
      "mutation ($items: [ContentItemInput!]!) { importContent(source: text, items: $items) { imported } }",
      { items },
      adaToken,
    );
    await gql("mutation { startAnalysis { id } }", {}, adaToken);

    await expect.poll(used, { timeout: 120_000, interval: 250 }).toBeGreaterThan(0);
    expect(await notReloaded(bobPage)).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
