import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import { publishViewerChanged } from "../../server/services/bearer.ts";
import {
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

// A test-only recorder of the SQL statements Prisma sends: nested lists must cost the same number
// of statements whatever their length (no N+1).
let statements: string[] = [];
let app: App;
let exec: Execute;
let owner: TestUser;

beforeAll(async () => {
  app = await createTestApp({ onQuery: (sql) => statements.push(sql) });
  exec = executor(app);
  owner = await createOwner(exec, "Counter");
  const prisma = app.db.prisma;
  for (let i = 0; i < 50; i++) {
    const agent = await prisma.agent.create({ data: { tenantId: owner.tenantId, name: `Agent ${i}` } });
    await prisma.userAgent.create({ data: { userId: owner.userId, tenantId: owner.tenantId, agentId: agent.id } });
  }
  for (let i = 0; i < 50; i++) await createMember(exec, owner, `Member${i}`);
}, 300_000);
afterAll(() => app?.stop());

async function countStatements(query: string, variables: Record<string, unknown>) {
  // Authenticate first so the viewer lookup is not counted, then measure the operation alone.
  await ok(exec, "{ me { id } }", {}, owner.token);
  statements = [];
  const data = await ok(exec, query, variables, owner.token);
  return { count: statements.length, data };
}

describe(`nested lists load without N+1 (${dbKind})`, () => {
  it("me → myAgents → agent runs the same statements for 5 and 50 agents", async () => {
    const q = `query($n: Int!) { me { myAgents(first: $n) { edges { node { name agent { name model } } } } } }`;
    const five = await countStatements(q, { n: 5 });
    const fifty = await countStatements(q, { n: 50 });
    expect(five.data.me.myAgents.edges).toHaveLength(5);
    expect(fifty.data.me.myAgents.edges).toHaveLength(50);
    expect(five.count).toBeGreaterThan(0);
    expect(fifty.count).toBe(five.count);
    // The viewer is kept (viewer-cache.ts): the user with its agents joined, one statement.
    expect(fifty.count).toBe(1);
  });

  it("{ me { id } } costs no statement once the viewer is kept, one (the viewer's) before", async () => {
    const { count, data } = await countStatements("{ me { id } }", {});
    expect(data.me.id).toBe(owner.id);
    expect(count).toBe(0);
    // A token this instance has not read yet: its credential and roles in one statement (and
    // its first use recorded, lastUsedAt, which the next minute's requests skip).
    const key = await createApiKey(exec, owner, ["READ_PROFILE"]);
    statements = [];
    expect((await ok(exec, "{ me { id } }", {}, key)).me.id).toBe(owner.id);
    expect(statements.filter((s) => /c\.key_hash/.test(s))).toHaveLength(1);
    statements = [];
    expect((await ok(exec, "{ me { id } }", {}, key)).me.id).toBe(owner.id);
    expect(statements).toHaveLength(0);
  });

  it("reads a token once for the requests that ask while it is read, and again after a viewer change", async () => {
    const { viewerOf } = app.services.sessions;
    const reads = () => statements.filter((s) => /c\.key_hash/.test(s)).length;
    // A thousand subscribers of one token connecting together: each asks before the first read lands.
    const key = await createApiKey(exec, owner, ["READ_PROFILE"]);
    statements = [];
    const viewers = await Promise.all(Array.from({ length: 5 }, () => viewerOf(key)));
    expect(reads()).toBe(1);
    expect(viewers.map((v) => v.kind === "apiKey" && v.userId)).toEqual(Array(5).fill(owner.userId));
    // A request after a change to viewers does not take the answer of a read that began before it.
    const other = await createApiKey(exec, owner, ["READ_PROFILE"]);
    statements = [];
    const before = viewerOf(other);
    publishViewerChanged(app.services.pubsub, owner.userId, "test");
    const after = viewerOf(other);
    await Promise.all([before, after]);
    expect(reads()).toBe(2);
  });

  it("tenant members with profiles runs the same statements for 5 and 50 members", async () => {
    const q = `query($n: Int!) { me { tenant { members(first: $n) { edges { node { displayName profile { fullName jobTitle } } } } } } }`;
    const five = await countStatements(q, { n: 5 });
    const fifty = await countStatements(q, { n: 50 });
    expect(five.data.me.tenant.members.edges).toHaveLength(5);
    expect(fifty.data.me.tenant.members.edges).toHaveLength(50);
    expect(fifty.count).toBe(five.count);
    // The members with their profiles joined (the viewer is kept); membership is not asked twice.
    expect(fifty.count).toBe(1);
  });

  it("the agent catalogue with rating summaries runs the same statements for 5 and 50 agents", async () => {
    const agents = await app.db.prisma.agent.findMany({
      where: { tenantId: owner.tenantId },
      orderBy: { name: "asc" },
      take: 2,
    });
    await app.db.prisma.rating.createMany({
      data: [
        { userId: owner.userId, tenantId: owner.tenantId, itemType: "agent", itemId: agents[0]!.id, rating: 4 },
        { userId: owner.userId, tenantId: owner.tenantId, itemType: "agent", itemId: agents[1]!.id, rating: 2 },
      ],
    });
    const q = `query($n: Int!) { agents(first: $n) { edges { node { name ratingSummary { average count distribution } } } } }`;
    const five = await countStatements(q, { n: 5 });
    const fifty = await countStatements(q, { n: 50 });
    expect(fifty.count).toBe(five.count);
    const byName = new Map(fifty.data.agents.edges.map((e: any) => [e.node.name, e.node.ratingSummary]));
    expect(byName.get(agents[0]!.name)).toEqual({ average: 4, count: 1, distribution: [0, 0, 0, 1, 0] });
    expect(byName.get(agents[1]!.name)).toEqual({ average: 2, count: 1, distribution: [0, 1, 0, 0, 0] });
  });

  it("caps a page at 100 rows however many are asked for", async () => {
    await app.db.prisma.agent.createMany({
      data: Array.from({ length: 60 }, (_, i) => ({ tenantId: owner.tenantId, name: `Extra ${i}` })),
    });
    const d = await ok(
      exec,
      `{ agents(first: 1000) { edges { node { id } } pageInfo { hasNextPage } } }`,
      {},
      owner.token,
    );
    expect(d.agents.edges).toHaveLength(100);
    expect(d.agents.pageInfo.hasNextPage).toBe(true);
  });
});
