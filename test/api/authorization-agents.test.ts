// The agent catalogue, user agents and ratings: each rule allows exactly the viewers DESIGN.md
// section 3 names.
import { describe, expect, it } from "vitest";
import { publishViewerChanged } from "../../server/services/sessions.ts";
import { dbId, dbKind, ok } from "../kit.ts";
import {
  apiKey,
  app,
  createAgent,
  errorPaths,
  exec,
  expectDenied,
  setUpAuthorizationApp,
  world,
  yesterday,
} from "../support/authorization.ts";

setUpAuthorizationApp();

describe(`agent catalogue (${dbKind})`, () => {
  const AGENTS = `{ agents { edges { node { id name systemPrompt } } } }`;

  it("is read by members, its system prompt by admins only, and written by admins only", async () => {
    const { admin, owner, member, other } = await world();
    const agentId = await createAgent(admin);

    const byMember = await exec(AGENTS, {}, member.token);
    expect(byMember.data.agents.edges).toHaveLength(1);
    expect(byMember.data.agents.edges[0].node.name).toBe("Scout");
    expectDenied(byMember, ["agents", "edges", 0, "node", "systemPrompt"]);

    const byAdmin = await exec(AGENTS, {}, admin.token);
    expect(byAdmin.errors).toBeUndefined();
    expect(byAdmin.data.agents.edges[0].node.systemPrompt).toBe("You are the secret sauce.");

    const byOther = await ok(exec, `{ agents { edges { node { id } } } }`, {}, other.token);
    expect(byOther.agents.edges).toEqual([]);
    expectDenied(await exec(`query($id: ID!) { node(id: $id) { id } }`, { id: agentId }, other.token), ["node"]);
    expectDenied(await exec(AGENTS, {}, null), ["agents"], "UNAUTHENTICATED");

    const readKey = await apiKey(owner, ["read:agents"]);
    expect((await ok(exec, `{ agents { edges { node { name } } } }`, {}, readKey)).agents.edges).toHaveLength(1);
    const noKey = await apiKey(owner, ["read:profile"]);
    expectDenied(await exec(`{ agents { edges { node { name } } } }`, {}, noKey), ["agents"]);

    const CREATE = `mutation { createAgent(input: { name: "Rogue" }) { id } }`;
    const UPDATE = `mutation($id: ID!) { updateAgent(id: $id, input: { systemPrompt: "pwned" }) { id } }`;
    expect((await exec(CREATE, {}, member.token)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await exec(UPDATE, { id: agentId }, member.token)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    // An admin's key needs the admin scope to act as admin.
    const adminKeyWithoutAdmin = await apiKey(admin, ["write:agents", "read:agents"]);
    expect((await exec(CREATE, {}, adminKeyWithoutAdmin)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const otherAdminUpdate = await exec(UPDATE, { id: agentId }, other.token);
    expect(otherAdminUpdate.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const agents = await app.db.prisma.agent.findMany({ where: { tenantId: admin.tenantId } });
    expect(agents.map((a) => [a.name, a.systemPrompt])).toEqual([["Scout", "You are the secret sauce."]]);

    const adminKey = await apiKey(admin, ["admin", "write:agents", "read:agents"]);
    expect((await ok(exec, CREATE, {}, adminKey)).createAgent.id).toBeTruthy();
  });
});

describe(`user agents (${dbKind})`, () => {
  const UA = /* GraphQL */ `
    query($id: ID!) {
      node(id: $id) {
        ... on UserAgent { name customName tags customSystemPrompt notes totalCostUsd usageCount agent { name } owner { displayName } }
      }
    }
  `;
  const PRIVATE = ["customSystemPrompt", "notes", "totalCostUsd", "usageCount"];

  it("shows the owner everything, shared fields to the members it is shared with, and nothing to the admin", async () => {
    const { admin, owner, member, other } = await world();
    const agentId = await createAgent(admin);
    const d = await ok(
      exec,
      `mutation($a: ID!) { addAgent(agentId: $a, input: { customName: "My scout", tags: ["ops"], customSystemPrompt: "Be terse.", notes: "private" }) { id } }`,
      { a: agentId },
      owner.token,
    );
    const uaId = d.addAgent.id;

    const own = await exec(UA, { id: uaId }, owner.token);
    expect(own.errors).toBeUndefined();
    expect(own.data.node).toMatchObject({ customName: "My scout", customSystemPrompt: "Be terse.", notes: "private" });

    // Not shared yet: members and the admin see nothing.
    expectDenied(await exec(UA, { id: uaId }, member.token), ["node"]);
    expectDenied(await exec(UA, { id: uaId }, admin.token), ["node"]);

    await ok(
      exec,
      `mutation($id: ID!, $u: [ID!]!) { shareUserAgent(id: $id, userIds: $u) { isShared } }`,
      { id: uaId, u: [member.id] },
      owner.token,
    );
    const shared = await exec(UA, { id: uaId }, member.token);
    expect(shared.data.node).toMatchObject({
      name: "My scout",
      customName: "My scout",
      tags: ["ops"],
      agent: { name: "Scout" },
      owner: { displayName: "Owner" },
    });
    for (const f of PRIVATE) expectDenied(shared, ["node", f]);
    const list = await ok(exec, `{ sharedAgents { edges { node { id } } } }`, {}, member.token);
    expect(list.sharedAgents.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([uaId]);

    // The admin it is not shared with, another tenant and anonymous still see nothing.
    expectDenied(await exec(UA, { id: uaId }, admin.token), ["node"]);
    expect((await ok(exec, `{ sharedAgents { edges { node { id } } } }`, {}, admin.token)).sharedAgents.edges).toEqual(
      [],
    );
    expectDenied(await exec(UA, { id: uaId }, other.token), ["node"]);
    expectDenied(await exec(UA, { id: uaId }, null), ["node"], "UNAUTHENTICATED");

    // Unsharing ends it.
    await ok(
      exec,
      `mutation($id: ID!) { shareUserAgent(id: $id, userIds: []) { isShared } }`,
      { id: uaId },
      owner.token,
    );
    expectDenied(await exec(UA, { id: uaId }, member.token), ["node"]);

    // Writes: only the owner.
    const upd = await exec(
      `mutation($id: ID!) { updateUserAgent(id: $id, input: { notes: "hijack" }) { id } }`,
      { id: uaId },
      admin.token,
    );
    expect(upd.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect((await app.db.prisma.userAgent.findFirstOrThrow({ where: { agentId: dbId(agentId) } })).notes).toBe(
      "private",
    );
  });
});

describe(`ratings (${dbKind})`, () => {
  const RATINGS = `query($t: String!, $i: ID!) { ratings(itemType: $t, itemId: $i) { edges { node { id rating review helpfulCount author { displayName } } } } }`;
  const SUMMARY = `query($t: String!, $i: ID!) { ratingSummary(itemType: $t, itemId: $i) { count average } }`;

  it("are visible within the tenant only, and never counted across tenants", async () => {
    const { admin, owner, member, other } = await world();
    const agentId = await createAgent(admin);
    const r = await ok(
      exec,
      `mutation($i: ID!) { rate(itemType: "agent", itemId: $i, rating: 4, review: "solid") { id } }`,
      { i: agentId },
      owner.token,
    );
    const ratingId = r.rate.id;
    const vars = { t: "agent", i: agentId };

    for (const who of [owner, member, admin]) {
      const seen = await ok(exec, RATINGS, vars, who.token);
      expect(seen.ratings.edges.map((e: { node: unknown }) => e.node)).toEqual([
        { id: ratingId, rating: 4, review: "solid", helpfulCount: 0, author: { displayName: "Owner" } },
      ]);
      expect((await ok(exec, SUMMARY, vars, who.token)).ratingSummary).toEqual({ count: 1, average: 4 });
    }

    // Another tenant asking about the same item ID sees and counts nothing.
    expect((await ok(exec, RATINGS, vars, other.token)).ratings.edges).toEqual([]);
    expect((await ok(exec, SUMMARY, vars, other.token)).ratingSummary).toEqual({ count: 0, average: null });
    expectDenied(await exec(`query($id: ID!) { node(id: $id) { id } }`, { id: ratingId }, other.token), ["node"]);
    expectDenied(await exec(RATINGS, vars, null), ["ratings"], "UNAUTHENTICATED");

    // A key with read:ratings reads the ratings; the author needs read:profile as well.
    const readKey = await apiKey(member, ["read:ratings"]);
    const byKey = await exec(RATINGS, vars, readKey);
    expect(byKey.data.ratings.edges.map((e: { node: { rating: number } }) => e.node.rating)).toEqual([4]);
    expectDenied(byKey, ["ratings", "edges", 0, "node", "author"]);
    expect(errorPaths(byKey)).toHaveLength(1);
    const noKey = await apiKey(member, ["read:agents"]);
    expectDenied(await exec(RATINGS, vars, noKey), ["ratings"]);
    expectDenied(await exec(SUMMARY, vars, noKey), ["ratingSummary"]);

    const helpful = await exec(
      `mutation($id: ID!) { markRatingHelpful(id: $id) { id } }`,
      { id: ratingId },
      other.token,
    );
    expect(helpful.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect((await app.db.prisma.rating.findUniqueOrThrow({ where: { id: dbId(ratingId) } })).helpfulCount).toBe(0);
    expect(await app.db.prisma.ratingHelpfulVote.count({ where: { userId: other.userId } })).toBe(0);
  });

  it("do not reach a user outside the tenant through the rating's author", async () => {
    const { admin, owner, member } = await world();
    const agentId = await createAgent(admin);
    await ok(
      exec,
      `mutation($i: ID!) { rate(itemType: "agent", itemId: $i, rating: 2) { id } }`,
      { i: agentId },
      owner.token,
    );
    await ok(
      exec,
      `mutation($i: ID!) { rate(itemType: "agent", itemId: $i, rating: 5) { id } }`,
      { i: agentId },
      admin.token,
    );
    // The owner leaves the tenant: their membership ended yesterday.
    await app.db.prisma.roleAssignment.updateMany({
      where: { userId: owner.userId },
      data: {
        effectiveFrom: new Date(Date.now() - 10 * 86_400_000),
        effectiveTo: new Date(`${yesterday()}T00:00:00Z`),
      },
    });
    // Written behind the app's back, as the clock would: tell it, as its own writes do.
    publishViewerChanged(app.services.pubsub, owner.userId, "membership ended");

    const r = await exec(
      `query($i: ID!) { ratings(itemType: "agent", itemId: $i) { edges { node { rating author { id displayName email } } } } }`,
      { i: agentId },
      member.token,
    );
    const nodes = r.data.ratings.edges.map((e: { node: unknown }) => e.node);
    // Both ratings stay listed; the former member's identity does not.
    expect(nodes).toHaveLength(2);
    const theirs = nodes.findIndex((n: { rating: number }) => n.rating === 2);
    expect(nodes[theirs].author).toBeNull();
    expectDenied(r, ["ratings", "edges", theirs, "node", "author"]);
    expect(nodes[1 - theirs].author.displayName).toBe("Admin");
    expectDenied(await exec(`query($id: ID!) { node(id: $id) { id } }`, { id: owner.id }, member.token), ["node"]);
  });
});
