// Usage by day, month, model, agent and user, with the API calls the meter counted: a member sees
// their own figures, an admin the whole tenant's, and a member asking for the tenant is refused.
import { describe, expect } from "vitest";
import { report } from "../../server/services/usage.ts";
import { appTest, codeOf, createApiKey, createMember, createOwner, dbKind, ok } from "../kit.ts";

const it = appTest({ config: { API_METER_FLUSH_MS: "600000" } });

const at = (iso: string) => new Date(`${iso}T10:00:00Z`);

describe(`usage report (${dbKind})`, () => {
  it("splits usage by day, month, model, agent and user, for the user and for the tenant", async ({ app, exec }) => {
    const owner = await createOwner(exec, "Olga");
    const member = await createMember(exec, owner, "Mia");
    const prisma = app.db.prisma;
    const agent = await prisma.agent.create({ data: { tenantId: owner.tenantId, name: "Support" } });
    const ua = await prisma.userAgent.create({
      data: { userId: member.userId, tenantId: owner.tenantId, agentId: agent.id, customName: "My support" },
    });
    const log = (userId: string, iso: string, model: string, tokens: number, userAgentId: string | null = null) =>
      prisma.usageLog.create({
        data: {
          userId,
          tenantId: owner.tenantId,
          userAgentId,
          provider: "p",
          model,
          tokensUsed: tokens,
          cost: tokens / 1000,
          createdAt: at(iso),
        },
      });
    await log(member.userId, "2032-03-30", "small", 100, ua.id);
    await log(member.userId, "2032-04-02", "large", 300, ua.id);
    await log(member.userId, "2032-04-02", "small", 50);
    await log(owner.userId, "2032-04-03", "large", 1000);
    await log(owner.userId, "2031-01-01", "large", 9999); // before the period asked for

    const key = await createApiKey(exec, member, ["READ_PROFILE"]);
    app.services.apiMeter.now = () => at("2032-04-02");
    await ok(exec, `{ me { id } }`, {}, key);
    await ok(exec, `{ me { id } }`, {}, key);
    await app.services.apiMeter.flush();

    const now = at("2032-04-05");
    const mine = await report(prisma, { userId: member.userId }, 2, { days: 7, now });
    expect(mine.totalTokens).toBe(450);
    expect(mine.byMonth.map((b) => [b.key, b.tokens])).toEqual([
      ["2032-03", 100],
      ["2032-04", 350],
    ]);
    expect(mine.byDay.map((b) => [b.key, b.tokens, b.requests])).toEqual([
      ["2032-03-30", 100, 1],
      ["2032-04-02", 350, 2],
    ]);
    expect(mine.byAgent.map((b) => [b.label, b.tokens])).toEqual([
      ["My support", 400],
      ["Analyses and other use", 50],
    ]);
    expect(mine.byUser.map((b) => [b.label, b.tokens])).toEqual([["Mia", 450]]);
    expect(mine.apiCallsByDay).toEqual([{ day: "2032-04-02", calls: 2 }]);

    const tenant = await report(prisma, { tenantId: owner.tenantId }, 2, { days: 3, now });
    expect(tenant.byUser.map((b) => [b.label, b.tokens])).toEqual([
      ["Olga", 1000],
      ["Mia", 450],
    ]);
    expect(tenant.byModel.map((b) => [b.key, b.tokens])).toEqual([
      ["large", 1300],
      ["small", 150],
    ]);
    expect(tenant.byDay.map((b) => b.key)).toEqual(["2032-04-03"]); // the last 3 days only

    // Retention prunes the usage rows (kept one day): every breakdown reads the same after.
    const before = {
      mine,
      tenant,
      wide: await report(prisma, { tenantId: owner.tenantId }, 24, { days: 40, now }),
    };
    await ok(exec, `mutation { setRetentionPolicy(kind: usage_detail, keepDays: 1) { keepDays } }`, {}, owner.token);
    const [run] = await app.services.retention.run({ now, tenantIds: [owner.tenantId] });
    expect(run?.counts).toContainEqual({ table: "usage_logs", reason: "policy", count: 5 });
    expect(await prisma.usageLog.count({ where: { tenantId: owner.tenantId } })).toBe(0);
    expect({
      mine: await report(prisma, { userId: member.userId }, 2, { days: 7, now }),
      tenant: await report(prisma, { tenantId: owner.tenantId }, 2, { days: 3, now }),
      wide: await report(prisma, { tenantId: owner.tenantId }, 24, { days: 40, now }),
    }).toEqual(before);
    expect(before.wide.totalTokens).toBe(11_449);
    expect(before.wide.byDay.map((b) => b.key)).toEqual(["2032-03-30", "2032-04-02", "2032-04-03"]);

    // Rows written together in one statement are counted once each.
    await prisma.usageLog.createMany({
      data: [1, 2, 3].map((n) => ({
        userId: owner.userId,
        tenantId: owner.tenantId,
        provider: "p",
        model: "bulk",
        tokensUsed: n,
        createdAt: at("2032-04-04"),
      })),
    });
    const bulk = await report(prisma, { tenantId: owner.tenantId }, 2, { days: 3, now });
    expect(bulk.byModel.find((b) => b.key === "bulk")).toMatchObject({ requests: 3, tokens: 6 });
    expect(bulk.byDay.find((b) => b.key === "2032-04-04")).toMatchObject({ requests: 3, tokens: 6 });
  });

  it("gives the whole tenant to admins only, over GraphQL", async ({ exec, owner }) => {
    const member = await createMember(exec, owner);
    const Q = `query($w: Boolean) { usage(wholeTenant: $w, days: 7) { byDay { key } byAgent { label } byUser { label } apiCallsByDay { day calls } } }`;
    expect(codeOf(await exec(Q, { w: true }, member.token))).toBe("FORBIDDEN");
    await ok(exec, Q, { w: false }, member.token);
    const d = await ok(exec, Q, { w: true }, owner.token);
    expect(d.usage.byUser).toEqual([]);
    const quotas = await ok(
      exec,
      `mutation { a: setQuota(quotaType: api_calls, quotaLimit: 10, period: week) { resetsOn periodEnd } b: setQuota(quotaType: users, quotaLimit: 10) { resetsOn } }`,
      {},
      owner.token,
    );
    const end = new Date(`${quotas.a.periodEnd}T00:00:00Z`);
    expect(quotas.a.resetsOn).toBe(new Date(end.getTime() + 86_400_000).toISOString().slice(0, 10));
    expect(quotas.b.resetsOn).toBeNull();
  });
});
