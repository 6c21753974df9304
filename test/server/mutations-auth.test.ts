// Mutations of signUp, signIn and signOut, with the sign-in throttles: the success path, and each kind of bad
// input with its stable code, the field at fault, and proof that nothing was written.
import { createHash, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { publishViewerChanged } from "../../server/services/sessions.ts";
import { createMember, createOwner, dbId, dbKind, ok, uniqueEmail } from "../kit.ts";
import {
  app,
  auditRows,
  exec,
  expectError,
  expectInvalidDocument,
  FIREFOX_MAC,
  ipFor,
  long,
  overHttp,
  PASSWORD,
  SIGN_IN,
  SIGN_UP,
  setUpMutationApp,
} from "../support/mutations.ts";

setUpMutationApp();

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

  it("concurrent sign-ups naming the same workspace all succeed, each with its own slug", async () => {
    const name = `Race ${randomUUID().slice(0, 8)}`;
    const made = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        ok(
          exec,
          `mutation($e: String!, $p: String!, $t: String!) { signUp(email: $e, password: $p, displayName: "R", tenantName: $t) { user { tenant { id } } } }`,
          { e: `race-${i}-${randomUUID()}@example.test`, p: "correct horse battery staple", t: name },
        ),
      ),
    );
    const ids = made.map((m) => m.signUp.user.tenant.id as string);
    const slugs = await app.db.prisma.tenant.findMany({ where: { id: { in: ids.map(dbId) } }, select: { slug: true } });
    expect(new Set(slugs.map((t) => t.slug)).size).toBe(6);
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
    // Written behind the app's back, as the clock would: tell it, as its own writes do.
    publishViewerChanged(app.services.pubsub, owner.userId, "an hour later");
    expect((await ok(exec, `{ me { id } }`, {}, owner.token)).me.id).toBe(owner.id);
    const renewed = await app.db.prisma.session.findUniqueOrThrow({ where: { tokenHash } });
    expect(renewed.expiresAt.getTime()).toBeGreaterThan(soon.getTime() + 3_600_000);
    expect(renewed.lastSeenAt.getTime()).toBeGreaterThan(Date.now() - 600_000);

    await app.db.prisma.session.update({ where: { tokenHash }, data: { expiresAt: new Date(Date.now() - 1000) } });
    publishViewerChanged(app.services.pubsub, owner.userId, "expired");
    expect((await ok(exec, `{ me { id } }`, {}, owner.token)).me).toBeNull();
  });

  it("a renewal that cannot be written does not fail the request; the next request writes it", async () => {
    const owner = await createOwner(exec);
    const tokenHash = createHash("sha256").update(owner.token).digest("hex");
    const soon = new Date(Date.now() + 60_000);
    const s = await app.db.prisma.session.update({
      where: { tokenHash },
      data: { lastSeenAt: new Date(Date.now() - 3_600_000), expiresAt: soon },
    });
    publishViewerChanged(app.services.pubsub, owner.userId, "an hour later");
    // The renewal's write fails, as one does when the database is too busy to take it in time.
    const prisma = app.db.prisma;
    await prisma.$executeRawUnsafe(`CREATE FUNCTION refuse_renewal() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION 'renewal refused by the test'; END $$`);
    await prisma.$executeRawUnsafe(`CREATE TRIGGER refuse_renewal BEFORE UPDATE ON sessions FOR EACH ROW
      WHEN (OLD.id = '${s.id}') EXECUTE FUNCTION refuse_renewal()`);
    try {
      expect((await ok(exec, `{ me { id } }`, {}, owner.token)).me.id).toBe(owner.id);
      const kept = await prisma.session.findUniqueOrThrow({ where: { tokenHash } });
      expect(kept.expiresAt.getTime()).toBe(soon.getTime());
    } finally {
      await prisma.$executeRawUnsafe(`DROP TRIGGER refuse_renewal ON sessions`);
      await prisma.$executeRawUnsafe(`DROP FUNCTION refuse_renewal()`);
    }
    // The viewer was not kept with its renewal unwritten: this request reads it again and renews.
    expect((await ok(exec, `{ me { id } }`, {}, owner.token)).me.id).toBe(owner.id);
    const renewed = await prisma.session.findUniqueOrThrow({ where: { tokenHash } });
    expect(renewed.expiresAt.getTime()).toBeGreaterThan(soon.getTime() + 3_600_000);
    const profile = await prisma.profile.findUniqueOrThrow({ where: { userId: owner.userId } });
    expect(profile.lastSeenAt?.getTime()).toBe(renewed.lastSeenAt.getTime());
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
