// The viewer cache on its own (server/services/viewer-cache.ts): what ends an entry. The app-level
// behaviour (a revoked session, an ended role, a second factor turned on answer at once) is in
// the auth, credentials, authorization and MFA tests, which run with the cache on.
import { describe, expect, it } from "vitest";
import { createAppPubSub } from "../../server/pubsub.ts";
import { publishTenantViewersChanged, publishViewerChanged } from "../../server/services/sessions.ts";
import { createViewerCache } from "../../server/services/viewer-cache.ts";
import type { SignedInViewer } from "../../server/viewer.ts";

const NOW = Date.UTC(2030, 0, 15, 12, 0, 0);
const viewer = (userId: string, tenantId = "t1", expiresAt = new Date(NOW + 86_400_000)): SignedInViewer => ({
  kind: "session",
  userId,
  tenantId,
  sessionId: `s-${userId}`,
  expiresAt,
  roles: ["member"],
});

function setUp(ttlMs = 10_000, maxEntries = 100) {
  const { pubsub } = createAppPubSub(undefined);
  return { pubsub, cache: createViewerCache(pubsub, { ttlMs, maxEntries }) };
}

describe("viewer cache", () => {
  it("keeps a signed-in viewer until its time is up, never an anonymous one", async () => {
    const { cache } = setUp();
    cache.set("a", viewer("u1"), cache.mark(), null, NOW);
    cache.set("b", { kind: "anonymous" }, cache.mark(), null, NOW);
    expect(cache.get("a", NOW + 9_999)?.userId).toBe("u1");
    expect(cache.get("a", NOW + 10_000)).toBeUndefined();
    expect(cache.get("b", NOW)).toBeUndefined();
    await cache.close();
  });

  it("ends an entry at the credential's expiry, the next renewal and midnight UTC, whichever is first", async () => {
    const { cache } = setUp(300_000);
    cache.set("expiring", viewer("u1", "t1", new Date(NOW + 5_000)), cache.mark(), null, NOW);
    cache.set("renewing", viewer("u2"), cache.mark(), NOW + 7_000, NOW);
    const late = Date.UTC(2030, 0, 15, 23, 59, 0);
    cache.set("midnight", viewer("u3"), cache.mark(), null, late);
    expect(cache.get("expiring", NOW + 4_999)).toBeDefined();
    expect(cache.get("expiring", NOW + 5_000)).toBeUndefined();
    expect(cache.get("renewing", NOW + 6_999)).toBeDefined();
    expect(cache.get("renewing", NOW + 7_000)).toBeUndefined();
    expect(cache.get("midnight", late + 59_999)).toBeDefined();
    expect(cache.get("midnight", late + 60_000)).toBeUndefined();
    await cache.close();
  });

  it("drops a user's viewers at once when they change on this instance, a tenant's for tenant-wide changes", async () => {
    const { pubsub, cache } = setUp();
    cache.set("a1", viewer("u1", "t1"), cache.mark(), null, NOW);
    cache.set("a2", viewer("u1", "t1"), cache.mark(), null, NOW);
    cache.set("b", viewer("u2", "t1"), cache.mark(), null, NOW);
    cache.set("c", viewer("u3", "t2"), cache.mark(), null, NOW);
    publishViewerChanged(pubsub, "u1", "test");
    expect(cache.get("a1", NOW)).toBeUndefined();
    expect(cache.get("a2", NOW)).toBeUndefined();
    expect(cache.get("b", NOW)).toBeDefined();
    publishTenantViewersChanged(pubsub, "t1");
    expect(cache.get("b", NOW)).toBeUndefined();
    expect(cache.get("c", NOW)).toBeDefined();
    await cache.close();
  });

  it("follows changes another instance publishes", async () => {
    const { pubsub, cache } = setUp();
    cache.set("a", viewer("u1"), cache.mark(), null, NOW);
    // What arrives over Redis from another instance: the topic alone, no local call.
    await new Promise((r) => setImmediate(r));
    pubsub.publish("viewers:changed", { userId: "u1" });
    for (let i = 0; i < 5 && cache.get("a", NOW); i++) await new Promise((r) => setImmediate(r));
    expect(cache.get("a", NOW)).toBeUndefined();
    await cache.close();
  });

  it("does not keep an answer read before a change that arrived while it was being read", async () => {
    const { pubsub, cache } = setUp();
    const mark = cache.mark();
    publishViewerChanged(pubsub, "someone-else", "test");
    cache.set("a", viewer("u1"), mark, null, NOW);
    expect(cache.get("a", NOW)).toBeUndefined();
    cache.set("a", viewer("u1"), cache.mark(), null, NOW);
    expect(cache.get("a", NOW)).toBeDefined();
    await cache.close();
  });

  it("holds at most maxEntries, dropping the oldest; VIEWER_CACHE_MS=0 keeps nothing", async () => {
    const { cache } = setUp(10_000, 2);
    for (const k of ["a", "b", "c"]) cache.set(k, viewer(k), cache.mark(), null, NOW);
    expect(cache.get("a", NOW)).toBeUndefined();
    expect(cache.get("c", NOW)).toBeDefined();
    await cache.close();
    const off = setUp(0);
    off.cache.set("a", viewer("u1"), off.cache.mark(), null, NOW);
    expect(off.cache.get("a", NOW)).toBeUndefined();
    await off.cache.close();
  });
});
