// Live queries across instances: a change committed through instance A reaches a live query held
// by instance B, through Redis, and re-runs only the queries that can show it.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { App } from "../../server/app.ts";
import { createApiKey, createOwner, createTestApp, executor, instancesSkipReason } from "../kit.ts";
import { connect } from "../support/analysis.ts";
import { addMemory, executionCounter, live, nodes } from "../support/live.ts";

const redisUrl = inject("redisUrl");
const why = instancesSkipReason("live-instances");

describe.skipIf(why !== "")(`live queries over two instances and Redis ${why}`, () => {
  let a: App;
  let b: App;
  let urlB: string;
  const runsB = executionCounter();

  beforeAll(async () => {
    const config = { REDIS_URL: redisUrl as string, RUN_WORKER: "false", LIVE_THROTTLE_MS: "10" };
    [a, b] = await Promise.all([
      createTestApp({ config }),
      createTestApp({ config, onLiveExecute: runsB.onLiveExecute }),
    ]);
    await a.start();
    ({ url: urlB } = await b.start());
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("an API key's memory written through A reaches the live query on B; another user's does not run it", async () => {
    const exec = executor(a);
    const [owner, other] = await Promise.all([createOwner(exec, "Owner"), createOwner(exec, "Other")]);
    const key = await createApiKey(exec, owner, ["READ_MEMORIES", "WRITE_MEMORIES"]);
    const ws = connect(urlB, owner.token);
    const q = live(ws, `query @live { memories(first: 10) { edges { node { memoryKey } } } }`);
    await q.until((d) => d.memories.edges.length === 0);
    await addMemory(exec, other.token, "not-mine");
    await addMemory(exec, key, "via-a");
    await q.until((d) => nodes(d.memories).some((m: { memoryKey: string }) => m.memoryKey === "via-a"));
    expect(runsB.of(owner)).toBe(2);
    expect(q.results.flatMap((d) => nodes(d.memories).map((m: { memoryKey: string }) => m.memoryKey))).not.toContain(
      "not-mine",
    );
    q.stop();
    await ws.dispose();
  }, 240_000); // the first memory loads the local embedder's word vectors
});
