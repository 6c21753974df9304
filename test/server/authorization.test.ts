// The authorization matrix of DESIGN.md section 3, proven with real operations: every field of the
// schema names a rule, and each rule allows exactly the viewers the table says, through lists,
// `node`/`nodes`, nested relations, aliases and fragments.
import SchemaBuilder from "@pothos/core";
import { encodeGlobalID } from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import { type GraphQLSchema, isIntrospectionType, isObjectType } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import { schema } from "../../server/schema/index.ts";
import {
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

type Path = (string | number)[];

function at(data: unknown, path: Path): unknown {
  let v: unknown = data;
  for (const p of path) {
    if (v === null || v === undefined) return v;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** The value at `path` is null and an error with `code` is reported at exactly that path. */
function expectDenied(r: GraphQLResult, path: Path, code: "FORBIDDEN" | "UNAUTHENTICATED" = "FORBIDDEN") {
  const err = r.errors?.find((e) => JSON.stringify(e.path) === JSON.stringify(path));
  expect(err, `no error at ${path.join(".")}: ${JSON.stringify(r)}`).toBeDefined();
  // node/nodes say NOT_FOUND for a hidden row, as for a missing one: a guessed ID is not confirmed.
  const nodeItself = (path[0] === "node" && path.length === 1) || (path[0] === "nodes" && path.length === 2);
  const expected = nodeItself ? "NOT_FOUND" : code;
  expect(err?.extensions?.code, JSON.stringify(r)).toBe(expected);
  expect(at(r.data, path) ?? null).toBeNull();
}

/** Every error in the response, as "path: code", to assert that nothing else failed. */
const errorPaths = (r: GraphQLResult) =>
  (r.errors ?? []).map((e) => `${(e.path ?? []).join(".")}: ${e.extensions?.code}`);

/** An API key of `user`; scopes as DESIGN.md writes them (read:profile), sent as the enum's names. */
const apiKey = (user: TestUser, scopes: string[]) =>
  createApiKey(
    exec,
    user,
    scopes.map((s) => s.replace(":", "_").toUpperCase()),
  );
const gid = (type: string, id: string) => encodeGlobalID(type, id);
const yesterday = () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
const daysFromNow = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

/**
 * One tenant with its admin, the owner of the data (a plain member), another member, and the
 * admin of a second tenant.
 */
async function world() {
  const admin = await createOwner(exec, "Admin");
  const owner = await createMember(exec, admin, "Owner");
  const member = await createMember(exec, admin, "Member");
  const other = await createOwner(exec, "Other");
  return { admin, owner, member, other };
}

async function createAgent(admin: TestUser, name = "Scout") {
  const d = await ok(
    exec,
    `mutation($input: AgentInput!) { createAgent(input: $input) { id } }`,
    { input: { name, systemPrompt: "You are the secret sauce.", temperature: 0.4 } },
    admin.token,
  );
  return d.createAgent.id as string;
}

async function currentSessionId(user: TestUser): Promise<string> {
  const d = await ok(exec, `{ sessions { edges { node { id current } } } }`, {}, user.token);
  const s = d.sessions.edges.find((e: { node: { current: boolean } }) => e.node.current);
  return s.node.id;
}

type WithOptions = { extensions?: { pothosOptions?: { authScopes?: unknown } } | null };
const ruleOf = (x: WithOptions) => x.extensions?.pothosOptions?.authScopes;

/** Fields with no rule: root fields need their own, other fields their own or their type's. */
function fieldsWithoutRule(s: GraphQLSchema): { missing: string[]; checked: number } {
  const roots = new Set(["Query", "Mutation", "Subscription"]);
  const missing: string[] = [];
  let checked = 0;
  for (const type of Object.values(s.getTypeMap())) {
    if (!isObjectType(type) || isIntrospectionType(type)) continue;
    const typeRule = roots.has(type.name) ? undefined : ruleOf(type as WithOptions);
    for (const field of Object.values(type.getFields())) {
      checked++;
      if (ruleOf(field as WithOptions) === undefined && typeRule === undefined)
        missing.push(`${type.name}.${field.name}`);
    }
  }
  return { missing, checked };
}

describe(`every field names its rule (${dbKind})`, () => {
  it("finds an authScopes rule on each field or its type, and on every root field", () => {
    const { missing, checked } = fieldsWithoutRule(schema);
    expect(checked).toBeGreaterThan(200);
    expect(missing).toEqual([]);
  });

  it("reports a field that has no rule (the walk reads the options Pothos keeps)", () => {
    // A bare builder; the cast drops the options the Prisma plugin's global types ask for.
    const b = new SchemaBuilder<{ AuthScopes: { admin: boolean } }>({
      plugins: [ScopeAuthPlugin],
      scopeAuth: { authScopes: () => ({ admin: false }) },
    } as never);
    const Guarded = b.objectRef<{ a: string }>("Guarded").implement({
      authScopes: { admin: true },
      fields: (t) => ({ a: t.exposeString("a") }),
    });
    const Open = b.objectRef<{ b: string }>("Open").implement({
      fields: (t) => ({ b: t.exposeString("b"), c: t.string({ authScopes: { admin: true }, resolve: () => "" }) }),
    });
    b.queryType({
      fields: (t) => ({
        guarded: t.field({ type: Guarded, authScopes: { admin: true }, resolve: () => ({ a: "" }) }),
        open: t.field({ type: Open, resolve: () => ({ b: "" }) }),
      }),
    });
    expect(fieldsWithoutRule(b.toSchema()).missing.sort()).toEqual(["Open.b", "Query.open"]);
  });
});

describe(`users and profiles (${dbKind})`, () => {
  const USER = /* GraphQL */ `
    query($id: ID!) {
      node(id: $id) {
        ... on User {
          id
          displayName
          email
          lastSignInAt
          roles { role }
          tenant { id }
          profile {
            fullName
            jobTitle
            preferences
            notificationSettings
            twitter
            country
            onboardingCompleted
          }
        }
      }
    }
  `;
  const PRIVATE = ["preferences", "notificationSettings", "twitter", "country", "onboardingCompleted"];

  it("shows id and display name to the tenant, email and roles to self and admins, private profile only to self", async () => {
    const { admin, owner, member, other } = await world();
    await ok(
      exec,
      `mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }`,
      {
        input: {
          jobTitle: "Pilot",
          country: "NO",
          twitter: "@owner",
          preferences: { theme: "dark", timezone: "Europe/Oslo" },
          notificationSettings: { email: false },
        },
      },
      owner.token,
    );

    // Owner: everything.
    const own = await exec(USER, { id: owner.id }, owner.token);
    expect(own.errors).toBeUndefined();
    expect(own.data.node).toMatchObject({
      displayName: "Owner",
      email: owner.email,
      roles: [{ role: "member" }],
      tenant: { id: gid("Tenant", owner.tenantId) },
      profile: { jobTitle: "Pilot", twitter: "owner", country: "NO", preferences: { theme: "dark" } },
    });

    // Same-tenant member: public part only.
    const byMember = await exec(USER, { id: owner.id }, member.token);
    expect(byMember.data.node).toMatchObject({ id: owner.id, displayName: "Owner", profile: { jobTitle: "Pilot" } });
    for (const f of ["email", "lastSignInAt", "roles", "tenant"]) expectDenied(byMember, ["node", f]);
    for (const f of PRIVATE) expectDenied(byMember, ["node", "profile", f]);
    expect(errorPaths(byMember)).toHaveLength(4 + PRIVATE.length);

    // Tenant admin: email and roles, but not the private part of the profile.
    const byAdmin = await exec(USER, { id: owner.id }, admin.token);
    expect(byAdmin.data.node).toMatchObject({
      email: owner.email,
      roles: [{ role: "member" }],
      profile: { jobTitle: "Pilot" },
    });
    expect(byAdmin.data.node.lastSignInAt).not.toBeNull();
    expectDenied(byAdmin, ["node", "tenant"]);
    for (const f of PRIVATE) expectDenied(byAdmin, ["node", "profile", f]);

    // Another tenant and anonymous: nothing.
    expectDenied(await exec(USER, { id: owner.id }, other.token), ["node"]);
    expectDenied(await exec(USER, { id: owner.id }, null), ["node"], "UNAUTHENTICATED");
  });

  it("lets an API key read the profile only with read:profile, and never beyond its owner", async () => {
    const { admin, owner } = await world();
    const withScope = await apiKey(owner, ["read:profile"]);
    const without = await apiKey(owner, ["read:agents"]);

    const mine = await exec(`{ me { email profile { preferences } } }`, {}, withScope);
    expect(mine.errors).toBeUndefined();
    expect(mine.data.me.email).toBe(owner.email);

    expectDenied(await exec(`{ me { email } }`, {}, without), ["me"]);
    expectDenied(await exec(USER, { id: owner.id }, without), ["node"]);

    // The owner's key sees the admin as any member does: no email.
    const adminSeen = await exec(USER, { id: admin.id }, withScope);
    expect(adminSeen.data.node.displayName).toBe("Admin");
    expectDenied(adminSeen, ["node", "email"]);
  });

  it("lists the tenant's members to members, with emails only where the viewer may see them", async () => {
    const { admin, owner, member, other } = await world();
    const q = `{ me { tenant { members { edges { node { id displayName email } } } } } }`;
    const r = await exec(q, {}, member.token);
    const nodes = r.data.me.tenant.members.edges.map((e: { node: { id: string } }) => e.node);
    expect(nodes.map((n: { id: string }) => n.id).sort()).toEqual([admin.id, owner.id, member.id].sort());
    expect(nodes.find((n: { id: string }) => n.id === member.id).email).toBe(member.email);
    expect(nodes.find((n: { id: string }) => n.id === owner.id).email).toBeNull();
    expect(errorPaths(r).every((p) => p.endsWith("email: FORBIDDEN"))).toBe(true);
    expect(errorPaths(r)).toHaveLength(2);

    const byAdmin = await exec(q, {}, admin.token);
    expect(byAdmin.errors).toBeUndefined();
    expect(byAdmin.data.me.tenant.members.edges.map((e: { node: { email: string } }) => e.node.email)).toContain(
      owner.email,
    );

    // Another tenant's admin cannot open this tenant through node().
    expectDenied(
      await exec(`query($id: ID!) { node(id: $id) { id } }`, { id: gid("Tenant", owner.tenantId) }, other.token),
      ["node"],
    );
  });

  it("applies field rules through aliases and fragments", async () => {
    const { owner, member } = await world();
    const r = await exec(
      /* GraphQL */ `
        query($a: ID!, $b: ID!) {
          mine: node(id: $a) { ...Private }
          theirs: node(id: $b) { ... on User { secretMail: email name: displayName } }
        }
        fragment Private on User { addr: email profile { prefs: preferences } }
      `,
      { a: member.id, b: owner.id },
      member.token,
    );
    expect(r.data.mine.addr).toBe(member.email);
    expect(r.data.theirs.name).toBe("Owner");
    expectDenied(r, ["theirs", "secretMail"]);
    expect(errorPaths(r)).toEqual(["theirs.secretMail: FORBIDDEN"]);
  });
});

describe(`sessions (${dbKind})`, () => {
  const SESSIONS = `query($all: Boolean) { sessions(allInTenant: $all) { edges { node { id ipAddress browser user { id } } } } }`;
  const ids = (r: GraphQLResult) =>
    (r.data as { sessions: { edges: { node: { id: string } }[] } }).sessions.edges.map((e) => e.node.id);

  it("lists mine to me, the tenant's to its admin, and nothing across tenants", async () => {
    const { admin, owner, member, other } = await world();
    const ownerSession = await currentSessionId(owner);

    const own = await exec(SESSIONS, {}, owner.token);
    expect(own.errors).toBeUndefined();
    expect(ids(own)).toContain(ownerSession);
    expect(
      (own.data.sessions.edges as { node: { user: { id: string } } }[]).every((e) => e.node.user.id === owner.id),
    ).toBe(true);

    const adminAll = await exec(SESSIONS, { all: true }, admin.token);
    expect(adminAll.errors).toBeUndefined();
    expect(ids(adminAll)).toContain(ownerSession);

    const memberAll = await exec(SESSIONS, { all: true }, member.token);
    expectDenied(memberAll, ["sessions"]);

    const otherAll = await exec(SESSIONS, { all: true }, other.token);
    expect(ids(otherAll)).not.toContain(ownerSession);

    expectDenied(await exec(SESSIONS, {}, null), ["sessions"], "UNAUTHENTICATED");
    // Credentials are managed from a session: an API key, whatever its scopes, cannot list them.
    const key = await apiKey(owner, ["read:profile", "read:agents"]);
    expectDenied(await exec(SESSIONS, {}, key), ["sessions"]);

    const NODE = `query($id: ID!) { node(id: $id) { ... on Session { ipAddress os } } }`;
    expect((await ok(exec, NODE, { id: ownerSession }, admin.token)).node).not.toBeNull();
    expectDenied(await exec(NODE, { id: ownerSession }, member.token), ["node"]);
    expectDenied(await exec(NODE, { id: ownerSession }, other.token), ["node"]);
  });

  it("lets the owner and the tenant admin revoke a session, nobody else", async () => {
    const { admin, owner, member, other } = await world();
    const ownerSession = await currentSessionId(owner);
    const REVOKE = `mutation($id: ID!) { revokeSession(id: $id) { id active } }`;

    for (const who of [member, other]) {
      const r = await exec(REVOKE, { id: ownerSession }, who.token);
      expect(r.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    }
    expect((await exec(REVOKE, { id: ownerSession }, null)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect((await ok(exec, `{ me { id } }`, {}, owner.token)).me.id).toBe(owner.id);

    const r = await ok(exec, REVOKE, { id: ownerSession }, admin.token);
    expect(r.revokeSession.active).toBe(false);
    expect((await ok(exec, `{ me { id } }`, {}, owner.token)).me).toBeNull();
    const row = await app.db.prisma.auditLog.findFirst({
      where: { tenantId: admin.tenantId, action: "session.revoked", userId: admin.userId },
    });
    expect(row).not.toBeNull();
  });
});

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

describe(`credentials and roles (${dbKind})`, () => {
  it("API keys are their owner's alone", async () => {
    const { admin, owner } = await world();
    await apiKey(owner, ["read:profile"]);
    const mine = await ok(exec, `{ apiKeys { edges { node { id name scopes } } } }`, {}, owner.token);
    expect(mine.apiKeys.edges).toHaveLength(1);
    const keyId = mine.apiKeys.edges[0].node.id;
    const byAdmin = await ok(exec, `{ apiKeys { edges { node { id } } } }`, {}, admin.token);
    expect(byAdmin.apiKeys.edges).toEqual([]);
    expectDenied(await exec(`query($id: ID!) { node(id: $id) { id } }`, { id: keyId }, admin.token), ["node"]);
    const revoke = await exec(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: keyId }, admin.token);
    expect(revoke.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(await app.db.prisma.apiKey.count({ where: { userId: owner.userId, revokedAt: null } })).toBe(1);
  });

  it("createInvite and assignRole are for admins of the tenant", async () => {
    const { admin, owner, member, other } = await world();
    const before = await app.db.prisma.invite.count({ where: { tenantId: admin.tenantId } });
    const INVITE = `mutation { createInvite(role: admin) { token } }`;
    expect((await exec(INVITE, {}, member.token)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await exec(INVITE, {}, null)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(await app.db.prisma.invite.count({ where: { tenantId: admin.tenantId } })).toBe(before);

    const ASSIGN = `mutation($u: ID!) { assignRole(userId: $u, role: admin) { id } }`;
    expect((await exec(ASSIGN, { u: member.id }, member.token)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await exec(ASSIGN, { u: owner.id }, other.token)).errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(await app.db.prisma.roleAssignment.count({ where: { userId: { in: [member.userId, owner.userId] } } })).toBe(
      2,
    );
  });

  it("a role counts only on the days it is in effect", async () => {
    const { admin, member } = await world();
    const ASSIGN = `mutation($u: ID!, $from: Date, $to: Date) { assignRole(userId: $u, role: admin, effectiveFrom: $from, effectiveTo: $to) { inEffect } }`;
    const AUDIT = `{ auditLog(first: 1) { edges { node { id } } } }`;

    const future = await ok(exec, ASSIGN, { u: member.id, from: daysFromNow(3) }, admin.token);
    expect(future.assignRole.inEffect).toBe(false);
    expectDenied(await exec(AUDIT, {}, member.token), ["auditLog"]);

    const past = await ok(exec, ASSIGN, { u: member.id, from: daysFromNow(-10), to: yesterday() }, admin.token);
    expect(past.assignRole.inEffect).toBe(false);
    expectDenied(await exec(AUDIT, {}, member.token), ["auditLog"]);
    expect((await exec(`mutation { createInvite { token } }`, {}, member.token)).errors?.[0]?.extensions?.code).toBe(
      "FORBIDDEN",
    );

    const now = await ok(exec, ASSIGN, { u: member.id, to: daysFromNow(1) }, admin.token);
    expect(now.assignRole.inEffect).toBe(true);
    expect((await ok(exec, AUDIT, {}, member.token)).auditLog.edges).toHaveLength(1);
  });

  it("a revoked API key and a signed-out session act as anonymous", async () => {
    const { owner } = await world();
    const key = await apiKey(owner, ["read:profile", "read:agents"]);
    expect((await ok(exec, `{ me { id } }`, {}, key)).me.id).toBe(owner.id);
    const keys = await ok(exec, `{ apiKeys { edges { node { id } } } }`, {}, owner.token);
    await ok(
      exec,
      `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`,
      { id: keys.apiKeys.edges[0].node.id },
      owner.token,
    );
    expect((await ok(exec, `{ me { id } }`, {}, key)).me).toBeNull();
    expectDenied(await exec(`{ agents { edges { node { id } } } }`, {}, key), ["agents"], "UNAUTHENTICATED");

    await ok(exec, `mutation { signOut }`, {}, owner.token);
    expect((await ok(exec, `{ me { id } }`, {}, owner.token)).me).toBeNull();
    expectDenied(
      await exec(`{ memories { edges { node { id } } } }`, {}, owner.token),
      ["memories"],
      "UNAUTHENTICATED",
    );
    expect((await exec(`mutation { signOut }`, {}, owner.token)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("a member whose membership has ended loses the tenant, even with a live session", async () => {
    const { admin, member } = await world();
    await createAgent(admin);
    const key = await apiKey(member, ["read:agents"]);
    await app.db.prisma.roleAssignment.updateMany({
      where: { userId: member.userId },
      data: {
        effectiveFrom: new Date(Date.now() - 10 * 86_400_000),
        effectiveTo: new Date(`${yesterday()}T00:00:00Z`),
      },
    });
    for (const token of [member.token, key]) {
      expectDenied(await exec(`{ agents { edges { node { name } } } }`, {}, token), ["agents"], "UNAUTHENTICATED");
      expect((await ok(exec, `{ me { id } }`, {}, token)).me).toBeNull();
    }
  });
});

describe(`node and nodes across tenants (${dbKind})`, () => {
  it("never leak another tenant's rows, one by one or in a batch", async () => {
    const { admin, owner, other } = await world();
    const agentId = await createAgent(admin);
    const mem = await ok(
      exec,
      `mutation { createMemory(input: { memoryType: fact, memoryKey: "k", content: "secret" }) { id } }`,
      {},
      owner.token,
    );
    const rating = await ok(
      exec,
      `mutation($i: ID!) { rate(itemType: "agent", itemId: $i, rating: 3) { id } }`,
      { i: agentId },
      owner.token,
    );
    const ids = [mem.createMemory.id, owner.id, agentId, await currentSessionId(owner), rating.rate.id];

    const NODE = `query($id: ID!) { node(id: $id) { id __typename } }`;
    for (const id of ids) expectDenied(await exec(NODE, { id }, other.token), ["node"]);

    const batch = await exec(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids }, other.token);
    expect(batch.data.nodes).toEqual(ids.map(() => null));
    ids.forEach((_, i) => {
      expectDenied(batch, ["nodes", i]);
    });

    // Fragments on each type reach nothing either.
    const typed = await exec(
      /* GraphQL */ `
        query($ids: [ID!]!) {
          nodes(ids: $ids) {
            ... on Memory { content }
            ... on User { email displayName }
            ... on Agent { systemPrompt name }
            ... on Session { ipAddress }
            ... on Rating { review author { email } }
          }
        }
      `,
      { ids },
      other.token,
    );
    expect(typed.data.nodes).toEqual(ids.map(() => null));
    expect(JSON.stringify(typed)).not.toContain("secret");

    // Anonymous: the same, as UNAUTHENTICATED.
    const anon = await exec(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids }, null);
    expect(anon.data.nodes).toEqual(ids.map(() => null));
    expectDenied(anon, ["nodes", 0], "UNAUTHENTICATED");
  });
});
