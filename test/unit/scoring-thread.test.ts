// The offline scorer runs in a worker thread (scorer.ts createScoringThread): its first post compiles
// hundreds of large regular expressions and each post then costs a millisecond or two, none of which
// may hold the server's event loop. Turns of the loop are counted, never time.
import { afterAll, describe, expect, it } from "vitest";
import { createLexiconScorer, createScoringThread, type ScoreItem } from "../../server/services/analysis/scorer.ts";

const errors: unknown[] = [];
const thread = createScoringThread({ idleMs: 60_000, onError: (err) => errors.push(err) });
afterAll(() => thread.close());

const items: ScoreItem[] = [
  { id: "a", text: "selling fake passports and ids, dm me" },
  { id: "b", text: "my cat is cute today, going to the park" },
  { id: "c", text: "got away with it, nobody noticed the forged signature lol" },
];

/** How many turns the event loop made while `work` ran. */
async function turnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let done = false;
  const tick = () => {
    if (done) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  const result = await work();
  done = true;
  return { result, turns };
}

describe("the offline scorer's thread", () => {
  it("answers what the scorer answers on this thread, while the event loop goes on", async () => {
    const { result, turns } = await turnsDuring(() =>
      thread.scorer.scoreBatch("twitter", items, new AbortController().signal),
    );
    expect(turns).toBeGreaterThan(0);
    const here = await turnsDuring(() =>
      createLexiconScorer().scoreBatch("twitter", items, new AbortController().signal),
    );
    expect(here.turns, "the same work on this thread holds the loop").toBe(0);
    expect(result).toEqual(here.result);
    expect(result.flags.map((f) => f.id)).toContain("a");
    expect(thread.scorer.name).toBe(createLexiconScorer().name);
    expect(thread.scorer.estimateTokens(items)).toBe(result.tokens);
  });

  it("gives up a batch whose run is aborted, and scores the next one", async () => {
    const abort = new AbortController();
    const batch = thread.scorer.scoreBatch("twitter", items, abort.signal);
    abort.abort(new Error("cancelled"));
    await expect(batch).rejects.toThrow("cancelled");
    const next = await thread.scorer.scoreBatch("twitter", items, new AbortController().signal);
    expect(next.flags.map((f) => f.id)).toContain("a");
    expect(errors).toEqual([]);
  });

  it("scores another run's batch asked for while an aborted batch's answer is on its way", async () => {
    // This thread stops (without turning) long enough for the scorer's to finish the batch and post
    // its answer; the abort and the next batch come before that answer is read. When an abort ended
    // the scorer's thread, its answer handed it the next batch, which failed as the thread ended.
    for (let round = 0; round < 3; round++) {
      const abort = new AbortController();
      const batch = thread.scorer.scoreBatch("twitter", items, abort.signal);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      abort.abort(new Error("cancelled"));
      const next = thread.scorer.scoreBatch("twitter", items, new AbortController().signal);
      await expect(batch).rejects.toThrow("cancelled");
      expect((await next).flags.map((f) => f.id)).toContain("a");
    }
    expect(errors).toEqual([]);
  });

  it("closes with an abandoned batch still on its thread, and reports nothing", async () => {
    const other = createScoringThread({ idleMs: 60_000, onError: (err) => errors.push(err) });
    const abort = new AbortController();
    // A new thread's first batch compiles the rules first: it is still running when closed.
    const batch = other.scorer.scoreBatch("twitter", items, abort.signal);
    abort.abort(new Error("cancelled"));
    await expect(batch).rejects.toThrow("cancelled");
    await other.close();
    expect(errors).toEqual([]);
  });
});
