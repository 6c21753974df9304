// Mutations of sessions, API keys, invites and roles: the success path, and each kind of bad
// input with its stable code, the field at fault, and proof that nothing was written.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { publishViewerChanged } from "../../server/services/sessions.ts";
import { codeOf, createMember, createOwner, createTestApp, dbId, dbKind, executor, ok } from "../kit.ts";
import {
  apiKey,
  app,
  auditRows,
  exec,
  expectError,
  expectInvalidDocument,
  long,
  PASSWORD,
  SIGN_IN,
  setUpMutationApp,
} from "../support/mutations.ts";

setUpMutationApp();

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
    // Written behind the app's back, as the clock would: tell it, as its own writes do.
    publishViewerChanged(app.services.pubsub, owner.userId, "key expired");
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
