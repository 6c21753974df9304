// Deleting one's own account: every credential ends at once (sessions, API keys, an open
// WebSocket), a mail through a real SMTP server names the purge date and how to cancel, sign-in
// is refused, and cancelAccountDeletion takes it back and signs in. The refusals: wrong password
// or code (nothing changed), a replayed code, a last admin, answers that never tell whether an
// address is registered.
import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
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
  type TestUser,
  uniqueEmail,
} from "../kit.ts";
import { connect, watch } from "../support/analysis.ts";
import { startSmtp, type TestSmtp } from "../support/smtp.ts";

let app: App;
let exec: Execute;
let smtp: TestSmtp;
let url: string;

beforeAll(async () => {
  smtp = await startSmtp();
  app = await createTestApp({
    config: {
      RUN_WORKER: "false",
      SMTP_URL: smtp.url,
      APP_URL: "http://app.test",
      ACCOUNT_DELETION_GRACE_DAYS: "14",
      SIGNIN_FREE_FAILURES: "3",
    },
  });
  exec = executor(app);
  url = (await app.start()).url;
});
afterAll(async () => {
  await app?.stop();
  await smtp?.stop();
});

const DELETE = `mutation($p: String!, $c: String) { deleteMyAccount(password: $p, code: $c) { purgeAfter tenantDeletedToo } }`;
const CANCEL = `mutation($e: String!, $p: String!, $c: String) {
  cancelAccountDeletion(email: $e, password: $p, code: $c) { token user { id } }
}`;
const SIGN_IN = `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token mfaChallenge { challengeToken } } }`;
const ME = `{ me { id } }`;

const row = (u: TestUser) =>
  app.db.prisma.user.findUniqueOrThrow({ where: { id: u.userId }, include: { profile: true } });

const codeAt = (secret: string, step: number) =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: step * 30_000 });

