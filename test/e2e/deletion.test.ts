// Leaving and being let go, in a browser against the real server: a user deletes their account
// from the Security screen (confirm dialog), lands signed out on the sign-in page with the purge
// date, cancels the deletion and is signed back in; an admin deactivates a member from the row
// menu of the members table, and the member's session stops working.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectBrowser } from "./browser.ts";
import { freePort, type RunningServer, startProduct } from "./server.ts";

const PASSWORD = "correct horse battery staple";

let server: RunningServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

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

const signUp = async (name: string, inviteToken?: string) => {
  const email = `${name.toLowerCase()}.${Date.now()}@example.com`;
  const d = await gql(
    `mutation($e: String!, $p: String!, $n: String!, $i: String) { signUp(email: $e, password: $p, displayName: $n, inviteToken: $i) { token } }`,
    { e: email, p: PASSWORD, n: name, i: inviteToken ?? null },
  );
  return { email, token: d.signUp.token as string };
};

async function signIn(email: string) {
  await page.goto(`${server.url}/signin`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

beforeAll(async () => {
  const port = await freePort();
  server = await startProduct({ APP_URL: `http://127.0.0.1:${port}` }, 240_000, { port });
  browser = await connectBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (e) => pageErrors.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("account deletion and member deactivation", () => {
  it("deletes an account, shows it signed out with the purge date, cancels and signs back in", async () => {
    const { email } = await signUp("Dora");
    await signIn(email);
    await page.goto(`${server.url}/security`);
    const section = page.getByRole("form", { name: "Delete your account" });
    await section.getByLabel("Your password").fill(PASSWORD);
    await section.getByRole("button", { name: "Delete my account" }).click();
    const dialog = page.getByRole("alertdialog");
    await dialog.getByText("grace period").waitFor();
    await dialog.getByRole("button", { name: "Delete my account" }).click();

    await page.getByRole("status").filter({ hasText: "Your account was deleted" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/signin");
    // Signing in now is refused with a way to cancel.
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("scheduled for deletion").waitFor();

    await page.getByRole("link", { name: "Cancel the deletion" }).first().click();
    await page.getByRole("heading", { name: "Cancel your account's deletion" }).waitFor();
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Cancel the deletion and sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    expect(new URL(page.url()).pathname).not.toBe("/signin");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    expect(pageErrors).toEqual([]);
  });

  it("an admin deactivates a member from the row menu; the member's session stops working", async () => {
    const admin = await signUp("Ada");
    const invite = await gql(`mutation { createInvite { token } }`, {}, admin.token);
    const member = await signUp("Max", invite.createInvite.token);
    expect((await gql(`{ me { id } }`, {}, member.token)).me).not.toBeNull();

    await signIn(admin.email);
    await page.goto(`${server.url}/admin`);
    await page.getByRole("button", { name: "Actions for Max" }).click();
    await page.getByRole("menuitem", { name: "Deactivate" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Deactivate" }).click();
    await page.getByRole("row", { name: /Max/ }).getByText("Deactivated").waitFor();
    expect((await gql(`{ me { id } }`, {}, member.token)).me).toBeNull();

    await page.getByRole("button", { name: "Actions for Max" }).click();
    await page.getByRole("menuitem", { name: "Reactivate" }).click();
    await page.getByRole("row", { name: /Max/ }).getByText("Active", { exact: true }).waitFor();
    expect(pageErrors).toEqual([]);
  });
});
