// Live queries (`query @live`): a change committed by another session, device or API key reaches
// the live queries that show it, re-authorized for their own viewer; a change a viewer may not see
// never reaches them, and does not even run their query again (counted on the server); a viewer
// who loses the right is told why and the stream ends.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import {
  codeOf,
  createApiKey,
  createMember,
  createOwner,
  createTestApp,
  dbKind,
  type Execute,
  executor,
  ok,
  type TestUser,
} from "../kit.ts";
import { connect } from "../support/analysis.ts";
import { addMemory, executionCounter, live, nodes } from "../support/live.ts";

let app: App;
let exec: Execute;
let url: string;
const runs = executionCounter();

beforeAll(async () => {
  app = await createTestApp({ config: { LIVE_THROTTLE_MS: "10" }, onLiveExecute: runs.onLiveExecute });
  exec = executor(app);
  url = (await app.start()).url;
});
afterAll(() => app?.stop());

const MEMORIES = `query Memories @live { memories(first: 50) { edges { node { id memoryKey } } } }`;
const memoryKeys = (d: { memories: never }) => nodes<{ memoryKey: string }>(d.memories).map((m) => m.memoryKey);

/**
 * Runs `change` (which touches only what `user` may not see), then `own` (which `user`'s query
 * shows) and waits for it: the user's query ran once more, for `own` alone.
 */
async function ranOnlyForOwn(user: TestUser, change: () => Promise<unknown>, own: () => Promise<unknown>) {
  const before = runs.of(user);
  await change();
  await own();
  expect(runs.of(user)).toBe(before + 1);
}

const signIn = async (u: TestUser) =>
  (
    await ok(exec, `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }`, {
      e: u.email,
      p: u.password,
    })
  ).signIn.token as string;

