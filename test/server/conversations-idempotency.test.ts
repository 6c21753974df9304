// postMessage with an idempotency key: a retried send (sequential or concurrent) writes one message
// and counts it once everywhere (conversation, user agent, usage row, tokens quota); the same key
// with a different message is refused with CONFLICT and writes nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import { codeOf, createMember, createOwner, createTestApp, dbId, dbKind, type Execute, executor, ok } from "../kit.ts";
import { POST, startConversation, userAgentOf } from "../support/conversations.ts";

let app: App;
let exec: Execute;

beforeAll(async () => {
  app = await createTestApp({ config: { RUN_WORKER: "false" } });
  exec = executor(app);
});
afterAll(() => app?.stop());

const KEYED = /* GraphQL */ `
  mutation KeyedPost($id: ID!, $content: String!, $role: MessageRole, $tokens: Int, $key: String) {
    postMessage(conversationId: $id, content: $content, role: $role, tokens: $tokens, idempotencyKey: $key) {
      id content
    }
  }
`;

/** Everything a post counts, so "once" is checked on each of them. */
async function counted(conversationId: string, userAgentId: string, userId: string, tenantId: string) {
  const db = app.db.prisma;
  const c = await db.conversation.findUniqueOrThrow({ where: { id: dbId(conversationId) } });
  const ua = await db.userAgent.findUniqueOrThrow({ where: { id: dbId(userAgentId) } });
  const quota = await db.quota.findFirst({ where: { tenantId, quotaType: "tokens" } });
  return {
    messages: await db.message.count({ where: { conversationId: dbId(conversationId) } }),
    conversationMessages: c.messageCount,
    agentMessages: ua.messageCount,
    agentConversations: ua.conversationCount,
    agentTokens: Number(ua.totalTokensUsed),
    usageLogs: await db.usageLog.count({ where: { userId } }),
    quotaUsed: Number(quota?.currentUsage ?? 0),
  };
}

async function setUp(name: string) {
  const admin = await createOwner(exec, `${name}Admin`);
  const user = await createMember(exec, admin, name);
  const ua = await userAgentOf(exec, admin, user);
  await ok(exec, `mutation { setQuota(quotaType: tokens, quotaLimit: 1000000) { id } }`, {}, admin.token);
  const id = await startConversation(exec, user.token, { userAgentId: ua });
  return { admin, user, ua, id };
}

describe(`postMessage idempotency (${dbKind})`, () => {
  it("a retry with the same key returns the first message, written and counted once", async () => {
    const { user, ua, id } = await setUp("Retry");
    const vars = { id, content: "hello", role: "assistant", tokens: 40, key: "send-1" };
    const first = (await ok(exec, KEYED, vars, user.token)).postMessage;
    const again = (await ok(exec, KEYED, vars, user.token)).postMessage;
    expect(again).toEqual(first);
    expect(await counted(id, ua, user.userId, user.tenantId)).toEqual({
      messages: 1,
      conversationMessages: 1,
      agentMessages: 1,
      agentConversations: 1,
      agentTokens: 40,
      usageLogs: 1,
      quotaUsed: 40,
    });
    // Another key, or none, is another message.
    await ok(exec, KEYED, { ...vars, key: "send-2" }, user.token);
    await ok(exec, KEYED, { ...vars, key: null }, user.token);
    expect((await counted(id, ua, user.userId, user.tenantId)).agentMessages).toBe(3);
  });

  it("concurrent retries with one key write one message and count it once", async () => {
    const { user, ua, id } = await setUp("Concurrent");
    const vars = { id, content: "once only", role: "assistant", tokens: 7, key: "burst" };
    const results = await Promise.all(Array.from({ length: 8 }, () => exec(KEYED, vars, user.token)));
    for (const r of results) expect(r.errors).toBeUndefined();
    const ids = new Set(results.map((r) => (r.data as { postMessage: { id: string } }).postMessage.id));
    expect(ids.size).toBe(1);
    expect(await counted(id, ua, user.userId, user.tenantId)).toEqual({
      messages: 1,
      conversationMessages: 1,
      agentMessages: 1,
      agentConversations: 1,
      agentTokens: 7,
      usageLogs: 1,
      quotaUsed: 7,
    });
  });

  it("the same key with a different message is CONFLICT and writes nothing", async () => {
    const { user, ua, id } = await setUp("Conflict");
    await ok(exec, KEYED, { id, content: "first", key: "k-1" }, user.token);
    const before = await counted(id, ua, user.userId, user.tenantId);
    const other = await startConversation(exec, user.token, { userAgentId: ua });
    for (const changed of [
      { id, content: "second", key: "k-1" },
      { id, content: "first", role: "assistant", key: "k-1" },
      { id, content: "first", tokens: 5, key: "k-1" },
      { id: other, content: "first", key: "k-1" },
    ]) {
      const r = await exec(KEYED, changed, user.token);
      expect(codeOf(r)).toBe("CONFLICT");
      expect(r.errors?.[0]?.extensions?.field).toBe("idempotencyKey");
    }
    expect(await counted(id, ua, user.userId, user.tenantId)).toEqual(before);
    expect(await app.db.prisma.message.count({ where: { conversationId: dbId(other) } })).toBe(0);
  });

  it("keys are each user's own, and a malformed key is BAD_USER_INPUT", async () => {
    const a = await setUp("KeyA");
    const b = await setUp("KeyB");
    const ma = (await ok(exec, KEYED, { id: a.id, content: "same", key: "shared" }, a.user.token)).postMessage;
    const mb = (await ok(exec, KEYED, { id: b.id, content: "same", key: "shared" }, b.user.token)).postMessage;
    expect(ma.id).not.toBe(mb.id);
    // Another user's conversation stays NOT_FOUND even with a key that user has used.
    expect(codeOf(await exec(KEYED, { id: a.id, content: "same", key: "shared" }, b.user.token))).toBe("NOT_FOUND");
    for (const key of ["", "has space", "x".repeat(201)]) {
      const r = await exec(KEYED, { id: a.id, content: "bad key", key }, a.user.token);
      expect(codeOf(r)).toBe("BAD_USER_INPUT");
    }
    expect(await app.db.prisma.message.count({ where: { conversationId: dbId(a.id) } })).toBe(1);
  });

  it("the untyped POST document still works without a key", async () => {
    const { user, id } = await setUp("NoKey");
    await ok(exec, POST, { id, content: "plain" }, user.token);
    await ok(exec, POST, { id, content: "plain" }, user.token);
    expect(await app.db.prisma.message.count({ where: { conversationId: dbId(id) } })).toBe(2);
  });
});
