// Rate limits as data: admins keep RateLimitConfig rows through the API; they bind API-key traffic
// and analysis starts; a refusal answers RATE_LIMITED with retry-after (extensions and the HTTP
// Retry-After header) and is recorded where admins see it. Windows are a day long, so no test waits.
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
  type GraphQLResult,
  ok,
} from "../kit.ts";

let app: App;
let exec: Execute;
/** The reads of a tenant's limits Prisma sends while set. */
let configReads: string[] | null = null;

beforeAll(async () => {
  app = await createTestApp({
    config: { API_METER_FLUSH_MS: "600000" },
    onQuery: (sql) => {
      if (/\brate_limit_configs\b/.test(sql) && /^\s*SELECT/i.test(sql)) configReads?.push(sql);
    },
  });
  exec = executor(app);
});
afterAll(() => app?.stop());

const SET = `mutation($type: RateLimitType!, $scope: RateLimitScope!, $value: Int!, $action: String!, $user: ID, $key: ID) {
  setRateLimit(action: $action, limitType: $type, limitScope: $scope, limitValue: $value, userId: $user, apiKeyId: $key) {
    id limitScope limitValue apiKeyId
  }
}`;
const VIOLATIONS = `{ rateLimitViolations { edges { node { action limitScope limitValue retryAfterSeconds apiKeyId } } } }`;

async function raw(token: string): Promise<{ status: number; retryAfter: string | null; body: GraphQLResult }> {
  const res = await app.fetch("http://test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: `{ me { id } }` }),
  });
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as GraphQLResult };
}

describe(`rate limits (${dbKind})`, () => {
  it("an API key's limit refuses the next call with RATE_LIMITED and Retry-After, and records it", async () => {
    const admin = await createOwner(exec);
    const member = await createMember(exec, admin);
    const key = await createApiKey(exec, member, ["READ_PROFILE"]);
    const other = await createApiKey(exec, member, ["READ_PROFILE"]);
    const keyId = (await ok(exec, `{ apiKeys { edges { node { id } } } }`, {}, member.token)).apiKeys.edges.map(
      (e: { node: { id: string } }) => e.node.id,
    );
    // The newest key first: `other` is keyId[0], `key` keyId[1].
    const set = await ok(
      exec,
      SET,
      { action: "api.request", type: "requests_per_day", scope: "api_key", value: 2, key: keyId[1] },
      admin.token,
    );
    expect(set.setRateLimit).toMatchObject({ limitScope: "api_key", limitValue: 2, apiKeyId: keyId[1] });

    await ok(exec, `{ me { id } }`, {}, key);
    await ok(exec, `{ me { id } }`, {}, key);
    const refused = await raw(key);
    expect(codeOf(refused.body)).toBe("RATE_LIMITED");
    const seconds = refused.body.errors?.[0]?.extensions?.retryAfterSeconds as number;
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(86_400);
    expect(refused.retryAfter).toBe(String(seconds));
    await ok(exec, `{ me { id } }`, {}, other); // another key of the same user is not limited

    const v = await ok(exec, VIOLATIONS, {}, admin.token);
    expect(v.rateLimitViolations.edges.map((e: { node: unknown }) => e.node)).toEqual([
      { action: "api.request", limitScope: "api_key", limitValue: 2, retryAfterSeconds: seconds, apiKeyId: keyId[1] },
    ]);
    expect(codeOf(await exec(VIOLATIONS, {}, member.token))).toBe("FORBIDDEN");
    // A refused call is not counted by the api_calls meter: 2 + 1 calls ran.
    await app.services.apiMeter.flush();
    const calls = await app.db.prisma.apiCallCount.aggregate({
      where: { tenantId: admin.tenantId },
      _sum: { calls: true },
    });
    expect(Number(calls._sum.calls)).toBe(3);
  });

  it("only admins manage limits; a scope names what it limits; deleting lifts it", async () => {
    const admin = await createOwner(exec);
    const member = await createMember(exec, admin);
    const vars = { action: "api.request", type: "requests_per_day", scope: "tenant", value: 1 };
    expect(codeOf(await exec(SET, vars, member.token))).toBe("FORBIDDEN");
    expect(codeOf(await exec(SET, { ...vars, scope: "user" }, admin.token))).toBe("BAD_USER_INPUT");
    expect(codeOf(await exec(SET, { ...vars, action: "nope" }, admin.token))).toBe("BAD_USER_INPUT");
    expect(codeOf(await exec(SET, { ...vars, scope: "global" }, admin.token))).toBe("FORBIDDEN");
    const row = (await ok(exec, SET, vars, admin.token)).setRateLimit;
    const key = await createApiKey(exec, member, ["READ_PROFILE"]);
    await ok(exec, `{ me { id } }`, {}, key);
    expect(codeOf(await exec(`{ me { id } }`, {}, key))).toBe("RATE_LIMITED");
    const list = await ok(exec, `{ rateLimits { edges { node { id } } } }`, {}, admin.token);
    expect(list.rateLimits.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([row.id]);
    await ok(exec, `mutation($id: ID!) { deleteRateLimit(id: $id) { id } }`, { id: row.id }, admin.token);
    await ok(exec, `{ me { id } }`, {}, key);
  });

  it("reads a tenant's limits once for the requests that arrive while they are read", async () => {
    const admin = await createOwner(exec, "Herd");
    const key = await createApiKey(exec, admin, ["READ_PROFILE"]);
    await ok(exec, "{ me { id } }", {}, key); // the key's viewer is kept, so only the limits are read below
    for (let round = 0; round < 2; round++) {
      // A change drops the limits this instance keeps; the next requests read them again.
      await ok(
        exec,
        SET,
        { action: "api.request", type: "requests_per_day", scope: "tenant", value: 1000 + round },
        admin.token,
      );
      configReads = [];
      const answers = await Promise.all(Array.from({ length: 5 }, () => raw(key)));
      expect(answers.map((a) => a.status)).toEqual(Array(5).fill(200));
      expect(configReads).toHaveLength(1);
    }
    configReads = null;
  });

  it("an analysis-start limit refuses and records the refusal", async () => {
    const admin = await createOwner(exec);
    await ok(
      exec,
      SET,
      { action: "analysis.start", type: "requests_per_day", scope: "user", value: 1, user: admin.id },
      admin.token,
    );
    await ok(
      exec,
      `mutation { importContent(source: twitter, items: [{ text: "hello world" }]) { items { id } } }`,
      {},
      admin.token,
    );
    await ok(exec, `mutation { startAnalysis { id } }`, {}, admin.token);
    expect(codeOf(await exec(`mutation { startAnalysis { id } }`, {}, admin.token))).toBe("RATE_LIMITED");
    const v = await ok(exec, VIOLATIONS, {}, admin.token);
    expect(v.rateLimitViolations.edges.map((e: { node: { action: string } }) => e.node.action)).toEqual([
      "analysis.start",
    ]);
  });
});
