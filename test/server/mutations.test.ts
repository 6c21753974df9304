// Every mutation of the core schema (analysis has its own tests): the success path, and each kind
// of bad input with its stable error code, the field at fault, and proof that nothing was written.
import { createHash, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import {
  codeOf,
  createApiKey,
  createMember,
  createOwner,
  createTestApp,
  dbId,
  dbKind,
  type Execute,
  executor,
  type GraphQLResult,
  ok,
  type TestUser,
  uniqueEmail,
} from "../kit.ts";

let app: App;
let exec: Execute;
let url: string;

beforeAll(async () => {
  // As if behind a reverse proxy, so a test can act from several client addresses.
  app = await createTestApp({
    config: { TRUST_PROXY_HOPS: "1", SIGNIN_FAILURES_PER_ADDRESS_HOUR: "5", SIGNUPS_PER_ADDRESS_HOUR: "3" },
  });
  exec = executor(app);
  // A real listener too, for what only a real HTTP request carries (client address, user agent).
  url = (await app.start()).url;
});
afterAll(() => app?.stop());

const FIREFOX_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:131.0) Gecko/20100101 Firefox/131.0";

/** An operation over real HTTP from a given address and browser. */
async function overHttp(
  query: string,
  variables: Record<string, unknown> = {},
  opts: { ip?: string; userAgent?: string; token?: string } = {},
): Promise<GraphQLResult<any>> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": opts.userAgent ?? FIREFOX_MAC,
      ...(opts.ip ? { "x-forwarded-for": opts.ip } : {}),
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GraphQLResult<any>;
}

/** The first error has `code`, and names `field` when given. */
function expectError(r: GraphQLResult, code: string, field?: string) {
  const e = r.errors?.[0];
  expect(e?.extensions?.code, JSON.stringify(r)).toBe(code);
  if (field !== undefined) expect(e?.extensions?.field, JSON.stringify(r)).toBe(field);
}

/** A literal of the wrong type never reaches a resolver: the document fails validation. */
function expectInvalidDocument(r: GraphQLResult) {
  expect(r.data ?? null, JSON.stringify(r)).toBeNull();
  expect(r.errors?.[0]?.extensions?.code, JSON.stringify(r)).toBe("GRAPHQL_VALIDATION_FAILED");
}

const apiKey = (user: TestUser, scopes: string[]) =>
  createApiKey(
    exec,
    user,
    scopes.map((s) => s.replace(":", "_").toUpperCase()),
  );
const auditRows = (where: { tenantId?: string | null; userId?: string; action: string }) =>
  app.db.prisma.auditLog.count({ where });
const long = (n: number) => "x".repeat(n);
// A fresh address per call: throttles count per address, in a database other runs may share.
const ipBase = Math.floor(Math.random() * 200) + 20;
let ipCount = 0;
const ipFor = () => {
  ipCount++;
  return `198.${ipBase}.${Math.floor(ipCount / 250)}.${(ipCount % 250) + 1}`;
};

const SIGN_UP = `mutation($e: String!, $p: String!, $d: String!, $i: String) {
  signUp(email: $e, password: $p, displayName: $d, inviteToken: $i) { token user { id email } }
}`;
const SIGN_IN = `mutation($e: String!, $p: String!, $t: String) { signIn(email: $e, password: $p, tenantSlug: $t) { token user { id lastSignInAt } } }`;
const PASSWORD = "correct horse battery staple";

