// Memories, quotas, usage and the audit log: each rule allows exactly the viewers DESIGN.md
// section 3 names.
import { describe, expect, it } from "vitest";
import { dbKind, ok, type TestUser } from "../kit.ts";
import { apiKey, app, exec, expectDenied, gid, setUpAuthorizationApp, world } from "../support/authorization.ts";

setUpAuthorizationApp();

describe(`memories (${dbKind})`, () => {
  const MEM = `query($id: ID!) { node(id: $id) { ... on Memory { content } } }`;
  const LIST = `{ memories { edges { node { id content } } } }`;

  it("are the owner's alone: no admin, member, other tenant, or key without read:memories", async () => {
    const { admin, owner, member, other } = await world();
    const d = await ok(
      exec,
      `mutation { createMemory(input: { memoryType: fact, memoryKey: "diagnosis", content: "Owner has asthma" }) { id } }`,
      {},
      owner.token,
    );
    const memId = d.createMemory.id;
    expect((await ok(exec, MEM, { id: memId }, owner.token)).node.content).toBe("Owner has asthma");
    expect((await ok(exec, LIST, {}, owner.token)).memories.edges).toHaveLength(1);

    for (const who of [admin, member, other]) {
      expectDenied(await exec(MEM, { id: memId }, who.token), ["node"]);
      expect((await ok(exec, LIST, {}, who.token)).memories.edges).toEqual([]);
      expect(
        (await ok(exec, `{ searchMemories(query: "asthma") { memory { id } } }`, {}, who.token)).searchMemories,
      ).toEqual([]);
    }
    expectDenied(await exec(MEM, { id: memId }, null), ["node"], "UNAUTHENTICATED");

    const readKey = await apiKey(owner, ["read:memories"]);
    expect((await ok(exec, MEM, { id: memId }, readKey)).node.content).toBe("Owner has asthma");
    const hits = await ok(exec, `{ searchMemories(query: "asthma") { memory { content } } }`, {}, readKey);
    expect(hits.searchMemories[0].memory.content).toBe("Owner has asthma");

    const noKey = await apiKey(owner, ["read:profile", "write:memories"]);
    expectDenied(await exec(MEM, { id: memId }, noKey), ["node"]);
    expectDenied(await exec(LIST, {}, noKey), ["memories"]);
    expectDenied(await exec(`{ searchMemories(query: "asthma") { score } }`, {}, noKey), ["searchMemories"]);

    const del = await exec(`mutation($id: ID!) { deleteMemory(id: $id) }`, { id: memId }, admin.token);
    expect(del.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(await app.db.prisma.memory.count({ where: { userId: owner.userId } })).toBe(1);
  });
});

describe(`quotas, usage and the audit log (${dbKind})`, () => {
  it("quotas are read by members and set by admins only", async () => {
    const { admin, owner, member, other } = await world();
    await ok(exec, `mutation { setQuota(quotaType: tokens, quotaLimit: 1000) { id } }`, {}, admin.token);
    const Q = `{ quotas { edges { node { quotaType quotaLimit usagePercentage } } } }`;
    for (const who of [owner, member, admin]) {
      expect((await ok(exec, Q, {}, who.token)).quotas.edges.map((e: { node: unknown }) => e.node)).toEqual([
        { quotaType: "tokens", quotaLimit: 1000, usagePercentage: 0 },
      ]);
    }
    expect((await ok(exec, Q, {}, other.token)).quotas.edges).toEqual([]);
    expectDenied(await exec(Q, {}, null), ["quotas"], "UNAUTHENTICATED");
    expect((await ok(exec, Q, {}, await apiKey(member, ["read:usage"]))).quotas.edges).toHaveLength(1);
    expectDenied(await exec(Q, {}, await apiKey(member, ["read:agents"])), ["quotas"]);

    const set = await exec(`mutation { setQuota(quotaType: tokens, quotaLimit: 99999999) { id } }`, {}, member.token);
    expect(set.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const rows = await app.db.prisma.quota.findMany({ where: { tenantId: admin.tenantId } });
    expect(rows.map((q) => Number(q.quotaLimit))).toEqual([1000]);
  });

  it("usage is the owner's own, the whole tenant's for its admin only", async () => {
    const { admin, owner, member, other } = await world();
    const log = (u: TestUser, tokens: number, cost: number) =>
      app.db.prisma.usageLog.create({
        data: { userId: u.userId, tenantId: u.tenantId, provider: "local", model: "lexicon", tokensUsed: tokens, cost },
      });
    const ownerLog = await log(owner, 100, 0.5);
    await log(member, 30, 0.25);
    await log(other, 7, 9);
    const U = `query($w: Boolean) { usage(wholeTenant: $w) { totalTokens totalCost } }`;

    expect((await ok(exec, U, {}, owner.token)).usage).toEqual({ totalTokens: 100, totalCost: 0.5 });
    expect((await ok(exec, U, { w: true }, admin.token)).usage).toEqual({ totalTokens: 130, totalCost: 0.75 });
    // A member asking for the whole tenant is refused, not silently given their own figures.
    expectDenied(await exec(U, { w: true }, member.token), ["usage"]);
    expectDenied(await exec(`{ usageLogs(wholeTenant: true) { edges { node { id } } } }`, {}, member.token), [
      "usageLogs",
    ]);
    expect((await ok(exec, U, { w: true }, other.token)).usage).toEqual({ totalTokens: 7, totalCost: 9 });
    expectDenied(await exec(U, {}, null), ["usage"], "UNAUTHENTICATED");
    expectDenied(await exec(U, {}, await apiKey(owner, ["read:profile"])), ["usage"]);

    const NODE = `query($id: ID!) { node(id: $id) { ... on UsageLog { tokensUsed user { displayName } } } }`;
    const id = gid("UsageLog", ownerLog.id);
    expect((await ok(exec, NODE, { id }, admin.token)).node).toEqual({
      tokensUsed: 100,
      user: { displayName: "Owner" },
    });
    expectDenied(await exec(NODE, { id }, member.token), ["node"]);
    expectDenied(await exec(NODE, { id }, other.token), ["node"]);
  });

  it("the audit log is read by the tenant's admins only", async () => {
    const { admin, owner, member, other } = await world();
    const A = `{ auditLog { edges { node { id action actor { id } } } } }`;
    const byAdmin = await ok(exec, A, {}, admin.token);
    const actions = byAdmin.auditLog.edges.map((e: { node: { action: string } }) => e.node.action);
    expect(actions).toEqual(expect.arrayContaining(["user.sign_up", "invite.created"]));
    for (const who of [owner, member]) expectDenied(await exec(A, {}, who.token), ["auditLog"]);
    expectDenied(await exec(A, {}, null), ["auditLog"], "UNAUTHENTICATED");
    const byOther = await ok(exec, A, {}, other.token);
    const ours = new Set(byAdmin.auditLog.edges.map((e: { node: { id: string } }) => e.node.id));
    expect(byOther.auditLog.edges.some((e: { node: { id: string } }) => ours.has(e.node.id))).toBe(false);
    expectDenied(
      await exec(`query($id: ID!) { node(id: $id) { id } }`, { id: byAdmin.auditLog.edges[0].node.id }, other.token),
      ["node"],
    );
  });
});
