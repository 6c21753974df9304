// Conversations and messages are their owner's alone (DESIGN.md section 3): no admin, no member, no
// other tenant, no key without the conversation scopes, through every door: the lists, the thread,
// node/nodes, nested relations, every mutation, memoryContext and the subscription.
import { describe, expect, it } from "vitest";
import { codeOf, dbKind, ok } from "../kit.ts";
import { apiKey, app, exec, expectDenied, setUpAuthorizationApp, world } from "../support/authorization.ts";
import { post, startConversation } from "../support/conversations.ts";

setUpAuthorizationApp();

const THREAD = `query($id: ID!) { conversation(id: $id) { title messages { edges { node { content } } } } }`;
const NODE = `query($id: ID!) { node(id: $id) { ... on Conversation { title } ... on Message { content } } }`;
const NODES = `query($id: ID!) { nodes(ids: [$id]) { ... on Conversation { title } ... on Message { content } } }`;
const LIST = `{ conversations { edges { node { id } } } }`;
const MESSAGE_FIELDS = `query($id: ID!) { node(id: $id) { ... on Message { role content tokens cost model createdAt attachments { id } conversation { id } } } }`;

describe(`conversations are the owner's alone (${dbKind})`, () => {
  it("every field and door refuses the admin, a member, another tenant, the anonymous and scopeless keys", async () => {
    const { admin, owner, member, other } = await world();
    const cid = await startConversation(exec, owner.token, { title: "Private talk" });
    const msg = await post(exec, owner.token, cid, "my secret");
    expect((await ok(exec, THREAD, { id: cid }, owner.token)).conversation.title).toBe("Private talk");
    expect((await ok(exec, MESSAGE_FIELDS, { id: msg.id }, owner.token)).node.content).toBe("my secret");

    const wrongKey = await apiKey(owner, ["read:profile", "read:memories", "write:memories", "read:files"]);
    const outsiders: [string, string | null][] = [
      ["admin", admin.token],
      ["member", member.token],
      ["other tenant", other.token],
      ["key without conversation scopes", wrongKey],
      ["anonymous", null],
    ];
    for (const [who, token] of outsiders) {
      const code = token ? "FORBIDDEN" : "UNAUTHENTICATED";
      expectDenied(await exec(THREAD, { id: cid }, token), ["conversation"], code);
      expectDenied(await exec(NODE, { id: cid }, token), ["node"], code);
      expectDenied(await exec(NODE, { id: msg.id }, token), ["node"], code);
      expectDenied(await exec(NODES, { id: msg.id }, token), ["nodes", 0], code);
      const list = await exec(LIST, {}, token);
      if (token === admin.token || token === member.token || token === other.token)
        expect(list.data?.conversations.edges, who).toEqual([]);
      else expectDenied(list, ["conversations"], code);
      const writes = [
        exec(`mutation($id: ID!) { postMessage(conversationId: $id, content: "x") { id } }`, { id: cid }, token),
        exec(`mutation($id: ID!) { archiveConversation(id: $id) { id } }`, { id: cid }, token),
        exec(`mutation($id: ID!) { deleteConversation(id: $id) }`, { id: cid }, token),
        exec(`query($id: ID!) { memoryContext(conversationId: $id, query: "secret") { score } }`, { id: cid }, token),
      ];
      for (const r of await Promise.all(writes))
        expect(codeOf(r), who).toBe(!token ? "UNAUTHENTICATED" : token === wrongKey ? "FORBIDDEN" : "NOT_FOUND");
    }
    // The owner's own session reaches the thread through nested relations too.
    const nested = await ok(
      exec,
      `query($id: ID!) { node(id: $id) { ... on Message { conversation { owner { id } messages { edges { node { id } } } } } } }`,
      { id: msg.id },
      owner.token,
    );
    expect(nested.node.conversation.messages.edges).toHaveLength(1);
    const c = await app.db.prisma.conversation.findFirstOrThrow({ where: { userId: owner.userId } });
    expect([c.messageCount, c.archivedAt]).toEqual([1, null]);
  });

  it("read:conversations reads but does not write; write:conversations posts; neither lets another's id in", async () => {
    const { owner, other } = await world();
    const cid = await startConversation(exec, owner.token);
    const read = await apiKey(owner, ["read:conversations"]);
    const write = await apiKey(owner, ["read:conversations", "write:conversations"]);
    expect((await ok(exec, LIST, {}, read)).conversations.edges).toHaveLength(1);
    expect(
      codeOf(
        await exec(`mutation($id: ID!) { postMessage(conversationId: $id, content: "x") { id } }`, { id: cid }, read),
      ),
    ).toBe("FORBIDDEN");
    expect(codeOf(await exec(`mutation { startConversation { id } }`, {}, read))).toBe("FORBIDDEN");
    await post(exec, write, cid, "from the backend", { role: "assistant" });
    const othersKey = await apiKey(other, ["read:conversations", "write:conversations"]);
    expect(
      codeOf(
        await exec(
          `mutation($id: ID!) { postMessage(conversationId: $id, content: "x") { id } }`,
          { id: cid },
          othersKey,
        ),
      ),
    ).toBe("NOT_FOUND");
    expectDenied(await exec(THREAD, { id: cid }, othersKey), ["conversation"]);
    // Another user's agent or workspace cannot be named in a conversation of mine.
    const ws = (await ok(exec, `mutation { createWorkspace(name: "W") { id } }`, {}, other.token)).createWorkspace.id;
    expect(
      codeOf(await exec(`mutation($w: ID!) { startConversation(workspaceId: $w) { id } }`, { w: ws }, owner.token)),
    ).toBe("NOT_FOUND");
  });
});