describe(`deleteMyAccount (${dbKind})`, () => {
  it("ends every session, key and socket at once, mails the purge date, and refuses sign-in", async () => {
    const owner = await createOwner(exec, "Leaver");
    const second = (await ok(exec, SIGN_IN, { e: owner.email, p: owner.password })).signIn.token as string;
    const key = await createApiKey(exec, owner, ["READ_PROFILE"]);
    const ws = connect(url, second);
    const live = watch<{ id: string }>(ws, `query @live { me { id } }`, {});
    await live.until((me) => me?.id === owner.id);

    const before = Date.now();
    const { deleteMyAccount } = await ok(exec, DELETE, { p: owner.password }, owner.token);
    const purge = new Date(deleteMyAccount.purgeAfter).getTime();
    expect(purge - before).toBeGreaterThanOrEqual(14 * 86_400_000 - 1000);
    expect(purge - Date.now()).toBeLessThanOrEqual(14 * 86_400_000);
    expect(deleteMyAccount.tenantDeletedToo).toBe(true);

    expect(await ws.closed).toBe(4401);
    for (const t of [owner.token, second]) expect((await ok(exec, ME, {}, t)).me).toBeNull();
    expect(codeOf(await exec(`{ me { displayName } apiKeys { edges { node { id } } } }`, {}, key))).toBe(
      "UNAUTHENTICATED",
    );
    const u = await row(owner);
    expect(u.deletedAt).not.toBeNull();
    expect(u.profile?.deletedAt).not.toBeNull();
    expect(await app.db.prisma.apiKey.count({ where: { userId: owner.userId, revokedAt: null } })).toBe(0);
    expect(await app.db.prisma.session.count({ where: { userId: owner.userId, revokedAt: null } })).toBe(0);

    const mail = await smtp.next(owner.email, /will be deleted/);
    expect(mail.text).toContain(new Date(purge).toUTCString());
    expect(mail.links).toContain("http://app.test/restore-account");

    const wrong = await exec(SIGN_IN, { e: owner.email, p: "not the password at all" });
    const unknown = await exec(SIGN_IN, { e: uniqueEmail("nobody"), p: "not the password at all" });
    expect(codeOf(wrong)).toBe("UNAUTHENTICATED");
    expect(wrong.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);
    const right = await exec(SIGN_IN, { e: owner.email, p: owner.password });
    expect(codeOf(right)).toBe("ACCOUNT_PENDING_DELETION");
    expect(right.errors?.[0]?.extensions?.purgeAfter).toBe(deleteMyAccount.purgeAfter);
    expect(right.data?.signIn ?? null).toBeNull();
    expect(codeOf(await exec(DELETE, { p: owner.password }, owner.token))).toBe("UNAUTHENTICATED");
    const audit = await app.db.prisma.auditLog.findMany({
      where: { userId: owner.userId, action: "user.deletion_requested" },
    });
    expect(audit).toHaveLength(1);
    await ws.dispose();
  });

  it("cancelAccountDeletion takes it back and signs in; its refusals tell nothing about the address", async () => {
    const owner = await createOwner(exec, "Returner");
    const key = await createApiKey(exec, owner, ["READ_PROFILE"]);
    // Not deleted yet: told only to whoever knows the password.
    expect(codeOf(await exec(CANCEL, { e: owner.email, p: owner.password }))).toBe("CONFLICT");
    await ok(exec, DELETE, { p: owner.password }, owner.token);

    const unknown = await exec(CANCEL, { e: uniqueEmail("ghost"), p: owner.password });
    const wrong = await exec(CANCEL, { e: owner.email, p: "a wrong password, clearly" });
    expect(codeOf(unknown)).toBe("UNAUTHENTICATED");
    expect(codeOf(wrong)).toBe("UNAUTHENTICATED");
    expect(wrong.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);
    expect((await row(owner)).deletedAt).not.toBeNull();

    const back = (await ok(exec, CANCEL, { e: owner.email.toUpperCase(), p: owner.password })).cancelAccountDeletion;
    expect(back.user.id).toBe(owner.id);
    expect((await ok(exec, ME, {}, back.token)).me.id).toBe(owner.id);
    const u = await row(owner);
    expect(u.deletedAt).toBeNull();
    expect(u.profile?.deletedAt).toBeNull();
    // Keys the deletion revoked stay revoked; sign-in works as before.
    expect(codeOf(await exec(ME, {}, key))).toBeUndefined();
    expect((await ok(exec, ME, {}, key)).me).toBeNull();
    expect((await ok(exec, SIGN_IN, { e: owner.email, p: owner.password })).signIn.token).toMatch(/^ups_/);
    await smtp.next(owner.email, /no longer being deleted/);
    expect(
      await app.db.prisma.auditLog.count({ where: { userId: owner.userId, action: "user.deletion_cancelled" } }),
    ).toBe(1);
  });

  it("throttles cancel guesses like sign-in", async () => {
    const owner = await createOwner(exec, "Guessed");
    await ok(exec, DELETE, { p: owner.password }, owner.token);
    for (let i = 0; i < 3; i++) await exec(CANCEL, { e: owner.email, p: `wrong password ${i}!` });
    expect(codeOf(await exec(CANCEL, { e: owner.email, p: owner.password }))).toBe("RATE_LIMITED");
    expect((await row(owner)).deletedAt).not.toBeNull();
  });

  it("a wrong password changes nothing, and guesses are throttled", async () => {
    const owner = await createOwner(exec, "Careful");
    const r = await exec(DELETE, { p: "not my password, sorry" }, owner.token);
    expect(codeOf(r)).toBe("BAD_USER_INPUT");
    expect(r.errors?.[0]?.extensions?.field).toBe("password");
    expect((await row(owner)).deletedAt).toBeNull();
    expect((await ok(exec, ME, {}, owner.token)).me.id).toBe(owner.id);
    for (let i = 0; i < 2; i++) await exec(DELETE, { p: `guess number ${i}` }, owner.token);
    expect(codeOf(await exec(DELETE, { p: owner.password }, owner.token))).toBe("RATE_LIMITED");
    expect((await row(owner)).deletedAt).toBeNull();
  });

  it("API keys cannot delete their owner", async () => {
    const owner = await createOwner(exec, "Keyed");
    const key = await createApiKey(exec, owner, ["ADMIN", "WRITE_PROFILE"]);
    expect(codeOf(await exec(DELETE, { p: owner.password }, key))).toBe("FORBIDDEN");
    expect(codeOf(await exec(DELETE, { p: owner.password }))).toBe("UNAUTHENTICATED");
    expect((await row(owner)).deletedAt).toBeNull();
  });

  it("with two-factor sign-in it needs a fresh code, never a replayed one, to delete and to cancel", async () => {
    const owner = await createOwner(exec, "Twofold");
    const { enrollTotp } = await ok(exec, `mutation { enrollTotp { secret } }`, {}, owner.token);
    const secret = enrollTotp.secret as string;
    const now = Math.floor(Date.now() / 30_000);
    await ok(exec, `mutation($c: String!) { confirmTotp(code: $c) }`, { c: codeAt(secret, now - 1) }, owner.token);

    const missing = await exec(DELETE, { p: owner.password }, owner.token);
    expect(codeOf(missing)).toBe("BAD_USER_INPUT");
    expect(missing.errors?.[0]?.extensions?.field).toBe("code");
    // The code that turned it on is spent: replaying it is refused like a wrong one.
    expect(codeOf(await exec(DELETE, { p: owner.password, c: codeAt(secret, now - 1) }, owner.token))).toBe(
      "BAD_USER_INPUT",
    );
    expect((await row(owner)).deletedAt).toBeNull();
    await ok(exec, DELETE, { p: owner.password, c: codeAt(secret, now) }, owner.token);
    expect((await row(owner)).deletedAt).not.toBeNull();

    expect(codeOf(await exec(CANCEL, { e: owner.email, p: owner.password }))).toBe("BAD_USER_INPUT");
    expect(codeOf(await exec(CANCEL, { e: owner.email, p: owner.password, c: codeAt(secret, now) }))).toBe(
      "BAD_USER_INPUT",
    );
    const back = await ok(exec, CANCEL, { e: owner.email, p: owner.password, c: codeAt(secret, now + 1) });
    expect(back.cancelAccountDeletion.token).toMatch(/^ups_/);
  });

  it("the last admin of a workspace with members is refused until another admin exists", async () => {
    const admin = await createOwner(exec, "Keeper");
    const member = await createMember(exec, admin, "Staying");
    const r = await exec(DELETE, { p: admin.password }, admin.token);
    expect(codeOf(r)).toBe("LAST_ADMIN");
    expect((await row(admin)).deletedAt).toBeNull();
    expect((await ok(exec, ME, {}, admin.token)).me.id).toBe(admin.id);

    // A member may leave; the admin then is the only member, and the workspace goes with them.
    const left = await ok(exec, DELETE, { p: member.password }, member.token);
    expect(left.deleteMyAccount.tenantDeletedToo).toBe(false);
    const alone = await ok(exec, DELETE, { p: admin.password }, admin.token);
    expect(alone.deleteMyAccount.tenantDeletedToo).toBe(true);
  });

  it("a second admin lets the first leave, and the workspace stays", async () => {
    const admin = await createOwner(exec, "Handover");
    const deputy = await createMember(exec, admin, "Deputy", "admin");
    await createMember(exec, admin, "Plain");
    const r = await ok(exec, DELETE, { p: admin.password }, admin.token);
    expect(r.deleteMyAccount.tenantDeletedToo).toBe(false);
    // The deputy is now the last admin with a member left.
    expect(codeOf(await exec(DELETE, { p: deputy.password }, deputy.token))).toBe("LAST_ADMIN");
    const members = await ok(exec, `{ me { tenant { members { edges { node { id } } } } } }`, {}, deputy.token);
    expect(members.me.tenant.members.edges.map((e: { node: { id: string } }) => e.node.id)).not.toContain(admin.id);
  });
});
