// joinedReads (server/live/joined-reads.ts): callers who ask for a key before its read begins share
// that read; a caller who asks once it has begun gets a read of its own, which begins after it asked.
// Turns are counted with setImmediate, never timed.
import { describe, expect, it } from "vitest";
import { joinedReads } from "../../server/live/joined-reads.ts";

describe("joinedReads", () => {
  it("shares one read among the callers of a key in one turn, per key", async () => {
    const begun: string[] = [];
    const read = joinedReads(async (key: string) => {
      begun.push(key);
      return { key };
    });
    const answers = await Promise.all([read("a"), read("a"), read("b"), read("a")]);
    expect(begun.sort()).toEqual(["a", "b"]);
    expect(answers[0]).toBe(answers[1]);
    expect(answers[0]).toBe(answers[3]);
    expect(answers[2]).toEqual({ key: "b" });
  });

  it("answers a caller who asks after the read began with a read that begins after it asked", async () => {
    // The value read is how many times the source changed before the read began.
    let changes = 0;
    let release: () => void = () => {};
    const read = joinedReads(async () => {
      const seen = changes;
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return seen;
    });
    const first = read("run");
    await new Promise((resolve) => setImmediate(resolve));
    // The first read has begun (it saw 0 changes) and waits; then the source changes and a second
    // caller asks: the answer it gets must include that change.
    changes++;
    const second = read("run");
    release();
    expect(await first).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    expect(await second).toBe(1);
  });

  it("gives every caller of a failed read its error, and reads again for the next", async () => {
    let calls = 0;
    const read = joinedReads(async () => {
      calls++;
      if (calls === 1) throw new Error("database away");
      return "ok";
    });
    const failed = await Promise.allSettled([read("k"), read("k")]);
    expect(failed.map((f) => f.status)).toEqual(["rejected", "rejected"]);
    expect(await read("k")).toBe("ok");
    expect(calls).toBe(2);
  });
});
