// One watch per credential: however many streams a token has open, a change of its user's rights
// resolves the viewer once and reaches every stream; the last stream to stop ends the watch.
import { describe, expect, test } from "vitest";
import { createViewerWatches } from "../../server/live-auth.ts";
import { createAppPubSub } from "../../server/pubsub.ts";
import type { Viewer } from "../../server/viewer.ts";

const signedIn = (userId: string, sessionId: string): Viewer => ({
  kind: "session",
  userId,
  tenantId: "t1",
  sessionId,
  roles: [],
  expiresAt: new Date(Date.now() + 3_600_000),
});

const settle = () => new Promise((r) => setTimeout(r, 20));

describe("viewer watches", () => {
  test("streams of one token share one resolution per change; other tokens keep their own", async () => {
    const { pubsub, close } = createAppPubSub(undefined);
    const resolved: string[] = [];
    let next: Viewer = signedIn("u1", "after");
    const watches = createViewerWatches(pubsub, async (token) => {
      resolved.push(String(token));
      return next;
    });
    const seen: string[] = [];
    const stops = [
      watches.watch("a", signedIn("u1", "before"), () => seen.push("a1")),
      watches.watch("a", signedIn("u1", "before"), () => seen.push("a2")),
      watches.watch("b", signedIn("u1", "before"), () => seen.push("b1")),
    ];
    pubsub.publish("viewer:changed", "u1", { userId: "u1", reason: "test" });
    await settle();
    expect(resolved.sort()).toEqual(["a", "b"]);
    expect(seen.sort()).toEqual(["a1", "a2", "b1"]);

    // Another user's change wakes nobody.
    pubsub.publish("viewer:changed", "u2", { userId: "u2", reason: "test" });
    await settle();
    expect(resolved).toHaveLength(2);

    // Once every stream of a token stopped, its changes cost nothing.
    stops[0]?.();
    stops[1]?.();
    pubsub.publish("viewer:changed", "u1", { userId: "u1", reason: "test" });
    await settle();
    expect(resolved.sort()).toEqual(["a", "b", "b"]);

    // A token that resolves to nobody tells its streams once and stops watching.
    next = { kind: "anonymous" };
    pubsub.publish("viewer:changed", "u1", { userId: "u1", reason: "test" });
    await settle();
    pubsub.publish("viewer:changed", "u1", { userId: "u1", reason: "test" });
    await settle();
    expect(resolved).toHaveLength(4);
    expect(seen.filter((s) => s === "b1")).toHaveLength(3);
    stops[2]?.();
    await close();
  });
});
