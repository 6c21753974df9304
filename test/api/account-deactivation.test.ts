// Admins deactivate and reactivate members: a deactivated member's sessions, API keys and open
// WebSocket stop at once, sign-in is refused (ACCOUNT_DEACTIVATED, told only to whoever knows the
// password), their data stays, the members list shows it, and every change is audited. Refusals:
// members, oneself, other tenants' users.
import { describe, expect } from "vitest";
import { appTest, codeOf, createApiKey, createMember, createOwner, dbKind, ok } from "../kit.ts";
import { connect, watch } from "../support/analysis.ts";

const it = appTest({ config: { RUN_WORKER: "false" } });

const DEACTIVATE = `mutation($id: ID!) { deactivateMember(userId: $id) { id profile { isActive } } }`;
const REACTIVATE = `mutation($id: ID!) { reactivateMember(userId: $id) { id profile { isActive } } }`;
const SIGN_IN = `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }`;
const MEMBERS = `{ me { tenant { members(first: 50) { edges { node { id profile { isActive } } } } } } }`;

describe(`deactivating members (${dbKind})`, () => {
  it("ends the member's sessions, keys and socket at once and refuses sign-in; reactivation lets them back", async ({
    app,
    exec,
    owner: admin,
  }) => {
    const member = await createMember(exec, admin, "Paused");
    const key = await createApiKey(exec, member, ["READ_PROFILE", "WRITE_MEMORIES"]);
    await app.db.prisma.memory.create({
      data: {
        userId: member.userId,
        tenantId: admin.tenantId,
        memoryType: "fact",
        memoryKey: "kept",
        memoryValue: {},
        content: "kept through deactivation",
        embedding: [],
        embeddingModel: "test",
      },
    });
    const { url } = await app.start();
    const ws = connect(url, member.token);
    const live = watch<{ id: string }>(ws, `query @live { me { id } }`, {});
    await live.until((me) => me?.id === member.id);

    const d = await ok(exec, DEACTIVATE, { id: member.id }, admin.token);
    expect(d.deactivateMember.profile.isActive).toBe(false);
    expect(await ws.closed).toBe(4401);
    expect((await ok(exec, `{ me { id } }`, {}, member.token)).me).toBeNull();
    expect(codeOf(await exec(`{ me { id } apiKeys { edges { node { id } } } }`, {}, key))).toBe("UNAUTHENTICATED");
    const refused = await exec(SIGN_IN, { e: member.email, p: member.password });
    expect(codeOf(refused)).toBe("ACCOUNT_DEACTIVATED");
    expect(codeOf(await exec(SIGN_IN, { e: member.email, p: "a wrong password here" }))).toBe("UNAUTHENTICATED");
    // Data stays, and the members list shows who is off.
    expect(await app.db.prisma.memory.count({ where: { userId: member.userId } })).toBe(1);
    const list = await ok(exec, MEMBERS, {}, admin.token);
    const row = list.me.tenant.members.edges.find((e: { node: { id: string } }) => e.node.id === member.id);
    expect(row.node.profile.isActive).toBe(false);
    // Again is a no-op, not an error.
    await ok(exec, DEACTIVATE, { id: member.id }, admin.token);

    const r = await ok(exec, REACTIVATE, { id: member.id }, admin.token);
    expect(r.reactivateMember.profile.isActive).toBe(true);
    // The old session stays ended; the key works again; sign-in works.
    expect((await ok(exec, `{ me { id } }`, {}, member.token)).me).toBeNull();
    expect((await ok(exec, `{ me { id } }`, {}, key)).me.id).toBe(member.id);
    expect((await ok(exec, SIGN_IN, { e: member.email, p: member.password })).signIn.token).toMatch(/^ups_/);

    const actions = await app.db.prisma.auditLog.findMany({
      where: { tenantId: admin.tenantId, resourceId: member.userId, action: { startsWith: "member." } },
      orderBy: { createdAt: "asc" },
    });
    expect(actions.map((a) => [a.action, a.userId])).toEqual([
      ["member.deactivated", admin.userId],
      ["member.reactivated", admin.userId],
    ]);
    await ws.dispose();
  });

  it("refuses members, oneself and other workspaces' users, and changes nothing", async ({ exec, owner: admin }) => {
    const member = await createMember(exec, admin, "Peer");
    const other = await createMember(exec, admin, "Other");
    const stranger = await createOwner(exec, "Elsewhere");
    expect(codeOf(await exec(DEACTIVATE, { id: other.id }, member.token))).toBe("FORBIDDEN");
    expect(codeOf(await exec(DEACTIVATE, { id: admin.id }, admin.token))).toBe("FORBIDDEN");
    expect(codeOf(await exec(DEACTIVATE, { id: stranger.id }, admin.token))).toBe("NOT_FOUND");
    expect(codeOf(await exec(DEACTIVATE, { id: other.id }))).toBe("UNAUTHENTICATED");
    const memberKey = await createApiKey(exec, member, ["READ_PROFILE"]);
    expect(codeOf(await exec(DEACTIVATE, { id: other.id }, memberKey))).toBe("FORBIDDEN");
    // The admin's own key without the admin scope is not the admin.
    const plainKey = await createApiKey(exec, admin, ["READ_PROFILE", "WRITE_PROFILE"]);
    expect(codeOf(await exec(DEACTIVATE, { id: other.id }, plainKey))).toBe("FORBIDDEN");
    expect(codeOf(await exec(REACTIVATE, { id: other.id }, member.token))).toBe("FORBIDDEN");
    for (const u of [admin, member, other, stranger])
      expect((await ok(exec, `{ me { id } }`, {}, u.token)).me.id).toBe(u.id);
  });

  it("an admin key with the admin scope may deactivate, and a deactivated admin no longer counts as one", async ({
    exec,
    owner: admin,
  }) => {
    const deputy = await createMember(exec, admin, "Deputy", "admin");
    await createMember(exec, admin, "Crew");
    const adminKey = await createApiKey(exec, admin, ["ADMIN", "READ_PROFILE"]);
    await ok(exec, DEACTIVATE, { id: deputy.id }, adminKey);
    // With the deputy off, the lead is the last admin and may not leave the crew behind.
    expect(
      codeOf(
        await exec(
          `mutation($p: String!) { deleteMyAccount(password: $p) { purgeAfter } }`,
          { p: admin.password },
          admin.token,
        ),
      ),
    ).toBe("LAST_ADMIN");
  });
});
