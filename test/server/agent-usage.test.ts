// recordAgentUsage: an external agent backend reports one call with a `write:usage` key. Counters,
// the usage row and the tokens quota change together or not at all, and a retried key charges once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import { recordAgentUsage } from "../../server/services/agent-usage.ts";
import type { SignedInViewer } from "../../server/viewer.ts";
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
} from "../kit.ts";

let app: App;
let exec: Execute;

beforeAll(async () => {
  app = await createTestApp();
  exec = executor(app);
});
afterAll(() => app?.stop());

const RECORD = `mutation($ua: ID!, $ok: Boolean!, $t: Int!, $c: Float!, $m: String!, $n: Int, $rt: Int, $k: String!) {
  recordAgentUsage(userAgentId: $ua, success: $ok, tokens: $t, cost: $c, model: $m, messages: $n, responseTimeMs: $rt, idempotencyKey: $k) {
    usageLogId replayed tokensUsed cost model
  }
}`;

async function ownerWithAgent(quota?: number) {
  const owner = await createOwner(exec);
  const a = await ok(exec, `mutation { createAgent(input: { name: "Support" }) { id } }`, {}, owner.token);
  const ua = await ok(exec, `mutation($a: ID!) { addAgent(agentId: $a) { id } }`, { a: a.createAgent.id }, owner.token);
  if (quota !== undefined)
    await ok(
      exec,
      `mutation($l: Float!) { setQuota(quotaType: tokens, quotaLimit: $l) { id } }`,
      { l: quota },
      owner.token,
    );
  const key = await createApiKey(exec, owner, ["WRITE_USAGE"]);
  return { owner, key, userAgentId: ua.addAgent.id as string };
}

const call = (ua: string, k: string, extra: Record<string, unknown> = {}) => ({
  ua,
  ok: true,
  t: 1200,
  c: 0.0125,
  m: "gpt-4o-mini",
  n: 2,
  rt: 800,
  k,
  ...extra,
});

/** Everything a call may write, to compare before and after. */
async function written(owner: TestUser, userAgentId: string) {
  const ua = await app.db.prisma.userAgent.findUniqueOrThrow({ where: { id: dbId(userAgentId) } });
  const quota = await app.db.prisma.quota.findFirst({ where: { tenantId: owner.tenantId, quotaType: "tokens" } });
  return {
    logs: await app.db.prisma.usageLog.count({ where: { userId: owner.userId } }),
    usage: ua.usageCount,
    messages: ua.messageCount,
    success: ua.successCount,
    errors: ua.errorCount,
    tokens: Number(ua.totalTokensUsed),
    cost: Number(ua.totalCostUsd),
    avgMs: ua.avgResponseTimeMs,
    used: ua.lastUsedAt !== null,
    quota: quota ? Number(quota.currentUsage) : null,
  };
}

function expectCode(r: GraphQLResult, code: string, field?: string) {
  expect(r.errors?.[0]?.extensions, JSON.stringify(r)).toMatchObject({ code, ...(field ? { field } : {}) });
}

