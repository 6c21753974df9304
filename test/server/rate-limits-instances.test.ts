// Concurrency limits of API-key traffic across instances: with REDIS_URL an in-flight slot taken on
// instance A counts on instance B, and the slots of an instance that died lapse with their lease
// (time is the limiter's clock, moved by the test, never waited for). Slots are held through the
// service, so no test races requests against each other.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { App } from "../../server/app.ts";
import { CONCURRENT_LEASE_MS, createRateLimits } from "../../server/services/rate-limits.ts";
import { codeOf, createApiKey, createOwner, createTestApp, executor, instancesSkipReason, ok } from "../kit.ts";

const redisUrl = inject("redisUrl");
const why = instancesSkipReason("rate-limits-instances");

describe.skipIf(why !== "")(`concurrent API-key limits over two instances and Redis ${why}`, () => {
  let a: App;
  let b: App;

  beforeAll(async () => {
    const config = { REDIS_URL: redisUrl as string, RUN_WORKER: "false", API_METER_FLUSH_MS: "600000" };
    [a, b] = await Promise.all([createTestApp({ config }), createTestApp({ config })]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("a slot held on one instance is counted on the other; a dead instance's slot lapses with its lease", async () => {
    const execA = executor(a);
    const execB = executor(b);
    const admin = await createOwner(execA, "Shared");
    const key = await createApiKey(execA, admin, ["READ_PROFILE"]);
    const keyId = (await ok(execA, `{ apiKeys { edges { node { id } } } }`, {}, admin.token)).apiKeys.edges[0].node.id;
    await ok(
      execA,
      `mutation($k: ID!) { setRateLimit(action: "api.request", limitType: concurrent_requests, limitScope: api_key, limitValue: 1, apiKeyId: $k) { id } }`,
      { k: keyId },
      admin.token,
    );
    await ok(execB, `{ me { id } }`, {}, key);

    const viewer = await a.services.sessions.resolveViewer(key);
    if (viewer.kind !== "apiKey") throw new Error("the key did not resolve");
    const held = await a.services.rateLimits.enterRequest(viewer);
    const refused = await execB(`{ me { id } }`, {}, key);
    expect(codeOf(refused)).toBe("RATE_LIMITED");
    expect(refused.errors?.[0]?.extensions?.retryAfterSeconds).toBe(1);
    await held();
    await ok(execB, `{ me { id } }`, {}, key);

    // An instance that takes the slot and dies: it never gives it back.
    let now = Date.now();
    const dying = createRateLimits(a.db.prisma, { redisUrl: redisUrl as string, now: () => now });
    await dying.enterRequest(viewer);
    await dying.close();
    expect(codeOf(await execB(`{ me { id } }`, {}, key))).toBe("RATE_LIMITED");
    // A survivor whose clock is past the lease takes the slot: the dead one's has lapsed.
    now += CONCURRENT_LEASE_MS + 1;
    const survivor = createRateLimits(b.db.prisma, { redisUrl: redisUrl as string, now: () => now });
    const taken = await survivor.enterRequest(viewer);
    await taken();
    await survivor.close();
    await ok(execB, `{ me { id } }`, {}, key);

    const v = await ok(execA, `{ rateLimitViolations { edges { node { limitType limitValue } } } }`, {}, admin.token);
    expect(v.rateLimitViolations.edges).toHaveLength(2);
  });
});
