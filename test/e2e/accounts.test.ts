// The account lifecycle in a browser: forgot password -> the reset link from the dev outbox ->
// a new password -> sign-in with a TOTP code. The account and its second factor are set up over
// GraphQL first (the Security screen's set-up is the same mutations). Then, signed in, the user
// exports their data from the profile screen and downloads the document.
import { Secret, TOTP } from "otpauth";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectBrowser, downloaded } from "./browser.ts";
import { freePort, type RunningServer, startProduct } from "./server.ts";

let server: RunningServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const email = `grace.${Date.now()}@example.com`;
const oldPassword = "correct horse battery staple";
const newPassword = "a far better secret for grace";

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

describe("forgot password, reset, sign-in with TOTP", () => {
  it("runs the whole way in the browser", async () => {
    const up = await gql(
      `mutation($e: String!, $p: String!) { signUp(email: $e, password: $p, displayName: "Grace") { token } }`,
      { e: email, p: oldPassword },
    );
    const token = up.signUp.token as string;
    const { enrollTotp } = await gql(`mutation { enrollTotp { secret } }`, {}, token);
    const totp = new TOTP({ secret: Secret.fromBase32(enrollTotp.secret) });
    // Each time-step's code is spent once: confirm with this step's code and sign in below with a
    // later step's, whenever the 30-second boundaries fall (the previous step's code, used before,
    // was refused whenever a boundary fell between making it and the server checking it).
    const confirmedAt = Date.now();
    await gql(
      `mutation($c: String!) { confirmTotp(code: $c) }`,
      { c: totp.generate({ timestamp: confirmedAt }) },
      token,
    );

    await page.goto(`${server.url}/signin`);
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.getByLabel("Email").fill(email);
    await page.getByRole("button", { name: "Send reset link" }).click();
    await page.getByRole("status").filter({ hasText: "a link to choose a new password" }).waitFor();

    // The server has no SMTP_URL: the mail is in the dev outbox.
    await page.goto(`${server.url}/dev/mail`);
    const mail = page.getByRole("article", { name: `Reset your Userplane password to ${email}` });
    await mail.getByRole("link").click();
    await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
    await page.getByLabel("New password").fill("password123");
    await page.getByRole("button", { name: "Set new password" }).click();
    await page.locator(".field-error, [role=alert]").first().waitFor();
    await page.getByLabel("New password").fill(newPassword);
    await page.getByRole("button", { name: "Set new password" }).click();
    await page.getByRole("status").filter({ hasText: "Your password was changed" }).waitFor();
    // The old session ended with the reset.
    const me = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: "{ me { id } }" }),
    });
    expect(((await me.json()) as { data: { me: unknown } }).data.me).toBeNull();

    await page.getByRole("link", { name: "Sign in" }).click();
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(newPassword);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Two-factor sign-in" }).waitFor();
    const nextStep = (Math.floor(confirmedAt / 30_000) + 1) * 30_000;
    await page
      .getByLabel("Code from your authenticator app")
      .fill(totp.generate({ timestamp: Math.max(Date.now(), nextStep) }));
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    expect(new URL(page.url()).pathname).not.toBe("/signin");
    expect(pageErrors).toEqual([]);
  });
});

describe("export my data", () => {
  it("starts an export on the profile screen, follows it live and downloads the JSON", async () => {
    // Signed in by the test above.
    await page.getByRole("link", { name: "Profile" }).click();
    await page.getByRole("heading", { name: "Export my data" }).waitFor();
    await page.getByRole("button", { name: "Export my data" }).click();
    const download = page.getByRole("button", { name: "Download export" });
    await download.waitFor({ timeout: 120_000 });
    const [file] = await Promise.all([page.waitForEvent("download"), download.click()]);
    expect(file.suggestedFilename()).toMatch(/^userplane-export-\d{4}-\d{2}-\d{2}\.json$/);
    const doc = JSON.parse((await downloaded(file)).toString("utf8"));
    expect(doc.account.email).toBe(email);
    expect(JSON.stringify(doc)).not.toContain("passwordHash");
    expect(pageErrors).toEqual([]);
  });
});
