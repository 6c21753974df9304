// Concurrency limits of API-key traffic: a `concurrent_requests` limit of `api.request` lets that
// many operations of the key be in flight at once; the next is refused with RATE_LIMITED (retry
// after 1 s) and recorded, and a slot comes back when its operation is done. Slots are held here
// through the service, so no test races requests against each other.
import { describe, expect } from "vitest";
import { appTest, codeOf, createApiKey, createMember, dbKind, ok } from "../kit.ts";

const it = appTest({ config: { API_METER_FLUSH_MS: "600000" } });

describe(`concurrent API-key limits (${dbKind})`, () => {
  it("refuses the operation beyond the limit while others are in flight, and frees slots when they end", async ({
    app,
    exec,
    owner: admin,
  }) => {
    const member = await createMember(exec, admin);
    const key = await createApiKey(exec, member, ["READ_PROFILE"]);
    const keyId = (await ok(exec, `{ apiKeys { edges { node { id } } } }`, {}, member.token)).apiKeys.edges[0].node.id;
    await ok(
      exec,
      `mutation($k: ID!) { setRateLimit(action: "api.request", limitType: concurrent_requests, limitScope: api_key, limitValue: 2, apiKeyId: $k) { id } }`,
      { k: keyId },
      admin.token,
    );
    // Operations one after another never hold more than one slot.
    for (let i = 0; i < 4; i++) await ok(exec, `{ me { id } }`, {}, key);

    const viewer = await app.services.sessions.resolveViewer(key);
    if (viewer.kind !== "apiKey") throw new Error("the key did not resolve");
    const first = await app.services.rateLimits.enterRequest(viewer);
    const second = await app.services.rateLimits.enterRequest(viewer);
    const refused = await exec(`{ me { id } }`, {}, key);
    expect(codeOf(refused)).toBe("RATE_LIMITED");
    expect(refused.errors?.[0]?.extensions?.retryAfterSeconds).toBe(1);
    // Another credential of the same user is not bound by the key's limit.
    await ok(exec, `{ me { id } }`, {}, member.token);
    first();
    first(); // a second release gives back nothing more
    await ok(exec, `{ me { id } }`, {}, key);
    const third = await app.services.rateLimits.enterRequest(viewer);
    third();
    second();

    const v = await ok(
      exec,
      `{ rateLimitViolations { edges { node { limitType limitScope limitValue retryAfterSeconds } } } }`,
      {},
      admin.token,
    );
    expect(v.rateLimitViolations.edges.map((e: { node: unknown }) => e.node)).toEqual([
      { limitType: "concurrent_requests", limitScope: "api_key", limitValue: 2, retryAfterSeconds: 1 },
    ]);
  });
});
