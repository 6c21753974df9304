// Live queries (`query @live`): a change committed by any session, device or API key reaches the
// live queries that show it, re-authorized for their own viewer, and costs nothing to those that
// cannot show it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import { codeOf, createApiKey, createOwner, createTestApp, dbKind, type Execute, executor } from "../kit.ts";
import { connect, watch } from "../support/analysis.ts";
import { addMemory, executionCounter } from "../support/live.ts";

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

type Connection<T> = { edges: { node: T }[] };
type Key = { memoryKey: string };
const MEMORIES = `query Memories @live { memories(first: 50) { edges { node { id memoryKey } } } }`;
const keys = (c: Connection<Key>) => c.edges.map((e) => e.node.memoryKey);

describe(`live queries (${dbKind})`, () => {
  it("a memory an API key writes reaches the session's live list; another user's never runs it", async () => {
    const a = await createOwner(exec, "A");
    const b = await createOwner(exec, "B");
    const key = await createApiKey(exec, a, ["READ_MEMORIES", "WRITE_MEMORIES"]);
    const wsA = connect(url, a.token);
    const wsB = connect(url, b.token);
    const listA = watch<Connection<Key>>(wsA, MEMORIES, {});
    const listB = watch<Connection<Key>>(wsB, MEMORIES, {});
    await listA.until((c) => c.edges.length === 0);
    await listB.until((c) => c.edges.length === 0);
    expect(runs.of(b)).toBe(1);

    await addMemory(exec, key, "from-agent");
    await listA.until((c) => keys(c).includes("from-agent"));
    // B's own change is the only one that runs B's query again.
    await addMemory(exec, b.token, "b-own");
    await listB.until((c) => keys(c).includes("b-own"));
    expect(runs.of(b)).toBe(2);
    expect(listB.events.flatMap(keys)).not.toContain("from-agent");
    await Promise.all([wsA.dispose(), wsB.dispose()]);
  });

  it("refuses @live over plain HTTP and to anonymous viewers, with a code", async () => {
    const a = await createOwner(exec);
    expect(codeOf(await exec(MEMORIES, {}, a.token))).toBe("LIVE_TRANSPORT_REQUIRED");
    const anonymous = watch(connect(url, null), MEMORIES, {});
    await expect(anonymous.done).rejects.toThrow(/UNAUTHENTICATED/);
  });
});
