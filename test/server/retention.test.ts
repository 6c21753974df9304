// A retention pass removes exactly the rows past their tenant's policy, or past their owner's own
// shorter dataRetentionDays, and reports what it removed per table. Time is the test's: rows are
// planted at ages measured from a fixed `now`, and the pass is run with that `now`.
import { createHash, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import {
  codeOf,
  createMember,
  createOwner,
  createTestApp,
  dbKind,
  type Execute,
  executor,
  ok,
  type TestUser,
} from "../kit.ts";

let app: App;
let exec: Execute;
beforeAll(async () => {
  app = await createTestApp({ config: { MEMORY_MAX_PER_USER: "3" } });
  exec = executor(app);
});
afterAll(() => app?.stop());

const now = new Date(Date.now() + 60_000);
const ago = (days: number) => new Date(now.getTime() - days * 86_400_000);
const SET = `mutation($kind: RetentionKind!, $days: Int) { setRetentionPolicy(kind: $kind, keepDays: $days) { kind keepDays isDefault } }`;

async function plant(user: TestUser) {
  const p = app.db.prisma;
  const { userId, tenantId } = user;
  const ids = {
    content: async (days: number) =>
      (
        await p.contentItem.create({
          data: { userId, tenantId, source: "text", text: "t", contentHash: randomUUID(), createdAt: ago(days) },
        })
      ).id,
    usage: async (days: number, tokens = 100) =>
      (
        await p.usageLog.create({
          data: {
            userId,
            tenantId,
            provider: "test",
            model: "m-1",
            tokensUsed: tokens,
            cost: 0.5,
            createdAt: ago(days),
          },
        })
      ).id,
    run: async (days: number, status: "complete" | "running", results = 0) => {
      const run = await p.analysisRun.create({ data: { userId, tenantId, sources: [], status, createdAt: ago(days) } });
      const sources = ["twitter", "linkedin", "instagram"] as const;
      for (const source of sources.slice(0, results))
        await p.analysisResult.create({
          data: { runId: run.id, userId, tenantId, source, riskScore: 1, grade: "A", itemCount: 1, summary: "s" },
        });
      return run.id;
    },
    session: async (expiredDays: number, revokedDays?: number) =>
      (
        await p.session.create({
          data: {
            userId,
            tenantId,
            tokenHash: createHash("sha256").update(randomUUID()).digest("hex"),
            expiresAt: ago(expiredDays),
            revokedAt: revokedDays === undefined ? null : ago(revokedDays),
            createdAt: ago(Math.max(expiredDays, revokedDays ?? 0) + 1),
          },
        })
      ).id,
    memory: async (o: {
      updatedDays: number;
      accessedDays?: number;
      expiresDays?: number;
      importance?: number;
      uses?: number;
    }) =>
      (
        await p.memory.create({
          data: {
            userId,
            tenantId,
            memoryType: "fact",
            memoryKey: randomUUID(),
            memoryValue: {},
            content: "c",
            embedding: [],
            embeddingModel: "none",
            importanceScore: o.importance ?? 0.5,
            accessCount: o.uses ?? 0,
            lastAccessedAt: o.accessedDays === undefined ? null : ago(o.accessedDays),
            expiresAt: o.expiresDays === undefined ? null : ago(o.expiresDays),
          },
        })
      ).id,
    conversation: async (idleDays: number, messages: number) => {
      const c = await p.conversation.create({
        data: { userId, tenantId, title: "t", createdAt: ago(idleDays + 1), lastMessageAt: ago(idleDays) },
      });
      for (let i = 0; i < messages; i++)
        await p.message.create({
          data: { conversationId: c.id, userId, tenantId, role: "user", content: "m", createdAt: ago(idleDays) },
        });
      return c.id;
    },
    audit: async (days: number) =>
      (await p.auditLog.create({ data: { tenantId, userId, action: "test.planted", createdAt: ago(days) } })).id,
  };
  return ids;
}

async function exists(ids: string[]) {
  const p = app.db.prisma;
  const found = await Promise.all([
    p.contentItem.findMany({ where: { id: { in: ids } }, select: { id: true } }),
    p.usageLog.findMany({ where: { id: { in: ids } }, select: { id: true } }),
    p.analysisRun.findMany({ where: { id: { in: ids } }, select: { id: true } }),
    p.session.findMany({ where: { id: { in: ids } }, select: { id: true } }),
    p.memory.findMany({ where: { id: { in: ids } }, select: { id: true } }),
    p.auditLog.findMany({ where: { id: { in: ids } }, select: { id: true } }),
    p.conversation.findMany({ where: { id: { in: ids } }, select: { id: true } }),
  ]);
  return new Set(found.flat().map((r) => r.id));
}

describe(`retention (${dbKind})`, () => {
  it("removes exactly the rows past policy, honours a shorter dataRetentionDays, and reports counts", async () => {
    const admin = await createOwner(exec, "Keeper");
    const short = await createMember(exec, admin, "Brief");
    const other = await createOwner(exec, "Elsewhere");
    await ok(
      exec,
      `mutation { updatePrivacyPreferences(dataRetentionDays: 10) { dataRetentionDays } }`,
      {},
      short.token,
    );
    for (const [kind, days] of [
      ["content", 30],
      ["usage_detail", 30],
      ["analyses", 30],
      ["audit_entries", 60],
      ["sessions", 7],
    ] as const)
      expect((await ok(exec, SET, { kind, days }, admin.token)).setRetentionPolicy).toMatchObject({
        kind,
        keepDays: days,
        isDefault: false,
      });

    const a = await plant(admin);
    const s = await plant(short);
    const o = await plant(other);
    const gone = [
      await a.content(40),
      await s.content(20),
      await a.usage(40, 300),
      await s.usage(15, 50),
      await a.run(40, "complete", 2),
      await s.run(15, "complete", 1),
      await a.session(10),
      await a.session(-5, 8), // revoked 8 days ago, would have expired in 5
      await s.session(8), // the member's 10 days are longer than the tenant's 7: the tenant's win
      await a.memory({ updatedDays: 0, expiresDays: 0.01 }),
      await s.memory({ updatedDays: 15 }),
      await a.audit(70),
      await o.content(400),
      await a.conversation(400, 2), // idle past the default 365 days, with its messages
      await s.conversation(12, 1), // past the member's own 10 days
    ];
    const kept = [
      await a.content(20),
      await s.content(5),
      await a.usage(20),
      await s.usage(5),
      await a.run(40, "running"),
      await a.run(20, "complete", 1),
      await a.session(3),
      await s.session(6),
      await s.memory({ updatedDays: 15, accessedDays: 2 }),
      await a.memory({ updatedDays: 400 }), // memories: kept forever by default
      await a.audit(50),
      await s.audit(70 - 60 + 20), // 30 days: past the member's 10, but audit entries follow the tenant
      await o.content(40), // the other tenant keeps content 365 days (the default)
      await a.conversation(300, 1),
      await s.conversation(5, 1),
    ];
    // Back-date the memories (updatedAt is set by Prisma on write).
    await app.db.prisma.$executeRaw`UPDATE memories SET updated_at = created_at - make_interval(days => 15)
      WHERE user_id = ${short.userId}::uuid`;
    await app.db.prisma.$executeRaw`UPDATE memories SET updated_at = ${ago(400)}::timestamptz
      WHERE user_id = ${admin.userId}::uuid AND expires_at IS NULL`;

    const runs = await app.services.retention.run({ now, tenantIds: [admin.tenantId, other.tenantId] });
    const left = await exists([...gone, ...kept]);
    expect(gone.filter((id) => left.has(id))).toEqual([]);
    expect(kept.filter((id) => !left.has(id))).toEqual([]);

    const mine = runs.find((r) => r.tenantId === admin.tenantId);
    const counts = Object.fromEntries(
      ((mine?.counts ?? []) as { table: string; reason: string; count: number }[]).map((c) => [
        `${c.table}:${c.reason}`,
        c.count,
      ]),
    );
    expect(counts).toEqual({
      "sessions:policy": 3,
      "memories:expired": 1,
      "memories:policy": 1,
      "analysis_runs:policy": 2,
      "analysis_results:policy": 3,
      "content_items:policy": 2,
      "usage_logs:policy": 2,
      "audit_logs:policy": 1,
      "conversations:policy": 2,
      "messages:policy": 3,
    });
    expect(runs.find((r) => r.tenantId === other.tenantId)?.counts).toEqual([
      { table: "content_items", reason: "policy", count: 1 },
    ]);

    // Usage detail left its totals behind: the month totals still count every row written (the
    // two removed, 300 + 50 tokens, and the two kept, 100 each).
    const monthly = await app.db.prisma.usageMonthly.findMany({ where: { tenantId: admin.tenantId } });
    expect(monthly.reduce((n, m) => n + Number(m.tokens), 0)).toBe(550);
    expect(monthly.reduce((n, m) => n + m.calls, 0)).toBe(4);

    // The admin reads the run; it was published for live screens; a second pass finds nothing.
    const read = await ok(
      exec,
      `{ retentionRuns(first: 5) { edges { node { trigger totalRemoved removed { table reason count } } } } }`,
      {},
      admin.token,
    );
    expect(read.retentionRuns.edges[0].node).toMatchObject({ trigger: "manual", totalRemoved: 20 });
    const again = await app.services.retention.run({ now, tenantIds: [admin.tenantId] });
    expect(again[0]?.counts).toEqual([]);
    // The same job key (a retried job) does not pass over a tenant twice.
    const key = randomUUID();
    const first = await app.services.retention.run({ now, jobKey: key, tenantIds: [admin.tenantId] });
    const retried = await app.services.retention.run({ now, jobKey: key, tenantIds: [admin.tenantId] });
    expect(retried[0]?.id).toBe(first[0]?.id);
  });

  it("prunes each user's memories beyond the limit, least important and least used first", async () => {
    const user = await createOwner(exec, "Hoarder");
    const m = await plant(user);
    const keep = [
      await m.memory({ updatedDays: 0, importance: 0.9 }),
      await m.memory({ updatedDays: 0, importance: 0.5, uses: 7 }),
      await m.memory({ updatedDays: 0, importance: 0.5, uses: 2, accessedDays: 1 }),
    ];
    const drop = [
      await m.memory({ updatedDays: 0, importance: 0.5, uses: 2, accessedDays: 3 }),
      await m.memory({ updatedDays: 0, importance: 0.1, uses: 50 }),
    ];
    const neighbour = await createOwner(exec, "Neighbour");
    const n = await plant(neighbour);
    const theirs = [await n.memory({ updatedDays: 0, importance: 0.1 })];
    const [run] = await app.services.retention.run({ now, tenantIds: [user.tenantId, neighbour.tenantId] });
    expect(run?.counts).toEqual([{ table: "memories", reason: "pruned", count: 2 }]);
    const left = await exists([...keep, ...drop, ...theirs]);
    expect([...keep, ...theirs].every((id) => left.has(id))).toBe(true);
    expect(drop.some((id) => left.has(id))).toBe(false);
  });

  it("refuses keep days outside 1..3650", async () => {
    const admin = await createOwner(exec, "Limits");
    for (const days of [0, 3651]) {
      const r = await exec(SET, { kind: "content", days }, admin.token);
      expect(codeOf(r)).toBe("BAD_USER_INPUT");
    }
    const forever = await ok(exec, SET, { kind: "content", days: null }, admin.token);
    expect(forever.setRetentionPolicy.keepDays).toBeNull();
    const list = await ok(exec, `{ retentionPolicies { kind keepDays defaultKeepDays } }`, {}, admin.token);
    expect(list.retentionPolicies).toHaveLength(8);
    expect(list.retentionPolicies.find((p: { kind: string }) => p.kind === "usage_detail")).toEqual({
      kind: "usage_detail",
      keepDays: 90,
      defaultKeepDays: 90,
    });
  });
});
