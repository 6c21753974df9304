// Email delivery, email verification, password reset and change, end to end through a real SMTP
// server; and the dev outbox that stands in for SMTP outside production.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import { buildApp } from "../../server/app.ts";
import {
  codeOf,
  createApiKey,
  createMember,
  createOwner,
  createTestApp,
  dbKind,
  type Execute,
  executor,
  ok,
  PRODUCTION_SECRETS,
  testConfig,
  uniqueEmail,
} from "../kit.ts";
import { startSmtp, type TestSmtp } from "../support/smtp.ts";

let smtp: TestSmtp;
let app: App;
let exec: Execute;

beforeAll(async () => {
  smtp = await startSmtp();
  app = await createTestApp({ config: { RUN_WORKER: "false", SMTP_URL: smtp.url, APP_URL: "http://app.test" } });
  exec = executor(app);
});
afterAll(async () => {
  await app?.stop();
  await smtp?.stop();
});

const tokenOf = (link: string) => new URL(link).searchParams.get("token") ?? "";
const SIGN_IN = `mutation($email: String!, $password: String!) { signIn(email: $email, password: $password) { token } }`;
const ME = `{ me { id emailVerifiedAt } }`;
const VERIFY = `mutation($token: String!) { verifyEmail(token: $token) }`;
const RESET = `mutation($token: String!, $p: String!) { resetPassword(token: $token, newPassword: $p) }`;
const CHANGE = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`;

describe(`email verification (${dbKind})`, () => {
  it("sign-up mails a link; the link verifies once; a foreign token is refused", async () => {
    const owner = await createOwner(exec, "Verifier");
    const mail = await smtp.next(owner.email, /Verify your email/);
    expect(mail.links[0]).toMatch(/^http:\/\/app\.test\/verify-email\?token=upa_/);
    expect((await ok(exec, ME, {}, owner.token)).me.emailVerifiedAt).toBeNull();

    expect(await ok(exec, VERIFY, { token: tokenOf(mail.links[0] ?? "") })).toEqual({ verifyEmail: true });
    expect((await ok(exec, ME, {}, owner.token)).me.emailVerifiedAt).not.toBeNull();
    expect(codeOf(await exec(VERIFY, { token: tokenOf(mail.links[0] ?? "") }))).toBe("INVALID_TOKEN");
    expect(codeOf(await exec(VERIFY, { token: "upa_not-a-real-token-at-all" }))).toBe("INVALID_TOKEN");
  });

  it("a tenant that requires verification refuses unverified members until they verify; a resent link voids the old", async () => {
    const admin = await createOwner(exec, "Strict");
    const member = await createMember(exec, admin, "Unverified");
    const first = await smtp.next(member.email, /Verify your email/);
    const set = `mutation($on: Boolean) { updateTenantSecurity(requireEmailVerification: $on) { requireEmailVerification } }`;
    expect(codeOf(await exec(set, { on: true }, member.token))).toBe("FORBIDDEN");
    expect(await ok(exec, set, { on: true }, admin.token)).toEqual({
      updateTenantSecurity: { requireEmailVerification: true },
    });

    const refused = await exec(SIGN_IN, { email: member.email, password: member.password });
    expect(codeOf(refused)).toBe("EMAIL_NOT_VERIFIED");
    // The wrong password still gets the plain answer: the state is told only to whoever knows it.
    expect(codeOf(await exec(SIGN_IN, { email: member.email, password: "not the password!" }))).toBe("UNAUTHENTICATED");

    expect(await ok(exec, `mutation { resendVerification }`, {}, member.token)).toEqual({ resendVerification: true });
    const second = await smtp.next(member.email, /Verify your email/);
    expect(codeOf(await exec(VERIFY, { token: tokenOf(first.links[0] ?? "") }))).toBe("INVALID_TOKEN");
    await ok(exec, VERIFY, { token: tokenOf(second.links[0] ?? "") });
    expect((await ok(exec, SIGN_IN, { email: member.email, password: member.password })).signIn.token).toMatch(/^ups_/);
  });
});

describe(`password reset (${dbKind})`, () => {
  it("answers the same for unknown and known addresses and mails only the account's owner", async () => {
    const owner = await createOwner(exec, "Forgetful");
    const nobody = uniqueEmail("nobody");
    const ask = `mutation($e: String!) { requestPasswordReset(email: $e) }`;
    const known = await exec(ask, { e: owner.email.toUpperCase() });
    const unknown = await exec(ask, { e: nobody });
    expect(known).toEqual(unknown);
    expect(known).toEqual({ data: { requestPasswordReset: true } });
    const mail = await smtp.next(owner.email, /Reset your/);
    await app.services.mailer.settled();
    expect(smtp.received.filter((m) => m.to === nobody)).toEqual([]);

    const token = tokenOf(mail.links[0] ?? "");
    const other = (await ok(exec, SIGN_IN, { email: owner.email, password: owner.password })).signIn.token;
    const weak = await exec(RESET, { token, p: "password123" });
    expect(codeOf(weak)).toBe("BAD_USER_INPUT");

    const changed = new Promise((resolve) => {
      const it = app.services.pubsub.subscribe("viewer:changed", owner.userId)[Symbol.asyncIterator]();
      void it.next().then((e) => {
        void it.return?.();
        resolve(e.value);
      });
    });
    const fresh = "a far better secret for this one";
    expect(await ok(exec, RESET, { token, p: fresh })).toEqual({ resetPassword: true });
    expect(await changed).toMatchObject({ userId: owner.userId });
    await smtp.next(owner.email, /password was changed/);

    // Every session ended, the old password is gone, the link is spent.
    for (const t of [owner.token, other]) expect((await exec(`{ me { id } }`, {}, t)).data?.me).toBeNull();
    expect(codeOf(await exec(SIGN_IN, { email: owner.email, password: owner.password }))).toBe("UNAUTHENTICATED");
    await ok(exec, SIGN_IN, { email: owner.email, password: fresh });
    expect(codeOf(await exec(RESET, { token, p: "yet another fine secret" }))).toBe("INVALID_TOKEN");
  });

  it("refuses an expired link", async () => {
    const owner = await createOwner(exec, "Late");
    await ok(exec, `mutation($e: String!) { requestPasswordReset(email: $e) }`, { e: owner.email });
    const mail = await smtp.next(owner.email, /Reset your/);
    // Control time through the row: the link's 30 minutes are over.
    await app.db.prisma.accountToken.updateMany({
      where: { userId: owner.userId, purpose: "reset_password" },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect(codeOf(await exec(RESET, { token: tokenOf(mail.links[0] ?? ""), p: "a far better secret!" }))).toBe(
      "INVALID_TOKEN",
    );
    await ok(exec, SIGN_IN, { email: owner.email, password: owner.password });
  });
});

describe(`password change (${dbKind})`, () => {
  it("needs the current password and a strong new one, ends the other sessions only, and notifies", async () => {
    const owner = await createOwner(exec, "Changer");
    const other = (await ok(exec, SIGN_IN, { email: owner.email, password: owner.password })).signIn.token;
    expect(codeOf(await exec(CHANGE, { c: "wrong password!!", n: "a far better secret" }, owner.token))).toBe(
      "BAD_USER_INPUT",
    );
    expect(codeOf(await exec(CHANGE, { c: owner.password, n: "short" }, owner.token))).toBe("BAD_USER_INPUT");
    expect(codeOf(await exec(CHANGE, { c: owner.password, n: "qwertyuiop" }, owner.token))).toBe("BAD_USER_INPUT");
    const key = await createApiKey(exec, owner, ["READ_PROFILE"]);
    expect(codeOf(await exec(CHANGE, { c: owner.password, n: "a far better secret" }, key))).toBe("FORBIDDEN");

    expect(await ok(exec, CHANGE, { c: owner.password, n: "a far better secret" }, owner.token)).toEqual({
      changePassword: true,
    });
    await smtp.next(owner.email, /password was changed/);
    expect((await exec(`{ me { id } }`, {}, owner.token)).data?.me).not.toBeNull();
    expect((await exec(`{ me { id } }`, {}, other)).data?.me).toBeNull();
    await ok(exec, SIGN_IN, { email: owner.email, password: "a far better secret" });
  });
});

describe(`dev outbox (${dbKind})`, () => {
  it("keeps mail in the database and lists it newest first at /dev/mail.json", async () => {
    const dev = await createTestApp({ config: { RUN_WORKER: "false", APP_URL: "http://app.test" } });
    try {
      const { port } = await dev.start();
      const devExec = executor(dev);
      const a = await createOwner(devExec, "OutboxA");
      const b = await createOwner(devExec, "OutboxB");
      const res = await fetch(`http://127.0.0.1:${port}/dev/mail.json`);
      expect(res.status).toBe(200);
      const mail = (await res.json()) as { to: string; subject: string; text: string; links: string[] }[];
      const ours = mail.filter((m) => m.to === a.email || m.to === b.email);
      expect(ours.map((m) => m.to)).toEqual([b.email, a.email]);
      expect(ours[0]?.subject).toMatch(/Verify your email/);
      expect(ours[0]?.links[0]).toMatch(/^http:\/\/app\.test\/verify-email\?token=upa_/);
      expect(ours[0]?.text).toContain(ours[0]?.links[0]);
    } finally {
      await dev.stop();
    }
  });

  it("is absent when SMTP is configured, and production without SMTP_URL does not start", async () => {
    const { port } = await app.start();
    expect((await fetch(`http://127.0.0.1:${port}/dev/mail.json`)).status).toBe(404);
    await expect(
      buildApp(
        testConfig({
          NODE_ENV: "production",
          FILE_URL_SECRET: PRODUCTION_SECRETS.FILE_URL_SECRET,
          TOTP_ENCRYPTION_KEY: PRODUCTION_SECRETS.TOTP_ENCRYPTION_KEY,
        }),
        {
          memoryDatabase: true,
        },
      ),
    ).rejects.toThrow(/SMTP_URL: is required in production/);
  });
});
