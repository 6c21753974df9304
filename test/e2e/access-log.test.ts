// "Who accessed my data" in a browser: an admin opens the workspace's sessions, and the member
// whose sessions they were finds that read on their own screen, on a phone in the dark theme and
// on a desk in the light one (no sideways scrolling, no serious axe violation).
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectBrowser, seriousAxeViolations } from "./browser.ts";
import { type RunningServer, startProduct } from "./server.ts";

let server: RunningServer;
let browser: Browser;

async function gql<T = any>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const res = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (body.errors || !body.data) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function signedIn(token: string, width: number, colorScheme: "light" | "dark"): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width, height: 860 }, colorScheme, bypassCSP: true });
  await context.addInitScript((t) => localStorage.setItem("userplane.token", t), token);
  return context;
}

beforeAll(async () => {
  // Writes follow reads within a fifth of a second, so the member's page need not wait long.
  server = await startProduct({ ACCESS_LOG_FLUSH_MS: "200" });
  browser = await connectBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("who accessed my data", () => {
  it("an admin views a member's sessions; the member sees it, on a phone and a desk", async () => {
    const stamp = Date.now();
    const admin = await gql(
      `mutation($e: String!) { signUp(displayName: "Ada Admin", email: $e, password: "correct horse battery staple", tenantName: "Looms") { token } }`,
      { e: `ada.${stamp}@example.com` },
    );
    const invite = await gql(`mutation { createInvite { token } }`, {}, admin.signUp.token);
    const member = await gql(
      `mutation($e: String!, $i: String!) { signUp(displayName: "Mary Member", email: $e, password: "correct horse battery staple", inviteToken: $i) { token } }`,
      { e: `mary.${stamp}@example.com`, i: invite.createInvite.token },
    );

    // Before: nobody else has read the member's data.
    const phone = await (await signedIn(member.signUp.token, 390, "dark")).newPage();
    await phone.goto(`${server.url}/access-log`);
    await phone.getByRole("heading", { name: "Who accessed my data" }).waitFor();
    await phone.getByText("Nobody else has read or changed your data.").waitFor();

    const desk = await (await signedIn(admin.signUp.token, 1280, "light")).newPage();
    await desk.goto(`${server.url}/admin?section=sessions`);
    await desk.getByRole("cell", { name: "Mary Member" }).waitFor();
    await desk.context().close();

    // The read is written just after the admin's response: the member's list shows it once there.
    const row = phone.getByRole("row").filter({ hasText: "Ada Admin" }).filter({ hasText: "Session" });
    await expect
      .poll(
        async () => {
          await phone.reload();
          await phone.getByRole("heading", { name: "Who accessed my data" }).waitFor();
          await phone.locator("tbody tr").first().waitFor();
          return row.count();
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBeGreaterThan(0);
    const problems: string[] = [];
    for (const [width, scheme] of [
      [390, "dark"],
      [1280, "light"],
    ] as const) {
      const page = await (await signedIn(member.signUp.token, width, scheme)).newPage();
      await page.goto(`${server.url}/access-log`);
      await page.getByRole("row").filter({ hasText: "Ada Admin" }).first().waitFor();
      const o = await page.evaluate(() => ({
        scrollWidth: document.scrollingElement?.scrollWidth ?? 0,
        innerWidth: window.innerWidth,
      }));
      if (o.scrollWidth > o.innerWidth) problems.push(`${width}: ${o.scrollWidth} px wide in ${o.innerWidth} px`);
      for (const v of await seriousAxeViolations(page)) problems.push(`${width} ${scheme}: ${v}`);
      await page.context().close();
    }
    expect(problems).toEqual([]);

    // The admin cannot read it: their own list has no entry of the member's.
    const adminView = await gql(
      `{ myDataAccessLog(first: 100) { edges { node { actorName resources } } } }`,
      {},
      admin.signUp.token,
    );
    expect(JSON.stringify(adminView)).not.toContain("Ada Admin");
  });
});