describe(`signUp, signIn, signOut (${dbKind})`, () => {
  it("signUp creates the user, a tenant they administer, a profile, a session and an audit row", async () => {
    const email = uniqueEmail("new");
    const d = await ok(exec, SIGN_UP, { e: email.toUpperCase(), p: PASSWORD, d: "  Nova  " });
    expect(d.signUp.token).toMatch(/^ups_[\w-]{43}$/);
    const user = await app.db.prisma.user.findUniqueOrThrow({
      where: { email },
      include: { profile: true, roleAssignments: true, sessions: true },
    });
    expect(user.displayName).toBe("Nova");
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(user.profile?.fullName).toBe("Nova");
    expect(user.roleAssignments.map((r) => r.role)).toEqual(["admin"]);
    expect(user.sessions).toHaveLength(1);
    expect(user.sessions[0]?.tokenHash).toBe(createHash("sha256").update(d.signUp.token).digest("hex"));
    expect(await auditRows({ userId: user.id, action: "user.sign_up" })).toBe(1);
    expect((await ok(exec, `{ me { email } }`, {}, d.signUp.token)).me.email).toBe(email);
  });

  it("signUp refuses a taken email (any case), bad fields and bad invites, and writes nothing", async () => {
    const owner = await createOwner(exec);
    // Other files write to the same PostgreSQL at once: count only what this test could have
    // written, by a mark in every display name it signs up with (tenants are named after them).
    const mark = randomUUID().slice(0, 8);
    const users = () => app.db.prisma.user.count({ where: { displayName: { contains: mark } } });
    const tenants = () => app.db.prisma.tenant.count({ where: { name: { contains: mark } } });
    const [u0, t0] = [await users(), await tenants()];

    expectError(
      await exec(SIGN_UP, { e: owner.email.toUpperCase(), p: PASSWORD, d: `Dup ${mark}` }),
      "CONFLICT",
      "email",
    );
    expectError(await exec(SIGN_UP, { e: "not-an-email", p: PASSWORD, d: `X ${mark}` }), "BAD_USER_INPUT", "email");
    expectError(await exec(SIGN_UP, { e: uniqueEmail(), p: "short", d: `X ${mark}` }), "BAD_USER_INPUT", "password");
    expectError(await exec(SIGN_UP, { e: uniqueEmail(), p: long(201), d: `X ${mark}` }), "BAD_USER_INPUT", "password");
    expectError(await exec(SIGN_UP, { e: uniqueEmail(), p: PASSWORD, d: "   " }), "BAD_USER_INPUT", "displayName");
    expectError(await exec(SIGN_UP, { e: uniqueEmail(), p: PASSWORD, d: long(101) }), "BAD_USER_INPUT", "displayName");
    expectError(
      await exec(SIGN_UP, { e: uniqueEmail(), p: PASSWORD, d: `X ${mark}`, i: "upi_forged" }),
      "BAD_USER_INPUT",
      "inviteToken",
    );
    expectInvalidDocument(
      await exec(`mutation { signUp(email: 5, password: "${PASSWORD}", displayName: "X") { token } }`),
    );

    // An invite is used once, and only by the address it names.
    const inv = await ok(
      exec,
      `mutation($e: String) { createInvite(email: $e) { token } }`,
      { e: "named@example.test" },
      owner.token,
    );
    const token = inv.createInvite.token;
    expectError(
      await exec(SIGN_UP, { e: uniqueEmail(), p: PASSWORD, d: `X ${mark}`, i: token }),
      "BAD_USER_INPUT",
      "inviteToken",
    );
    expect([await users(), await tenants()]).toEqual([u0, t0]);

    const free = await ok(exec, `mutation { createInvite { token } }`, {}, owner.token);
    await ok(exec, SIGN_UP, { e: uniqueEmail(), p: PASSWORD, d: `First ${mark}`, i: free.createInvite.token });
    expectError(
      await exec(SIGN_UP, { e: uniqueEmail(), p: PASSWORD, d: `Second ${mark}`, i: free.createInvite.token }),
      "BAD_USER_INPUT",
      "inviteToken",
    );
    expect([await users(), await tenants()]).toEqual([u0 + 1, t0]);
  });

  it("signIn opens a session recording browser, OS and address, sets lastSignInAt, and is audited", async () => {
    const owner = await createOwner(exec);
    const before = await app.db.prisma.user.findUniqueOrThrow({ where: { id: owner.userId } });
    const ip = ipFor();
    const r = await overHttp(SIGN_IN, { e: owner.email, p: PASSWORD }, { ip });
    expect(r.errors).toBeUndefined();
    const after = await app.db.prisma.user.findUniqueOrThrow({ where: { id: owner.userId } });
    expect(after.lastSignInAt).not.toBeNull();
    expect(after.lastSignInAt?.getTime()).toBeGreaterThanOrEqual(before.lastSignInAt?.getTime() ?? 0);
    expect(new Date(r.data.signIn.user.lastSignInAt).getTime()).toBe(after.lastSignInAt?.getTime());

    const s = await app.db.prisma.session.findUniqueOrThrow({
      where: { tokenHash: createHash("sha256").update(r.data.signIn.token).digest("hex") },
    });
    expect(s.browser).toMatch(/^Firefox 131/);
    expect(s.os).toMatch(/^Mac OS/);
    expect(s.ipAddress).toBe(ip);
    expect(s.userAgent).toBe(FIREFOX_MAC);
    expect(await auditRows({ userId: owner.userId, action: "user.sign_in", tenantId: owner.tenantId })).toBe(1);

    const listed = await overHttp(
      `{ sessions { edges { node { current browser os ipAddress } } } }`,
      {},
      { token: r.data.signIn.token },
    );
    const current = listed.data.sessions.edges.find((e: { node: { current: boolean } }) => e.node.current).node;
    expect(current).toMatchObject({ os: s.os, browser: s.browser, ipAddress: ip });
  });

  it("a wrong password and an unknown email fail alike; five failures from one address make that address wait, audited for its admin", async () => {
    const admin = await createOwner(exec, "Admin");
    const member = await createMember(exec, admin, "Target");
    const wrong = await exec(SIGN_IN, { e: member.email, p: "wrong password!" });
    const unknown = await exec(SIGN_IN, { e: uniqueEmail("ghost"), p: "wrong password!" });
    expectError(wrong, "UNAUTHENTICATED");
    expectError(unknown, "UNAUTHENTICATED");
    expect(wrong.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);
    expect(wrong.data).toBeNull();

    for (let i = 0; i < 4; i++)
      expectError(await exec(SIGN_IN, { e: member.email, p: `wrong ${i} password` }), "UNAUTHENTICATED");
    // Sixth attempt: refused before the password is checked, even the right one.
    const locked = await exec(SIGN_IN, { e: member.email, p: PASSWORD });
    expectError(locked, "RATE_LIMITED");
    expect(locked.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    const sessions = await app.db.prisma.session.count({ where: { userId: member.userId } });
    expect(sessions).toBe(1);

    expect(await auditRows({ userId: member.userId, action: "user.sign_in_failed" })).toBe(5);
    // The tenant's admin sees the failures against their member.
    const log = await ok(
      exec,
      `{ auditLog(action: "user.sign_in_failed") { edges { node { actor { id } } } } }`,
      {},
      admin.token,
    );
    expect(log.auditLog.edges).toHaveLength(5);
    expect(log.auditLog.edges[0].node.actor.id).toBe(member.id);
    // ...and another tenant's admin does not.
    const other = await createOwner(exec, "Other");
    expect(
      (await ok(exec, `{ auditLog(action: "user.sign_in_failed") { edges { node { id } } } }`, {}, other.token))
        .auditLog.edges,
    ).toEqual([]);
  });

  it("a stranger's failures never lock the owner out, and each further try from the stranger waits twice as long", async () => {
    const owner = await createOwner(exec);
    const stranger = ipFor();
    const retry: number[] = [];
    for (let i = 0; i < 5; i++)
      expectError(
        await overHttp(SIGN_IN, { e: owner.email, p: `guess ${i} guess` }, { ip: stranger }),
        "UNAUTHENTICATED",
      );
    const waited = await overHttp(SIGN_IN, { e: owner.email, p: "guess again" }, { ip: stranger });
    expectError(waited, "RATE_LIMITED");
    retry.push(waited.errors?.[0]?.extensions?.retryAfterSeconds as number);
    // The owner, from their own address, is not affected.
    expect((await overHttp(SIGN_IN, { e: owner.email, p: PASSWORD }, { ip: ipFor() })).data?.signIn.token).toBeTruthy();
    // The wait grows: a failure past the free ones doubles it (checked on the stored block, not the clock).
    await app.db.prisma.rateLimitUsage.deleteMany({
      where: { OR: [{ key: { startsWith: "signin-wait" } }, { key: { startsWith: "signin-address" } }] },
    });
    expectError(await overHttp(SIGN_IN, { e: owner.email, p: "guess more" }, { ip: stranger }), "UNAUTHENTICATED");
    const again = await overHttp(SIGN_IN, { e: owner.email, p: "guess more" }, { ip: stranger });
    retry.push(again.errors?.[0]?.extensions?.retryAfterSeconds as number);
    expect(retry[1]).toBeGreaterThan((retry[0] as number) * 1.5);
  });

  it("caps failures per address across accounts, and a success from that address does not reset the cap", async () => {
    const owner = await createOwner(exec);
    const ip = ipFor();
    expect((await overHttp(SIGN_IN, { e: owner.email, p: PASSWORD }, { ip })).data?.signIn.token).toBeTruthy();
    for (let i = 0; i < 4; i++)
      expectError(
        await overHttp(SIGN_IN, { e: uniqueEmail("spray"), p: "guess guess guess" }, { ip }),
        "UNAUTHENTICATED",
      );
    // Signing in to one's own account between guesses does not give the sprayer more guesses.
    expect((await overHttp(SIGN_IN, { e: owner.email, p: PASSWORD }, { ip })).data?.signIn.token).toBeTruthy();
    expectError(
      await overHttp(SIGN_IN, { e: uniqueEmail("spray"), p: "guess guess guess" }, { ip }),
      "UNAUTHENTICATED",
    );
    expectError(await overHttp(SIGN_IN, { e: uniqueEmail("spray"), p: "guess guess guess" }, { ip }), "RATE_LIMITED");
  });

  it("caps sign-ups per address, and reads the address the configured proxy wrote, not the client's own entry", async () => {
    const ip = ipFor();
    const signUp = (via: string) =>
      overHttp(
        `mutation($e: String!) { signUp(email: $e, password: "long enough password", displayName: "N") { token } }`,
        { e: uniqueEmail("signup") },
        { ip: via },
      );
    for (let i = 0; i < 3; i++) expect((await signUp(`10.9.9.${i}, ${ip}`)).data?.signUp.token).toBeTruthy();
    expectError(await signUp(ip), "RATE_LIMITED");
    expect((await signUp(ipFor())).data?.signUp.token).toBeTruthy();
  });

  it("five failures from one address stop that address, whatever the account", async () => {
    const owner = await createOwner(exec);
    const ip = ipFor();
    for (let i = 0; i < 5; i++) {
      expectError(
        await overHttp(SIGN_IN, { e: uniqueEmail("spray"), p: "guess guess guess" }, { ip }),
        "UNAUTHENTICATED",
      );
    }
    expectError(await overHttp(SIGN_IN, { e: owner.email, p: PASSWORD }, { ip }), "RATE_LIMITED");
    // The account itself is not locked: from another address it signs in.
    expect((await overHttp(SIGN_IN, { e: owner.email, p: PASSWORD }, { ip: ipFor() })).data?.signIn.token).toBeTruthy();
  });

  it("signIn refuses a tenant the user is not a member of, with the same message", async () => {
    const owner = await createOwner(exec);
    const other = await createOwner(exec, "Other");
    const slug = (await app.db.prisma.tenant.findUniqueOrThrow({ where: { id: other.tenantId } })).slug;
    const r = await exec(SIGN_IN, { e: owner.email, p: PASSWORD, t: slug });
    expectError(r, "UNAUTHENTICATED");
    expect(r.errors?.[0]?.message).toBe("Email or password is incorrect.");
  });

  it("sessions renew as they are used and end when they expire", async () => {
    const owner = await createOwner(exec);
    const tokenHash = createHash("sha256").update(owner.token).digest("hex");
    const soon = new Date(Date.now() + 60_000);
    await app.db.prisma.session.update({
      where: { tokenHash },
      data: { lastSeenAt: new Date(Date.now() - 3_600_000), expiresAt: soon },
    });
    expect((await ok(exec, `{ me { id } }`, {}, owner.token)).me.id).toBe(owner.id);
    const renewed = await app.db.prisma.session.findUniqueOrThrow({ where: { tokenHash } });
    expect(renewed.expiresAt.getTime()).toBeGreaterThan(soon.getTime() + 3_600_000);
    expect(renewed.lastSeenAt.getTime()).toBeGreaterThan(Date.now() - 600_000);

    await app.db.prisma.session.update({ where: { tokenHash }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await ok(exec, `{ me { id } }`, {}, owner.token)).me).toBeNull();
  });

  it("signOut ends the session, audited; the token is anonymous afterwards", async () => {
    const owner = await createOwner(exec);
    expect((await ok(exec, `mutation { signOut }`, {}, owner.token)).signOut).toBe(true);
    const s = await app.db.prisma.session.findFirstOrThrow({ where: { userId: owner.userId } });
    expect(s.revokedAt).not.toBeNull();
    expect(s.sessionEnd).not.toBeNull();
    expect(s.durationSeconds).toBeGreaterThanOrEqual(0);
    expect(await auditRows({ userId: owner.userId, action: "user.sign_out", tenantId: owner.tenantId })).toBe(1);
    expect((await ok(exec, `{ me { id } }`, {}, owner.token)).me).toBeNull();
    expectError(await exec(`mutation { signOut }`, {}, owner.token), "UNAUTHENTICATED");
    expectError(await exec(`mutation { signOut }`, {}, null), "UNAUTHENTICATED");
  });
});

describe(`sessions and API keys (${dbKind})`, () => {
  it("revokeSession ends one of my sessions, audited; others' and malformed IDs change nothing", async () => {
    const owner = await createOwner(exec);
    const second = await ok(exec, SIGN_IN, { e: owner.email, p: PASSWORD });
    const list = await ok(exec, `{ sessions { edges { node { id current } } } }`, {}, owner.token);
    const otherSession = list.sessions.edges.find((e: { node: { current: boolean } }) => !e.node.current).node.id;

    const stranger = await createOwner(exec, "Stranger");
    expectError(
      await exec(`mutation($id: ID!) { revokeSession(id: $id) { id } }`, { id: otherSession }, stranger.token),
      "NOT_FOUND",
    );
    expectError(
      await exec(`mutation { revokeSession(id: "not-an-id") { id } }`, {}, owner.token),
      "BAD_USER_INPUT",
      "id",
    );
    expect(await app.db.prisma.session.count({ where: { userId: owner.userId, revokedAt: { not: null } } })).toBe(0);

    const r = await ok(
      exec,
      `mutation($id: ID!) { revokeSession(id: $id) { id active revokedAt } }`,
      { id: otherSession },
      owner.token,
    );
    expect(r.revokeSession.active).toBe(false);
    expect((await ok(exec, `{ me { id } }`, {}, second.signIn.token)).me).toBeNull();
    expect((await ok(exec, `{ me { id } }`, {}, owner.token)).me.id).toBe(owner.id);
    expect(await auditRows({ userId: owner.userId, action: "session.revoked", tenantId: owner.tenantId })).toBe(1);
  });

  it("createApiKey returns the secret once and stores only its hash; use is recorded; revoked and expired keys are anonymous", async () => {
    const owner = await createOwner(exec);
    const d = await ok(
      exec,
      `mutation { createApiKey(name: " CLI ", scopes: [READ_PROFILE, READ_PROFILE, READ_AGENTS]) { secret apiKey { id name prefix scopes lastUsedAt } } }`,
      {},
      owner.token,
    );
    const { secret, apiKey: key } = d.createApiKey;
    expect(secret).toMatch(/^upk_[\w-]{43}$/);
    expect(key).toMatchObject({
      name: "CLI",
      prefix: secret.slice(0, 12),
      scopes: ["READ_PROFILE", "READ_AGENTS"],
      lastUsedAt: null,
    });
    const row = await app.db.prisma.apiKey.findUniqueOrThrow({ where: { id: dbId(key.id) } });
    expect(row.keyHash).toBe(createHash("sha256").update(secret).digest("hex"));
    expect(JSON.stringify(row)).not.toContain(secret.slice(12));
    expect(await auditRows({ userId: owner.userId, action: "api_key.created", tenantId: owner.tenantId })).toBe(1);

    expect((await ok(exec, `{ me { id } }`, {}, secret)).me.id).toBe(owner.id);
    const used = await app.db.prisma.apiKey.findUniqueOrThrow({ where: { id: row.id } });
    expect(used.lastUsedAt).not.toBeNull();
    const listed = await ok(exec, `{ apiKeys { edges { node { lastUsedAt } } } }`, {}, owner.token);
    expect(listed.apiKeys.edges[0].node.lastUsedAt).not.toBeNull();

    await ok(exec, `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id: key.id }, owner.token);
    expect(await auditRows({ userId: owner.userId, action: "api_key.revoked", tenantId: owner.tenantId })).toBe(1);
    expect((await ok(exec, `{ me { id } }`, {}, secret)).me).toBeNull();

    const second = await apiKey(owner, ["read:profile"]);
    await app.db.prisma.apiKey.updateMany({
      where: { userId: owner.userId, revokedAt: null },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect((await ok(exec, `{ me { id } }`, {}, second)).me).toBeNull();
  });

  it("createApiKey and revokeApiKey refuse bad input, keys, non-admins asking for admin, and others' keys", async () => {
    const admin = await createOwner(exec);
    const member = await createMember(exec, admin);
    const count = () => app.db.prisma.apiKey.count({ where: { userId: { in: [admin.userId, member.userId] } } });
    const C = `mutation($n: String!, $s: [ApiScope!]!, $x: DateTime) { createApiKey(name: $n, scopes: $s, expiresAt: $x) { secret } }`;

    expectError(await exec(C, { n: "k", s: [] }, member.token), "BAD_USER_INPUT", "scopes");
    expectError(await exec(C, { n: " ", s: ["READ_PROFILE"] }, member.token), "BAD_USER_INPUT", "name");
    expectError(await exec(C, { n: long(101), s: ["READ_PROFILE"] }, member.token), "BAD_USER_INPUT", "name");
    expectError(
      await exec(C, { n: "k", s: ["READ_PROFILE"], x: "2001-01-01T00:00:00Z" }, member.token),
      "BAD_USER_INPUT",
      "expiresAt",
    );
    expectInvalidDocument(
      await exec(`mutation { createApiKey(name: "k", scopes: [EVERYTHING]) { secret } }`, {}, member.token),
    );
    expectError(await exec(C, { n: "k", s: ["ADMIN"] }, member.token), "FORBIDDEN");
    expectError(await exec(C, { n: "k", s: ["READ_PROFILE"] }, null), "UNAUTHENTICATED");
    expect(await count()).toBe(0);

    // Keys cannot mint keys.
    const key = await apiKey(member, ["read:profile", "write:profile"]);
    expectError(await exec(C, { n: "k", s: ["READ_PROFILE"] }, key), "FORBIDDEN");
    expect(await count()).toBe(1);

    const adminKey = await apiKey(admin, ["admin"]);
    const memberKeyId = (await ok(exec, `{ apiKeys { edges { node { id } } } }`, {}, member.token)).apiKeys.edges[0]
      .node.id;
    expectError(
      await exec(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: memberKeyId }, admin.token),
      "NOT_FOUND",
    );
    expect(await app.db.prisma.apiKey.count({ where: { revokedAt: { not: null }, userId: member.userId } })).toBe(0);
    expect(adminKey).toMatch(/^upk_/);
  });
});

describe(`invites and roles (${dbKind})`, () => {
  it("createInvite by an admin, with validated input, audited", async () => {
    const admin = await createOwner(exec);
    const invites = () => app.db.prisma.invite.count({ where: { tenantId: admin.tenantId } });
    const I = `mutation($e: String, $d: Int) { createInvite(email: $e, expiresInDays: $d, role: member) { token invite { email expiresAt } } }`;
    expectError(await exec(I, { d: 0 }, admin.token), "BAD_USER_INPUT", "expiresInDays");
    expectError(await exec(I, { d: 91 }, admin.token), "BAD_USER_INPUT", "expiresInDays");
    expectError(await exec(I, { e: "nope" }, admin.token), "BAD_USER_INPUT", "email");
    expectInvalidDocument(await exec(`mutation { createInvite(role: owner) { token } }`, {}, admin.token));
    expectError(await exec(`mutation { createInvite(role: superadmin) { token } }`, {}, admin.token), "FORBIDDEN");
    expect(await invites()).toBe(0);

    const d = await ok(exec, I, { e: "Guest@Example.test", d: 3 }, admin.token);
    expect(d.createInvite.token).toMatch(/^upi_/);
    expect(d.createInvite.invite.email).toBe("guest@example.test");
    expect(await invites()).toBe(1);
    expect(await auditRows({ tenantId: admin.tenantId, action: "invite.created" })).toBe(1);
  });

  it("assignRole gives a member a role for a period, audited; refuses bad periods, superadmin and strangers", async () => {
    const admin = await createOwner(exec);
    const member = await createMember(exec, admin);
    const stranger = await createOwner(exec, "Stranger");
    const roles = () => app.db.prisma.roleAssignment.count({ where: { tenantId: admin.tenantId } });
    const A = `mutation($u: ID!, $r: Role!, $f: Date, $t: Date) { assignRole(userId: $u, role: $r, effectiveFrom: $f, effectiveTo: $t, isActing: true) { role isActing effectiveFrom effectiveTo inEffect } }`;
    const before = await roles();

    expectError(
      await exec(A, { u: member.id, r: "admin", f: "2030-02-01", t: "2030-01-01" }, admin.token),
      "BAD_USER_INPUT",
      "effectiveTo",
    );
    expectError(await exec(A, { u: member.id, r: "superadmin" }, admin.token), "FORBIDDEN");
    expectError(await exec(A, { u: stranger.id, r: "admin" }, admin.token), "NOT_FOUND");
    expectError(await exec(A, { u: member.id, r: "admin" }, member.token), "FORBIDDEN");
    expectInvalidDocument(
      await exec(`mutation($u: ID!) { assignRole(userId: $u, role: king) { id } }`, { u: member.id }, admin.token),
    );
    expect(await roles()).toBe(before);

    const d = await ok(exec, A, { u: member.id, r: "admin", f: "2030-01-01", t: "2030-12-31" }, admin.token);
    expect(d.assignRole).toEqual({
      role: "admin",
      isActing: true,
      effectiveFrom: "2030-01-01",
      effectiveTo: "2030-12-31",
      inEffect: false,
    });
    expect(await roles()).toBe(before + 1);
    expect(await auditRows({ tenantId: admin.tenantId, userId: admin.userId, action: "role.assigned" })).toBe(1);
  });
});

describe(`profile (${dbKind})`, () => {
  const U = `mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { displayName profile { fullName avatarUrl twitter preferences notificationSettings } } }`;

  it("updateProfile merges preferences and notification settings and keeps what it is not given", async () => {
    const owner = await createOwner(exec);
    await ok(
      exec,
      U,
      {
        i: { preferences: { theme: "dark", language: "en-GB" }, notificationSettings: { email: true }, twitter: "@me" },
      },
      owner.token,
    );
    const d = await ok(
      exec,
      U,
      {
        i: {
          displayName: "Renamed",
          preferences: { timezone: "Europe/Oslo" },
          notificationSettings: { weeklyDigest: false },
        },
      },
      owner.token,
    );
    expect(d.updateProfile.displayName).toBe("Renamed");
    expect(d.updateProfile.profile).toMatchObject({
      twitter: "me",
      preferences: { theme: "dark", language: "en-GB", timezone: "Europe/Oslo" },
      notificationSettings: { email: true, weekly_digest: false },
    });
    expect(
      (await ok(exec, U, { i: { avatarUrl: "https://cdn.example.test/a.png" } }, owner.token)).updateProfile.profile
        .avatarUrl,
    ).toBe("https://cdn.example.test/a.png");
  });

  it("updateProfile refuses invalid preferences, URLs and sizes, and writes nothing", async () => {
    const owner = await createOwner(exec);
    await ok(exec, U, { i: { preferences: { theme: "light" }, fullName: "Keep" } }, owner.token);
    const snapshot = async () => {
      const u = await app.db.prisma.user.findUniqueOrThrow({ where: { id: owner.userId }, include: { profile: true } });
      return JSON.stringify({ d: u.displayName, p: { ...u.profile, updatedAt: null } });
    };
    const before = await snapshot();
    const cases: [Record<string, unknown>, string][] = [
      [{ preferences: { theme: "purple" } }, "input.preferences.theme"],
      [{ preferences: { timezone: "Mars/Olympus_Mons" } }, "input.preferences.timezone"],
      [{ preferences: { language: "english" } }, "input.preferences.language"],
      [{ fullName: long(201) }, "input.fullName"],
      [{ displayName: "" }, "input.displayName"],
      [{ avatarUrl: "not a url" }, "input.avatarUrl"],
      [{ avatarUrl: "javascript:alert(document.cookie)" }, "input.avatarUrl"],
      [{ twitter: "<script>" }, "input.twitter"],
      [{ fullName: "Changed", preferences: { theme: "purple" } }, "input.preferences.theme"],
    ];
    for (const [i, field] of cases) expectError(await exec(U, { i }, owner.token), "BAD_USER_INPUT", field);
    expectInvalidDocument(
      await exec(`mutation { updateProfile(input: { onboardingCompleted: "yes" }) { id } }`, {}, owner.token),
    );
    expect(await snapshot()).toBe(before);
    expectError(await exec(U, { i: { fullName: "x" } }, await apiKey(owner, ["read:profile"])), "FORBIDDEN");
    expect(
      (await ok(exec, U, { i: { fullName: "By key" } }, await apiKey(owner, ["write:profile", "read:profile"])))
        .updateProfile.profile.fullName,
    ).toBe("By key");
  });
});

describe(`agents (${dbKind})`, () => {
  const CREATE = `mutation($i: AgentInput!) { createAgent(input: $i) { id name temperature model systemPrompt } }`;

  it("createAgent and updateAgent: admins only, validated, unique names per tenant", async () => {
    const admin = await createOwner(exec);
    const member = await createMember(exec, admin);
    const other = await createOwner(exec, "Other");
    const agents = () => app.db.prisma.agent.count({ where: { tenantId: admin.tenantId } });
    const d = await ok(
      exec,
      CREATE,
      { i: { name: " Scout ", temperature: 0.2, systemPrompt: "Be brief." } },
      admin.token,
    );
    expect(d.createAgent).toMatchObject({ name: "Scout", temperature: 0.2, systemPrompt: "Be brief." });
    const id = d.createAgent.id;

    const cases: [Record<string, unknown>, string][] = [
      [{ name: "Hot", temperature: 3 }, "input.temperature"],
      [{ name: "Cold", temperature: -0.1 }, "input.temperature"],
      [{ name: long(101) }, "input.name"],
      [{ name: "Big", maxTokens: 0 }, "input.maxTokens"],
      [{ name: "Red", color: "red" }, "input.color"],
      [{ name: "Wordy", systemPrompt: long(20_001) }, "input.systemPrompt"],
      [{ description: "no name" }, "input.name"],
    ];
    for (const [i, field] of cases) expectError(await exec(CREATE, { i }, admin.token), "BAD_USER_INPUT", field);
    expectInvalidDocument(
      await exec(`mutation { createAgent(input: { name: "T", temperature: "warm" }) { id } }`, {}, admin.token),
    );
    expectError(await exec(CREATE, { i: { name: "Scout  " } }, admin.token), "CONFLICT", "name");
    expectError(await exec(CREATE, { i: { name: "Mine" } }, member.token), "FORBIDDEN");
    expect(await agents()).toBe(1);

    const UPDATE = `mutation($id: ID!, $i: AgentInput!) { updateAgent(id: $id, input: $i) { name temperature isActive } }`;
    expect((await ok(exec, UPDATE, { id, i: { temperature: 1.5, isActive: false } }, admin.token)).updateAgent).toEqual(
      {
        name: "Scout",
        temperature: 1.5,
        isActive: false,
      },
    );
    await ok(exec, CREATE, { i: { name: "Second" } }, admin.token);
    expectError(await exec(UPDATE, { id, i: { name: "Second" } }, admin.token), "CONFLICT", "name");
    expectError(
      await exec(UPDATE, { id, i: { temperature: 2.5 } }, admin.token),
      "BAD_USER_INPUT",
      "input.temperature",
    );
    expectError(await exec(UPDATE, { id, i: { name: "Stolen" } }, other.token), "NOT_FOUND");
    expectError(await exec(UPDATE, { id, i: { name: "Mine" } }, member.token), "FORBIDDEN");
    const row = await app.db.prisma.agent.findUniqueOrThrow({ where: { id: dbId(id) } });
    expect([row.name, row.temperature]).toEqual(["Scout", 1.5]);
  });

  it("addAgent, updateUserAgent, shareUserAgent, removeUserAgent on my own copy only", async () => {
    const admin = await createOwner(exec);
    const owner = await createMember(exec, admin, "Owner");
    const member = await createMember(exec, admin, "Member");
    const other = await createOwner(exec, "Other");
    const agentId = (await ok(exec, CREATE, { i: { name: "Scout" } }, admin.token)).createAgent.id;
    const foreignAgent = (await ok(exec, CREATE, { i: { name: "Foreign" } }, other.token)).createAgent.id;
    const copies = () => app.db.prisma.userAgent.count({ where: { userId: owner.userId } });

    const ADD = `mutation($a: ID!, $i: UserAgentInput) { addAgent(agentId: $a, input: $i) { id customName customTemperature tags } }`;
    expectError(await exec(ADD, { a: foreignAgent }, owner.token), "NOT_FOUND");
    expectError(
      await exec(ADD, { a: agentId, i: { customTemperature: 3 } }, owner.token),
      "BAD_USER_INPUT",
      "input.customTemperature",
    );
    expectError(
      await exec(ADD, { a: agentId, i: { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) } }, owner.token),
      "BAD_USER_INPUT",
      "input.tags",
    );
    expectError(
      await exec(ADD, { a: agentId, i: { customName: long(101) } }, owner.token),
      "BAD_USER_INPUT",
      "input.customName",
    );
    expect(await copies()).toBe(0);

    const added = await ok(
      exec,
      ADD,
      { a: agentId, i: { customName: "Mine", tags: ["a", "a", "b"], customTemperature: 0.7 } },
      owner.token,
    );
    expect(added.addAgent).toMatchObject({ customName: "Mine", tags: ["a", "b"], customTemperature: 0.7 });
    const uaId = added.addAgent.id;
    expect((await ok(exec, ADD, { a: agentId }, owner.token)).addAgent.id).toBe(uaId);
    expect(await copies()).toBe(1);

    const UPD = `mutation($id: ID!, $i: UserAgentInput!) { updateUserAgent(id: $id, input: $i) { notes isPinned folder status archivedAt settings } }`;
    const u = await ok(
      exec,
      UPD,
      { id: uaId, i: { notes: "n", isPinned: true, folder: "work", archived: true, settings: { mode: "x" } } },
      owner.token,
    );
    expect(u.updateUserAgent).toMatchObject({
      notes: "n",
      isPinned: true,
      folder: "work",
      status: "archived",
      settings: { mode: "x" },
    });
    expect(u.updateUserAgent.archivedAt).not.toBeNull();
    const bad: [Record<string, unknown>, string][] = [
      [{ status: "deleted" }, "input.status"],
      [{ notes: long(10_001) }, "input.notes"],
      [{ customColor: "blue" }, "input.customColor"],
      [{ settings: [1, 2] }, "input.settings"],
      [{ notificationSettings: { email: "yes" } }, "input.notificationSettings.email"],
    ];
    for (const [i, field] of bad) expectError(await exec(UPD, { id: uaId, i }, owner.token), "BAD_USER_INPUT", field);
    expectError(await exec(UPD, { id: uaId, i: { notes: "hijack" } }, member.token), "NOT_FOUND");
    expect((await app.db.prisma.userAgent.findUniqueOrThrow({ where: { id: dbId(uaId) } })).notes).toBe("n");

    const SHARE = `mutation($id: ID!, $u: [ID!]!) { shareUserAgent(id: $id, userIds: $u) { isShared sharedWith } }`;
    expectError(await exec(SHARE, { id: uaId, u: [other.id] }, owner.token), "BAD_USER_INPUT", "userIds");
    expect((await app.db.prisma.userAgent.findUniqueOrThrow({ where: { id: dbId(uaId) } })).isShared).toBe(false);
    expect((await ok(exec, SHARE, { id: uaId, u: [member.id, owner.id] }, owner.token)).shareUserAgent).toEqual({
      isShared: true,
      sharedWith: [member.id],
    });
    expectError(await exec(SHARE, { id: uaId, u: [admin.id] }, member.token), "NOT_FOUND");

    const REMOVE = `mutation($id: ID!) { removeUserAgent(id: $id) }`;
    expectError(await exec(REMOVE, { id: uaId }, member.token), "NOT_FOUND");
    expect((await ok(exec, REMOVE, { id: uaId }, owner.token)).removeUserAgent).toBe(uaId);
    expect(
      (await ok(exec, `{ myAgents(includeArchived: true) { edges { node { id } } } }`, {}, owner.token)).myAgents.edges,
    ).toEqual([]);
    expect((await ok(exec, `{ sharedAgents { edges { node { id } } } }`, {}, member.token)).sharedAgents.edges).toEqual(
      [],
    );
    expectError(await exec(REMOVE, { id: uaId }, owner.token), "NOT_FOUND");
  });

  it("setFavorite marks and unmarks an item, only items of my tenant", async () => {
    const admin = await createOwner(exec);
    const other = await createOwner(exec, "Other");
    const agentId = (await ok(exec, CREATE, { i: { name: "Scout" } }, admin.token)).createAgent.id;
    const foreign = (await ok(exec, CREATE, { i: { name: "Foreign" } }, other.token)).createAgent.id;
    const F = `mutation($t: String!, $i: ID!, $f: Boolean!, $n: String) { setFavorite(itemType: $t, itemId: $i, favorite: $f, notes: $n) }`;
    const favs = () => app.db.prisma.favorite.count({ where: { userId: admin.userId } });

    expectError(await exec(F, { t: "planet", i: agentId, f: true }, admin.token), "BAD_USER_INPUT", "itemType");
    expectError(await exec(F, { t: "agent", i: foreign, f: true }, admin.token), "NOT_FOUND");
    expectError(await exec(F, { t: "agent", i: "nope", f: true }, admin.token), "BAD_USER_INPUT", "itemId");
    expectError(
      await exec(F, { t: "agent", i: agentId, f: true, n: long(1001) }, admin.token),
      "BAD_USER_INPUT",
      "notes",
    );
    expect(await favs()).toBe(0);

    expect((await ok(exec, F, { t: "agent", i: agentId, f: true, n: "daily" }, admin.token)).setFavorite).toBe(true);
    expect((await ok(exec, F, { t: "agent", i: agentId, f: true }, admin.token)).setFavorite).toBe(true);
    expect(
      (await ok(exec, `{ favorites { edges { node { itemType notes } } } }`, {}, admin.token)).favorites.edges,
    ).toEqual([{ node: { itemType: "agent", notes: "daily" } }]);
    expect((await ok(exec, F, { t: "agent", i: agentId, f: false }, admin.token)).setFavorite).toBe(false);
    expect(await favs()).toBe(0);
  });
});

describe(`ratings (${dbKind})`, () => {
  const RATE = `mutation($i: ID!, $r: Int!, $v: String, $t: String!) { rate(itemType: $t, itemId: $i, rating: $r, review: $v) { id rating review } }`;

  it("rate validates, updates my one rating per item, and summarises average, count and distribution", async () => {
    const admin = await createOwner(exec);
    const a = await createMember(exec, admin, "A");
    const b = await createMember(exec, admin, "B");
    const other = await createOwner(exec, "Other");
    const agentId = (await ok(exec, `mutation { createAgent(input: { name: "Scout" }) { id } }`, {}, admin.token))
      .createAgent.id;
    const foreign = (await ok(exec, `mutation { createAgent(input: { name: "Far" }) { id } }`, {}, other.token))
      .createAgent.id;
    const ratings = () => app.db.prisma.rating.count({ where: { tenantId: admin.tenantId } });

    expectError(await exec(RATE, { t: "agent", i: agentId, r: 6 }, a.token), "BAD_USER_INPUT", "rating");
    expectError(await exec(RATE, { t: "agent", i: agentId, r: 0 }, a.token), "BAD_USER_INPUT", "rating");
    expectError(await exec(RATE, { t: "agent", i: agentId, r: 3, v: long(5001) }, a.token), "BAD_USER_INPUT", "review");
    expectError(await exec(RATE, { t: "song", i: agentId, r: 3 }, a.token), "BAD_USER_INPUT", "itemType");
    expectError(await exec(RATE, { t: "agent", i: "12", r: 3 }, a.token), "BAD_USER_INPUT", "itemId");
    expectError(await exec(RATE, { t: "agent", i: foreign, r: 3 }, a.token), "NOT_FOUND");
    expectInvalidDocument(
      await exec(`mutation { rate(itemType: "agent", itemId: "x", rating: 4.5) { id } }`, {}, a.token),
    );
    expect(await ratings()).toBe(0);

    const first = await ok(exec, RATE, { t: "agent", i: agentId, r: 2, v: "meh" }, a.token);
    const again = await ok(exec, RATE, { t: "agent", i: agentId, r: 4, v: "  better  " }, a.token);
    expect(again.rate).toEqual({ id: first.rate.id, rating: 4, review: "better" });
    await ok(exec, RATE, { t: "agent", i: agentId, r: 4 }, b.token);
    await ok(exec, RATE, { t: "agent", i: agentId, r: 5 }, admin.token);
    await ok(exec, RATE, { t: "agent", i: foreign, r: 1 }, other.token);
    expect(await ratings()).toBe(3);

    const S = `query($i: ID!) { ratingSummary(itemType: "agent", itemId: $i) { average count distribution } }`;
    expect((await ok(exec, S, { i: agentId }, b.token)).ratingSummary).toEqual({
      average: 4.33,
      count: 3,
      distribution: [0, 0, 0, 2, 1],
    });
    expect((await ok(exec, S, { i: dbId(agentId) }, b.token)).ratingSummary.count).toBe(3);
  });

  it("markRatingHelpful counts once per user, never my own, never another tenant's", async () => {
    const admin = await createOwner(exec);
    const a = await createMember(exec, admin, "A");
    const b = await createMember(exec, admin, "B");
    const other = await createOwner(exec, "Other");
    const agentId = (await ok(exec, `mutation { createAgent(input: { name: "Scout" }) { id } }`, {}, admin.token))
      .createAgent.id;
    const ratingId = (await ok(exec, RATE, { t: "agent", i: agentId, r: 5 }, a.token)).rate.id;
    const H = `mutation($id: ID!) { markRatingHelpful(id: $id) { helpfulCount } }`;

    expectError(await exec(H, { id: ratingId }, a.token), "BAD_USER_INPUT", "id");
    expectError(await exec(H, { id: ratingId }, other.token), "NOT_FOUND");
    expect((await ok(exec, H, { id: ratingId }, b.token)).markRatingHelpful.helpfulCount).toBe(1);
    expect((await ok(exec, H, { id: ratingId }, b.token)).markRatingHelpful.helpfulCount).toBe(1);
    expect((await ok(exec, H, { id: ratingId }, admin.token)).markRatingHelpful.helpfulCount).toBe(2);
    expect(await app.db.prisma.ratingHelpfulVote.count({ where: { ratingId: dbId(ratingId) } })).toBe(2);
  });
});

describe(`memories (${dbKind})`, () => {
  const CREATE = `mutation($i: MemoryInput!) { createMemory(input: $i) { id memoryKey content importanceScore value } }`;

  it("createMemory, updateMemory and deleteMemory validate their input and touch only my memories", async () => {
    const owner = await createOwner(exec);
    const other = await createOwner(exec, "Other");
    const mine = () => app.db.prisma.memory.count({ where: { userId: owner.userId } });
    const bad: [Record<string, unknown>, string][] = [
      [{ memoryType: "fact", memoryKey: "k", content: "c", importanceScore: 1.5 }, "input.importanceScore"],
      [{ memoryType: "fact", memoryKey: "k", content: "c", importanceScore: -0.1 }, "input.importanceScore"],
      [{ memoryType: "fact", memoryKey: "k", content: "   " }, "input.content"],
      [{ memoryType: "fact", memoryKey: "k", content: long(10_001) }, "input.content"],
      [{ memoryType: "fact", memoryKey: long(201), content: "c" }, "input.memoryKey"],
      [{ memoryKey: "k", content: "c" }, "input.memoryType"],
      [{ memoryType: "fact", memoryKey: "k", content: "c", value: "flat" }, "input.value"],
    ];
    for (const [i, field] of bad) expectError(await exec(CREATE, { i }, owner.token), "BAD_USER_INPUT", field);
    expectInvalidDocument(
      await exec(
        `mutation { createMemory(input: { memoryType: rumour, memoryKey: "k", content: "c" }) { id } }`,
        {},
        owner.token,
      ),
    );
    expect(await mine()).toBe(0);

    const d = await ok(
      exec,
      CREATE,
      {
        i: {
          memoryType: "preference",
          memoryKey: " tone ",
          content: "Prefers short answers",
          importanceScore: 0.9,
          value: { source: "chat" },
        },
      },
      owner.token,
    );
    expect(d.createMemory).toMatchObject({
      memoryKey: "tone",
      importanceScore: 0.9,
      value: { source: "chat", content: "Prefers short answers" },
    });
    const id = d.createMemory.id;
    expectError(
      await exec(CREATE, { i: { memoryType: "fact", memoryKey: "tone", content: "dup" } }, owner.token),
      "CONFLICT",
      "memoryKey",
    );
    expect(await mine()).toBe(1);

    const UPD = `mutation($id: ID!, $i: MemoryInput!) { updateMemory(id: $id, input: $i) { content importanceScore embeddingModel } }`;
    const before = await app.db.prisma.memory.findUniqueOrThrow({ where: { id: dbId(id) } });
    const u = await ok(
      exec,
      UPD,
      { id, i: { content: "Prefers detailed answers", importanceScore: 0.3 } },
      owner.token,
    );
    expect(u.updateMemory).toMatchObject({ content: "Prefers detailed answers", importanceScore: 0.3 });
    const after = await app.db.prisma.memory.findUniqueOrThrow({ where: { id: dbId(id) } });
    expect(after.embedding).not.toEqual(before.embedding);
    expectError(
      await exec(UPD, { id, i: { importanceScore: 2 } }, owner.token),
      "BAD_USER_INPUT",
      "input.importanceScore",
    );
    expectError(await exec(UPD, { id, i: { content: "stolen" } }, other.token), "NOT_FOUND");
    expectError(await exec(`mutation($id: ID!) { deleteMemory(id: $id) }`, { id }, other.token), "NOT_FOUND");
    expect((await app.db.prisma.memory.findUniqueOrThrow({ where: { id: dbId(id) } })).content).toBe(
      "Prefers detailed answers",
    );

    expect((await ok(exec, `mutation($id: ID!) { deleteMemory(id: $id) }`, { id }, owner.token)).deleteMemory).toBe(id);
    expect(await mine()).toBe(0);
    expectError(await exec(`mutation($id: ID!) { deleteMemory(id: $id) }`, { id }, owner.token), "NOT_FOUND");
  });

  it("memories filter by type and importance; search counts accesses and never returns expired memories", async () => {
    const owner = await createOwner(exec);
    const make = async (memoryType: string, memoryKey: string, content: string, importanceScore: number) =>
      (await ok(exec, CREATE, { i: { memoryType, memoryKey, content, importanceScore } }, owner.token)).createMemory
        .id as string;
    const cat = await make("fact", "pet", "The user has a cat named Miso", 0.9);
    await make("preference", "tone", "Prefers formal emails", 0.4);
    const old = await make("fact", "pet-old", "The user had a cat named Pixel", 0.95);
    await app.db.prisma.memory.update({ where: { id: dbId(old) }, data: { expiresAt: new Date(Date.now() - 1000) } });

    const L = `query($t: MemoryType, $m: Float) { memories(memoryType: $t, minImportance: $m) { edges { node { id memoryKey } } } }`;
    const keys = async (v: Record<string, unknown>) =>
      (await ok(exec, L, v, owner.token)).memories.edges.map((e: { node: { memoryKey: string } }) => e.node.memoryKey);
    expect(await keys({})).toEqual(["pet", "tone"]);
    expect(await keys({ t: "preference" })).toEqual(["tone"]);
    expect(await keys({ m: 0.5 })).toEqual(["pet"]);
    expectError(await exec(L, { m: 1.5 }, owner.token), "BAD_USER_INPUT", "minImportance");

    const S = `query($q: String!, $n: Int) { searchMemories(query: $q, first: $n) { score memory { id accessCount lastAccessedAt } } }`;
    const hits = (await ok(exec, S, { q: "my cat", n: 10 }, owner.token)).searchMemories;
    expect(hits.map((h: { memory: { id: string } }) => h.memory.id)).not.toContain(old);
    expect(hits[0].memory.id).toBe(cat);
    const row = await app.db.prisma.memory.findUniqueOrThrow({ where: { id: dbId(cat) } });
    expect(row.accessCount).toBe(1);
    expect(row.lastAccessedAt).not.toBeNull();
    await ok(exec, S, { q: "my cat", n: 10 }, owner.token);
    expect((await app.db.prisma.memory.findUniqueOrThrow({ where: { id: dbId(cat) } })).accessCount).toBe(2);
    expect((await app.db.prisma.memory.findUniqueOrThrow({ where: { id: dbId(old) } })).accessCount).toBe(0);

    expectError(await exec(S, { q: "cat", n: 51 }, owner.token), "BAD_USER_INPUT", "first");
    expectError(await exec(S, { q: "" }, owner.token), "BAD_USER_INPUT", "query");
    expectError(
      await exec(
        `mutation($id: ID!) { updateMemory(id: $id, input: { importanceScore: 0.1 }) { id } }`,
        { id: old },
        owner.token,
      ),
      "NOT_FOUND",
    );
  });
});

describe(`quotas (${dbKind})`, () => {
  it("setQuota: admins only, validated, one standing row per type, audited", async () => {
    const admin = await createOwner(exec);
    const member = await createMember(exec, admin);
    const rows = () => app.db.prisma.quota.count({ where: { tenantId: admin.tenantId } });
    const Q = `mutation($t: QuotaType!, $l: Float!, $a: Float, $p: QuotaPeriod) { setQuota(quotaType: $t, quotaLimit: $l, alertThresholdPercentage: $a, period: $p) { quotaType period quotaLimit alertThresholdPercentage } }`;

    expectError(await exec(Q, { t: "tokens", l: -1 }, admin.token), "BAD_USER_INPUT", "quotaLimit");
    expectError(await exec(Q, { t: "tokens", l: 1.5 }, admin.token), "BAD_USER_INPUT", "quotaLimit");
    expectError(
      await exec(Q, { t: "tokens", l: 10, a: 101 }, admin.token),
      "BAD_USER_INPUT",
      "alertThresholdPercentage",
    );
    expectInvalidDocument(await exec(`mutation { setQuota(quotaType: gold, quotaLimit: 1) { id } }`, {}, admin.token));
    expectInvalidDocument(
      await exec(`mutation { setQuota(quotaType: tokens, quotaLimit: 1, period: fortnight) { id } }`, {}, admin.token),
    );
    expectError(await exec(Q, { t: "tokens", l: 10 }, member.token), "FORBIDDEN");
    expect(await rows()).toBe(0);

    const d = await ok(exec, Q, { t: "api_calls", l: 500, a: 90, p: "week" }, admin.token);
    expect(d.setQuota).toEqual({
      quotaType: "api_calls",
      period: "week",
      quotaLimit: 500,
      alertThresholdPercentage: 90,
    });
    expect((await ok(exec, Q, { t: "api_calls", l: 800 }, admin.token)).setQuota).toMatchObject({
      period: "week",
      quotaLimit: 800,
      alertThresholdPercentage: 90,
    });
    expect(await rows()).toBe(1);
    expect(await auditRows({ tenantId: admin.tenantId, action: "quota.set" })).toBe(2);
  });
});

describe(`endRoleAssignment (${dbKind})`, () => {
  it("ends a member's admin role at once, is audited, and is for admins only", async () => {
    const app2 = await createTestApp();
    const exec2 = executor(app2);
    try {
      const admin = await createOwner(exec2, "Chief");
      const member = await createMember(exec2, admin, "Deputy");
      const granted = await ok(
        exec2,
        `mutation($u: ID!) { assignRole(userId: $u, role: admin) { id inEffect } }`,
        { u: member.id },
        admin.token,
      );
      expect(granted.assignRole.inEffect).toBe(true);
      const adminQuery = `{ auditLog(first: 1) { edges { node { action } } } }`;
      expect(codeOf(await exec2(adminQuery, {}, member.token))).toBeUndefined();

      const denied = await exec2(
        `mutation($id: ID!) { endRoleAssignment(id: $id) { id } }`,
        { id: granted.assignRole.id },
        member.token,
      );
      expect(codeOf(denied)).toBe("FORBIDDEN");

      const ended = await ok(
        exec2,
        `mutation($id: ID!) { endRoleAssignment(id: $id) { inEffect effectiveTo } }`,
        { id: granted.assignRole.id },
        admin.token,
      );
      expect(ended.endRoleAssignment.inEffect).toBe(false);
      expect(codeOf(await exec2(adminQuery, {}, member.token))).toBe("FORBIDDEN");
      const audit = await app2.db.prisma.auditLog.count({ where: { action: "role.ended", tenantId: admin.tenantId } });
      expect(audit).toBe(1);
    } finally {
      await app2.stop();
    }
  });
});

describe(`errors before execution (${dbKind})`, () => {
  it("a variable of the wrong type is BAD_USER_INPUT, and nothing is written", async () => {
    const user = await createOwner(exec);
    const before = await app.db.prisma.memory.count({ where: { userId: user.userId } });
    const r = await exec(
      `mutation($input: MemoryInput!) { createMemory(input: $input) { id } }`,
      { input: { memoryKey: "k", memoryType: "fact", content: "c", importanceScore: "very" } },
      user.token,
    );
    expect(codeOf(r)).toBe("BAD_USER_INPUT");
    expect(r.errors?.[0]?.message).toMatch(/importanceScore/);
    expect(await app.db.prisma.memory.count({ where: { userId: user.userId } })).toBe(before);
  });
});
