// Conversations: the flows, their limits, the vital seed's accounting (once per message, nothing
// written over quota), memory context, and live delivery over graphql-ws (subscription and @live).
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
  ok,
} from "../kit.ts";
import { connect, watch } from "../support/analysis.ts";
import {
  EVENTS,
  POST,
  type PostedMessage,
  post,
  startConversation,
  untilSubscribed,
  userAgentOf,
} from "../support/conversations.ts";
import { live, nodes } from "../support/live.ts";

let app: App;
let exec: Execute;
let url: string;

beforeAll(async () => {
  app = await createTestApp({ config: { RUN_WORKER: "false", LIVE_THROTTLE_MS: "10" } });
  ({ url } = await app.start());
  exec = executor(app);
});
afterAll(() => app?.stop());

describe(`conversations (${dbKind})`, () => {
  it("starts, posts, titles itself from the first message, pages both ways, archives and deletes", async () => {
    const user = await createOwner(exec, "Talker");
    const id = await startConversation(exec, user.token);
    for (let i = 1; i <= 5; i++) await post(exec, user.token, id, `message ${i}\nsecond line`);
    const q = `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
      conversation(id: $id) { title messageCount archived
        messages(first: $first, after: $after, last: $last, before: $before) {
          edges { cursor node { content } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`;
    const page1 = (await ok(exec, q, { id, first: 2 }, user.token)).conversation;
    expect(page1.title).toBe("message 1");
    expect(page1.messageCount).toBe(5);
    expect(page1.messages.edges.map((e: { node: { content: string } }) => e.node.content.split("\n")[0])).toEqual([
      "message 1",
      "message 2",
    ]);
    const page2 = (await ok(exec, q, { id, first: 2, after: page1.messages.pageInfo.endCursor }, user.token))
      .conversation;
    expect(page2.messages.edges.map((e: { node: { content: string } }) => e.node.content.slice(0, 9))).toEqual([
      "message 3",
      "message 4",
    ]);
    const newest = (await ok(exec, q, { id, last: 2 }, user.token)).conversation.messages;
    expect(newest.edges.map((e: { node: { content: string } }) => e.node.content.slice(0, 9))).toEqual([
      "message 4",
      "message 5",
    ]);
    expect(newest.pageInfo.hasPreviousPage).toBe(true);
    const older = (await ok(exec, q, { id, last: 2, before: newest.pageInfo.startCursor }, user.token)).conversation
      .messages;
    expect(older.edges.map((e: { node: { content: string } }) => e.node.content.slice(0, 9))).toEqual([
      "message 2",
      "message 3",
    ]);

    const list = `query($archived: Boolean) { conversations(archived: $archived) { edges { node { id } } } }`;
    expect(nodes((await ok(exec, list, {}, user.token)).conversations).map((c) => c.id)).toEqual([id]);
    await ok(exec, `mutation($id: ID!) { archiveConversation(id: $id) { archived } }`, { id }, user.token);
    expect((await ok(exec, list, {}, user.token)).conversations.edges).toEqual([]);
    expect(nodes((await ok(exec, list, { archived: true }, user.token)).conversations).map((c) => c.id)).toEqual([id]);
    await ok(exec, `mutation($id: ID!) { deleteConversation(id: $id) }`, { id }, user.token);
    expect(await app.db.prisma.message.count({ where: { conversationId: dbId(id) } })).toBe(0);
    expect(codeOf(await exec(POST, { id, content: "gone?" }, user.token))).toBe("NOT_FOUND");
  });

  it("refuses input over its limits with stable codes and writes nothing", async () => {
    const user = await createOwner(exec, "Limits");
    const id = await startConversation(exec, user.token);
    const refusals = [
      { content: "" },
      { content: "x".repeat(32_001) },
      { content: "ok", tokens: -1 },
      { content: "ok", tokens: 10_000_001 },
      { content: "ok", cost: -0.5 },
      { content: "ok", model: "m".repeat(201) },
      { content: "ok", files: Array.from({ length: 11 }, () => id) },
    ];
    for (const r of refusals)
      expect(codeOf(await exec(POST, { id, ...r }, user.token)), JSON.stringify(r).slice(0, 80)).toBe("BAD_USER_INPUT");
    expect(
      codeOf(await exec(`mutation { startConversation(title: "${"t".repeat(201)}") { id } }`, {}, user.token)),
    ).toBe("BAD_USER_INPUT");
    expect(codeOf(await exec(POST, { id: "not-an-id", content: "x" }, user.token))).toBe("BAD_USER_INPUT");
    expect(await app.db.prisma.message.count({ where: { conversationId: dbId(id) } })).toBe(0);
  });

  it("attaches only the owner's files; another user's file is NOT_FOUND", async () => {
    const user = await createOwner(exec, "Attacher");
    const other = await createOwner(exec, "Stranger");
    const file = (owner: typeof user, name: string) =>
      app.db.prisma.file.create({
        data: {
          userId: owner.userId,
          tenantId: owner.tenantId,
          name,
          size: 3n,
          mimeType: "text/plain",
          sha256: "0",
          storageKey: `conv/${owner.userId}/${name.replace(/[^a-z0-9-]/g, "-")}`,
        },
      });
    const [mine, theirs] = await Promise.all([file(user, "mine.txt"), file(other, "theirs.txt")]);
    const gidOf = (fid: string) => Buffer.from(`File:${fid}`).toString("base64");
    const id = await startConversation(exec, user.token);
    expect(codeOf(await exec(POST, { id, content: "see", files: [gidOf(theirs.id)] }, user.token))).toBe("NOT_FOUND");
    const m = await post(exec, user.token, id, "see attached", { files: [gidOf(mine.id)] });
    const d = await ok(
      exec,
      `query($id: ID!) { node(id: $id) { ... on Message { attachments { id name } } } }`,
      { id: m.id },
      user.token,
    );
    expect(d.node.attachments).toEqual([{ id: gidOf(mine.id), name: "mine.txt" }]);
  });

  it("counts each message once on the user agent, each conversation once, and logs reported tokens", async () => {
    const admin = await createOwner(exec, "Admin");
    const user = await createMember(exec, admin, "Counted");
    const ua = await userAgentOf(exec, admin, user);
    const first = await startConversation(exec, user.token, { userAgentId: ua });
    await post(exec, user.token, first, "hello");
    await post(exec, user.token, first, "hi, how can I help", {
      role: "assistant",
      tokens: 120,
      cost: 0.25,
      model: "m1",
    });
    const second = await startConversation(exec, user.token, { userAgentId: ua });
    await post(exec, user.token, second, "again");
    await startConversation(exec, user.token, { userAgentId: ua }); // never used: not counted

    const row = await app.db.prisma.userAgent.findUniqueOrThrow({ where: { id: dbId(ua) } });
    expect({
      messages: row.messageCount,
      conversations: row.conversationCount,
      last: row.lastConversationId,
      tokens: Number(row.totalTokensUsed),
      cost: Number(row.totalCostUsd),
      usage: row.usageCount,
    }).toEqual({ messages: 3, conversations: 2, last: dbId(second), tokens: 120, cost: 0.25, usage: 1 });
    expect(row.lastUsedAt).not.toBeNull();
    const logs = await app.db.prisma.usageLog.findMany({ where: { userId: user.userId } });
    expect(logs.map((l) => [l.tokensUsed, l.model, l.userAgentId])).toEqual([[120, "m1", dbId(ua)]]);
  });

  it("charges the tenant's tokens quota and refuses over it with QUOTA_EXCEEDED, writing nothing", async () => {
    const admin = await createOwner(exec, "QuotaAdmin");
    const ua = await userAgentOf(exec, admin, admin);
    await ok(exec, `mutation { setQuota(quotaType: tokens, quotaLimit: 100) { id } }`, {}, admin.token);
    const id = await startConversation(exec, admin.token, { userAgentId: ua });
    await post(exec, admin.token, id, "within", { role: "assistant", tokens: 80 });
    const r = await exec(POST, { id, content: "over", role: "assistant", tokens: 30 }, admin.token);
    expect(codeOf(r)).toBe("QUOTA_EXCEEDED");
    const quota = await app.db.prisma.quota.findFirstOrThrow({
      where: { tenantId: admin.tenantId, quotaType: "tokens" },
    });
    expect(Number(quota.currentUsage)).toBe(80);
    expect(await app.db.prisma.message.count({ where: { conversationId: dbId(id) } })).toBe(1);
    expect(await app.db.prisma.usageLog.count({ where: { userId: admin.userId } })).toBe(1);
    const c = await app.db.prisma.conversation.findUniqueOrThrow({ where: { id: dbId(id) } });
    const row = await app.db.prisma.userAgent.findUniqueOrThrow({ where: { id: dbId(ua) } });
    expect([c.messageCount, row.messageCount, Number(row.totalTokensUsed)]).toEqual([1, 1, 80]);
    // A message without tokens is not charged and still goes in.
    await post(exec, admin.token, id, "thanks");
  });

  it("memoryContext returns the owner's nearest memories and counts the access", async () => {
    const user = await createOwner(exec, "Remembers");
    const other = await createOwner(exec, "Other");
    const add = (token: string, key: string, content: string) =>
      ok(
        exec,
        `mutation($k: String!, $c: String!) { createMemory(input: { memoryType: fact, memoryKey: $k, content: $c }) { id } }`,
        { k: key, c: content },
        token,
      );
    await add(user.token, "pets", "the user has a dog called Rex and loves walking him");
    await add(user.token, "job", "works as a tax accountant in Leeds");
    await add(other.token, "pets", "has a dog too");
    const id = await startConversation(exec, user.token);
    await post(exec, user.token, id, "what should I feed my dog?");
    const q = `query($id: ID!, $query: String) { memoryContext(conversationId: $id, query: $query, first: 1) { memory { memoryKey accessCount } } }`;
    const d = await ok(exec, q, { id }, user.token);
    expect(d.memoryContext.map((h: { memory: { memoryKey: string } }) => h.memory.memoryKey)).toEqual(["pets"]);
    // Accesses are counted after the answer, in batches (memory-access.ts).
    await app.services.memoryAccess.flush();
    const mem = await app.db.prisma.memory.findFirstOrThrow({ where: { userId: user.userId, memoryKey: "pets" } });
    expect(mem.accessCount).toBe(1);
    expect(codeOf(await exec(q, { id }, other.token))).toBe("NOT_FOUND");
    const readOnlyConversations = await createApiKey(exec, user, ["READ_CONVERSATIONS"]);
    expect(codeOf(await exec(q, { id }, readOnlyConversations))).toBe("FORBIDDEN");
  }, 240_000); // the first memory loads the local embedder's word vectors

  it("an API key with write:conversations posts a reply that reaches the owner's subscription at once", async () => {
    const user = await createOwner(exec, "Browser");
    // An agent backend reads what it answers: the reply it posts is a Message, read:conversations' to see.
    const key = await createApiKey(exec, user, ["READ_CONVERSATIONS", "WRITE_CONVERSATIONS"]);
    const writeOnly = await createApiKey(exec, user, ["WRITE_CONVERSATIONS"]);
    const id = await startConversation(exec, user.token);
    const ws = connect(url, user.token);
    const events = watch<PostedMessage & { tokens: number }>(ws, EVENTS, { id });
    await untilSubscribed(exec, user.token, id, events);
    const reply = await post(exec, key, id, "an answer", { role: "assistant", tokens: 7, model: "m" });
    const got = await events.until((e) => e.id === reply.id);
    expect(got).toMatchObject({ role: "assistant", content: "an answer", tokens: 7 });
    // A key without the read scope cannot listen; another user cannot either.
    const other = await createOwner(exec, "Eavesdropper");
    const ws2 = connect(url, other.token);
    await expect(watch(ws2, EVENTS, { id }).done).rejects.toThrow(/NOT_FOUND/);
    const ws3 = connect(url, writeOnly);
    await expect(watch(ws3, EVENTS, { id }).done).rejects.toThrow(/FORBIDDEN/);
    // Deleting the conversation completes the stream.
    await ok(exec, `mutation($id: ID!) { deleteConversation(id: $id) }`, { id }, user.token);
    await events.done;
    await Promise.all([ws.dispose(), ws2.dispose(), ws3.dispose()]);
  });

  it("a viewer who signs out stops receiving", async () => {
    const user = await createOwner(exec, "Leaver");
    const key = await createApiKey(exec, user, ["READ_CONVERSATIONS", "WRITE_CONVERSATIONS"]);
    const id = await startConversation(exec, user.token);
    const ws = connect(url, user.token);
    const events = watch<PostedMessage>(ws, EVENTS, { id });
    await untilSubscribed(exec, key, id, events);
    await ok(exec, `mutation { signOut }`, {}, user.token);
    await expect(events.done).rejects.toThrow(/UNAUTHENTICATED|4401/);
    await post(exec, key, id, "two");
    expect(events.events.map((e) => e.content)).not.toContain("two");
    await ws.dispose();
  });

  it("a live query of the thread shows a new message", async () => {
    const user = await createOwner(exec, "Watcher");
    const id = await startConversation(exec, user.token, { title: "Live" });
    const ws = connect(url, user.token);
    const q = live(
      ws,
      `query($id: ID!) @live { conversation(id: $id) { messageCount messages(last: 20) { edges { node { content } } } } }`,
      { id },
    );
    await q.until((d) => d.conversation.messageCount === 0);
    await post(exec, user.token, id, "shown live");
    const d = await q.until((x) => x.conversation.messageCount === 1);
    expect(nodes(d.conversation.messages).map((m: { content: string }) => m.content)).toEqual(["shown live"]);
    q.stop();
    await ws.dispose();
  });
});