describe(`live queries (${dbKind})`, () => {
  it("memories: an API key's new memory reaches the session; another user's never runs its query", async () => {
    const a = await createOwner(exec, "A");
    const b = await createOwner(exec, "B");
    const key = await createApiKey(exec, a, ["READ_MEMORIES", "WRITE_MEMORIES"]);
    const listA = live(connect(url, a.token), MEMORIES);
    const listB = live(connect(url, b.token), MEMORIES);
    await listA.until((d) => d.memories.edges.length === 0);
    await listB.until((d) => d.memories.edges.length === 0);

    await addMemory(exec, key, "from-agent");
    await listA.until((d) => memoryKeys(d).includes("from-agent"));
    await ranOnlyForOwn(
      b,
      () => addMemory(exec, a.token, "a-again"),
      async () => {
        await addMemory(exec, b.token, "b-own");
        await listB.until((d) => memoryKeys(d).includes("b-own"));
      },
    );
    expect(listB.results.flatMap(memoryKeys)).not.toContain("from-agent");
  }, 240_000); // the first memory loads the local embedder's word vectors

  it("sessions and API keys: another device's sign-in and key changes reach the session", async () => {
    const a = await createOwner(exec, "A");
    const other = await createOwner(exec, "Other");
    const q = live(
      connect(url, a.token),
      `query Security @live {
        sessions(first: 20) { edges { node { id revokedAt } } }
        apiKeys(first: 20) { edges { node { id name revokedAt } } }
      }`,
    );
    await q.until((d) => d.sessions.edges.length === 1);
    const device = await signIn(a);
    await q.until((d) => d.sessions.edges.length === 2);
    const created = await ok(
      exec,
      `mutation { createApiKey(name: "backend", scopes: [READ_MEMORIES]) { apiKey { id } } }`,
      {},
      device,
    );
    await q.until((d) => nodes(d.apiKeys).some((k: { name: string }) => k.name === "backend"));
    await ok(
      exec,
      `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
      { id: created.createApiKey.apiKey.id },
      device,
    );
    await q.until((d) => nodes(d.apiKeys).some((k: { revokedAt: string | null }) => k.revokedAt));
    await ranOnlyForOwn(
      a,
      () => createApiKey(exec, other, ["READ_MEMORIES"]),
      async () => {
        await createApiKey(exec, a, ["READ_AGENTS"]);
        await q.until((d) => d.apiKeys.edges.length === 2);
      },
    );
    expect(q.results.every((d) => d.apiKeys.edges.length <= 2)).toBe(true);
    await ok(exec, `mutation { signOut }`, {}, device);
    await q.until((d) => nodes(d.sessions).some((s: { revokedAt: string | null }) => s.revokedAt));
  });

  it("quotas, usage, my agents, catalogue and ratings: changes by the admin and an API key reach a member", async () => {
    const admin = await createOwner(exec, "Admin");
    const member = await createMember(exec, admin, "Member");
    const outsider = await createOwner(exec, "Outsider");
    const backend = await createApiKey(exec, member, ["WRITE_USAGE"]);
    const q = live(
      connect(url, member.token),
      `query Workspace @live {
        quotas(first: 10) { edges { node { quotaType currentUsage } } }
        usage { totalTokens }
        myAgents(first: 10) { edges { node { id usageCount } } }
        agents(first: 10) { edges { node { id name ratingSummary { count } } } }
      }`,
    );
    await q.until((d) => d.agents.edges.length === 0);
    const agent = (await ok(exec, `mutation { createAgent(input: { name: "Helper" }) { id } }`, {}, admin.token))
      .createAgent.id;
    await q.until((d) => nodes(d.agents).some((a: { name: string }) => a.name === "Helper"));
    await ok(exec, `mutation { setQuota(quotaType: tokens, quotaLimit: 100000) { id } }`, {}, admin.token);
    await q.until((d) => d.quotas.edges.length === 1);
    const ua = (await ok(exec, `mutation($a: ID!) { addAgent(agentId: $a) { id } }`, { a: agent }, member.token))
      .addAgent.id;
    await q.until((d) => d.myAgents.edges.length === 1);
    await ok(
      exec,
      `mutation($ua: ID!) { recordAgentUsage(userAgentId: $ua, success: true, tokens: 1200, cost: 0.01, model: "m",
         idempotencyKey: "call-1") { replayed } }`,
      { ua },
      backend,
    );
    await q.until(
      (d) =>
        nodes(d.quotas)[0]?.currentUsage === 1200 &&
        d.usage.totalTokens === 1200 &&
        nodes(d.myAgents)[0]?.usageCount === 1,
    );
    await ranOnlyForOwn(
      member,
      async () => {
        await ok(exec, `mutation { setQuota(quotaType: tokens, quotaLimit: 5) { id } }`, {}, outsider.token);
        await ok(exec, `mutation { createAgent(input: { name: "Elsewhere" }) { id } }`, {}, outsider.token);
      },
      async () => {
        await ok(
          exec,
          `mutation($a: ID!) { rate(itemType: "agent", itemId: $a, rating: 5) { id } }`,
          { a: agent },
          admin.token,
        );
        await q.until((d) => nodes(d.agents)[0]?.ratingSummary.count === 1);
      },
    );
    expect(q.results.flatMap((d) => nodes(d.agents).map((a: { name: string }) => a.name))).not.toContain("Elsewhere");
  });

  it("favourites: a star from another device reaches the favourites list and the user's copy of the agent", async () => {
    const a = await createOwner(exec, "A");
    const agent = (await ok(exec, `mutation { createAgent(input: { name: "Star" }) { id } }`, {}, a.token)).createAgent
      .id;
    await ok(exec, `mutation($a: ID!) { addAgent(agentId: $a) { id } }`, { a: agent }, a.token);
    const q = live(
      connect(url, a.token),
      `query Stars @live {
        favorites(first: 10) { edges { node { id itemId } } }
        myAgents(first: 10) { edges { node { id isFavorite } } }
      }`,
    );
    await q.until((d) => d.favorites.edges.length === 0 && d.myAgents.edges.length === 1);
    const device = await signIn(a);
    const star = `mutation($a: ID!, $f: Boolean!) { setFavorite(itemType: "agent", itemId: $a, favorite: $f) }`;
    await ok(exec, star, { a: agent, f: true }, device);
    await q.until(
      (d) => d.favorites.edges.length === 1 && nodes<{ isFavorite: boolean }>(d.myAgents)[0]?.isFavorite === true,
    );
    await ok(exec, star, { a: agent, f: false }, device);
    await q.until(
      (d) => d.favorites.edges.length === 0 && nodes<{ isFavorite: boolean }>(d.myAgents)[0]?.isFavorite === false,
    );
  });

  it("members, roles, invites and audit log: another admin's changes reach the admin", async () => {
    const admin = await createOwner(exec, "Admin");
    const deputy = await createMember(exec, admin, "Deputy", "admin");
    const outsider = await createOwner(exec, "Outsider");
    const q = live(
      connect(url, admin.token),
      `query Admin @live {
        invites(first: 20) { edges { node { id acceptedAt } } }
        auditLog(first: 50) { edges { node { action } } }
        me { tenant { members(first: 50) { edges { node { id displayName roles { role inEffect } } } } } }
      }`,
    );
    const members = (d: { me: { tenant: { members: never } } }) => nodes<{ displayName: string }>(d.me.tenant.members);
    await q.until((d) => members(d).length === 2);
    const invite = await ok(exec, `mutation { createInvite(role: member) { token } }`, {}, deputy.token);
    await q.until(
      (d) =>
        d.invites.edges.length === 2 &&
        nodes(d.auditLog).filter((e: { action: string }) => e.action === "invite.created").length === 2,
    );
    await ok(
      exec,
      `mutation($t: String!) { signUp(email: "joiner-${Date.now()}@example.test", password: "correct horse battery staple", displayName: "Joiner", inviteToken: $t) { token } }`,
      { t: invite.createInvite.token },
    );
    await q.until((d) => members(d).some((m) => m.displayName === "Joiner"));
    await ranOnlyForOwn(
      admin,
      () => ok(exec, `mutation { createInvite(role: member) { token } }`, {}, outsider.token),
      async () => {
        const deputyId = members(q.results.at(-1)).find((m) => m.displayName === "Deputy") as unknown as { id: string };
        await ok(
          exec,
          `mutation($u: ID!) { assignRole(userId: $u, role: member) { id } }`,
          { u: deputyId.id },
          admin.token,
        );
        await q.until((d) =>
          members(d).some(
            (m) => m.displayName === "Deputy" && (m as unknown as { roles: unknown[] }).roles.length === 2,
          ),
        );
      },
    );
  });

  it("a viewer who loses the right is told why and the stream ends: ended role, revoked key", async () => {
    const admin = await createOwner(exec, "Admin");
    const deputy = await createMember(exec, admin, "Deputy", "admin");
    const deputyRoles = await ok(exec, `{ me { id roles { id role inEffect } } }`, {}, deputy.token);
    await ok(
      exec,
      `mutation($u: ID!) { assignRole(userId: $u, role: member) { id } }`,
      { u: deputyRoles.me.id },
      admin.token,
    );
    const invites = live(
      connect(url, deputy.token),
      `query Invites @live { invites(first: 5) { edges { node { id } } } }`,
    );
    await invites.until(() => true);
    const adminRole = deputyRoles.me.roles.find((r: { role: string }) => r.role === "admin").id;
    await ok(exec, `mutation($id: ID!) { endRoleAssignment(id: $id) { id } }`, { id: adminRole }, admin.token);
    expect(await invites.ended).toBe("FORBIDDEN");

    const key = await createApiKey(exec, admin, ["READ_MEMORIES"]);
    const byKey = live(connect(url, key), MEMORIES);
    await byKey.until(() => true);
    const keys = await ok(exec, `{ apiKeys { edges { node { id } } } }`, {}, admin.token);
    await ok(
      exec,
      `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
      { id: keys.apiKeys.edges[0].node.id },
      admin.token,
    );
    // The stream's own error or the socket's close, whichever the client reads first.
    expect(["UNAUTHENTICATED", "close 4401"]).toContain(await byKey.ended);
  });

  it("over server-sent events too, a new API key arrives on the open stream", async () => {
    const a = await createOwner(exec, "A");
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${a.token}` },
      body: JSON.stringify({ query: `query Keys @live { apiKeys(first: 10) { edges { node { name } } } }` }),
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    };
    await readUntil(/"apiKeys"/);
    await ok(exec, `mutation { createApiKey(name: "over-sse", scopes: [READ_MEMORIES]) { secret } }`, {}, a.token);
    await readUntil(/over-sse/);
    expect(text).toMatch(/over-sse/);
    await reader.cancel();
  });

  it("refuses @live over plain HTTP and to anonymous viewers, with a code", async () => {
    const a = await createOwner(exec);
    expect(codeOf(await exec(MEMORIES, {}, a.token))).toBe("LIVE_TRANSPORT_REQUIRED");
    expect(await live(connect(url, null), MEMORIES).ended).toBe("UNAUTHENTICATED");
  });
});