describe(`recordAgentUsage (${dbKind})`, () => {
  it("updates the counters, writes a usage row and charges the tokens quota together", async () => {
    const { owner, key, userAgentId } = await ownerWithAgent(10_000);
    const first = await ok(exec, RECORD, call(userAgentId, "call-1"), key);
    expect(first.recordAgentUsage).toMatchObject({
      replayed: false,
      tokensUsed: 1200,
      cost: 0.0125,
      model: "gpt-4o-mini",
    });
    await ok(exec, RECORD, call(userAgentId, "call-2", { ok: false, t: 300, c: 0.5, n: 1, rt: 400 }), key);
    expect(await written(owner, userAgentId)).toEqual({
      logs: 2,
      usage: 2,
      messages: 3,
      success: 1,
      errors: 1,
      tokens: 1500,
      cost: 0.5125,
      avgMs: 600,
      used: true,
      quota: 1500,
    });
    const log = await app.db.prisma.usageLog.findFirstOrThrow({
      where: { id: dbId(first.recordAgentUsage.usageLogId) },
    });
    expect([log.userAgentId, log.provider, log.idempotencyKey]).toEqual([dbId(userAgentId), "agent", "call-1"]);
    // A call without a response time leaves the average alone; without a quota nothing limits it.
    const free = await ownerWithAgent();
    await ok(exec, RECORD, call(free.userAgentId, "x", { rt: null, n: null }), free.key);
    expect(await written(free.owner, free.userAgentId)).toMatchObject({
      logs: 1,
      messages: 0,
      avgMs: null,
      quota: null,
    });
  });

  it("a repeated idempotency key is charged once, even when the two calls race", async () => {
    const { owner, key, userAgentId } = await ownerWithAgent(10_000);
    const a = await ok(exec, RECORD, call(userAgentId, "retry-me"), key);
    const b = await ok(exec, RECORD, call(userAgentId, "retry-me"), key);
    expect(b.recordAgentUsage).toMatchObject({ replayed: true, usageLogId: a.recordAgentUsage.usageLogId });
    const once = await written(owner, userAgentId);
    expect(once).toMatchObject({ logs: 1, usage: 1, tokens: 1200, quota: 1200 });

    const raced = await Promise.all([1, 2, 3].map(() => ok(exec, RECORD, call(userAgentId, "race"), key)));
    expect(raced.filter((r) => !r.recordAgentUsage.replayed)).toHaveLength(1);
    expect(new Set(raced.map((r) => r.recordAgentUsage.usageLogId)).size).toBe(1);
    expect(await written(owner, userAgentId)).toMatchObject({ logs: 2, usage: 2, tokens: 2400, quota: 2400 });

    // The key is the caller's: reused for a different call it is a conflict, and writes nothing.
    expectCode(await exec(RECORD, call(userAgentId, "retry-me", { t: 5 }), key), "CONFLICT", "idempotencyKey");
    expect(await written(owner, userAgentId)).toMatchObject({ logs: 2, tokens: 2400, quota: 2400 });
  });

  it("over the tokens quota: QUOTA_EXCEEDED and nothing written", async () => {
    const { owner, key, userAgentId } = await ownerWithAgent(1500);
    await ok(exec, RECORD, call(userAgentId, "fits"), key);
    const before = await written(owner, userAgentId);
    expectCode(await exec(RECORD, call(userAgentId, "too-much", { t: 301 }), key), "QUOTA_EXCEEDED");
    expect(await written(owner, userAgentId)).toEqual(before);
    // The refused key was not spent: the same key fits once the call is within the limit.
    expect((await ok(exec, RECORD, call(userAgentId, "too-much", { t: 300 }), key)).recordAgentUsage.replayed).toBe(
      false,
    );
    expect(await written(owner, userAgentId)).toMatchObject({ quota: 1500, tokens: 1500 });
  });

  it("needs the write:usage scope and my own agent; bad input is refused with its field", async () => {
    const { owner, key, userAgentId } = await ownerWithAgent();
    const before = await written(owner, userAgentId);
    const readOnly = await createApiKey(exec, owner, ["READ_USAGE", "WRITE_AGENTS"]);
    expectCode(await exec(RECORD, call(userAgentId, "k"), readOnly), "FORBIDDEN");
    expectCode(await exec(RECORD, call(userAgentId, "k"), null), "UNAUTHENTICATED");
    const colleague = await createMember(exec, owner);
    const theirKey = await createApiKey(exec, colleague, ["WRITE_USAGE"]);
    expectCode(await exec(RECORD, call(userAgentId, "k"), theirKey), "NOT_FOUND");

    for (const [bad, field] of [
      [{ t: -1 }, "tokens"],
      [{ t: 10_000_001 }, "tokens"],
      [{ c: -0.01 }, "cost"],
      [{ m: " " }, "model"],
      [{ m: "x".repeat(101) }, "model"],
      [{ n: -1 }, "messages"],
      [{ rt: 3_600_001 }, "responseTimeMs"],
      [{ k: "" }, "idempotencyKey"],
      [{ k: "has space" }, "idempotencyKey"],
      [{ k: "k".repeat(201) }, "idempotencyKey"],
    ] as const)
      expectCode(await exec(RECORD, call(userAgentId, "k", bad), key), "BAD_USER_INPUT", field);
    expect(await written(owner, userAgentId)).toEqual(before);
    // A session of the owner passes the door too (sessions pass every scope door).
    expect(codeOf(await exec(RECORD, call(userAgentId, "from-browser"), owner.token))).toBeUndefined();
  });

  it("charges the quota period of the now passed in and dates the row and the copy with it", async () => {
    const { owner, userAgentId } = await ownerWithAgent(1000);
    const viewer: SignedInViewer = {
      kind: "session",
      sessionId: "t",
      expiresAt: new Date("2099-01-01"),
      ...owner,
      roles: [],
    };
    const input = { userAgentId: dbId(userAgentId), success: true, tokens: 900, cost: 0, model: "m" };
    const jan = new Date("2031-01-31T23:00:00Z");
    const feb = new Date("2031-02-01T01:00:00Z");
    await recordAgentUsage(app.db.prisma, viewer, { ...input, idempotencyKey: "jan" }, jan);
    await expect(
      recordAgentUsage(app.db.prisma, viewer, { ...input, idempotencyKey: "jan-2" }, jan),
    ).rejects.toMatchObject({ extensions: { code: "QUOTA_EXCEEDED" } });
    const r = await recordAgentUsage(app.db.prisma, viewer, { ...input, idempotencyKey: "feb" }, feb);
    expect(r.usageLog.createdAt.toISOString()).toBe(feb.toISOString());
    const ua = await app.db.prisma.userAgent.findUniqueOrThrow({ where: { id: dbId(userAgentId) } });
    expect([ua.firstUsedAt?.toISOString(), ua.lastUsedAt?.toISOString()]).toEqual([
      jan.toISOString(),
      feb.toISOString(),
    ]);
    expect(await written(owner, userAgentId)).toMatchObject({ logs: 2, quota: 900, tokens: 1800 });
  });
});
