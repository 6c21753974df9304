// One read per key at a time (server/shared-reads.ts): callers that ask while their key is read
// share the read, unless the cache's mark moved on since it began.
import { describe, expect, it } from "vitest";
import { sharedReads } from "../../server/shared-reads.ts";

/** A read that lands when told to, counting how many began. */
function reads() {
  const landings: (() => void)[] = [];
  let begun = 0;
  const read = (value: string) => () => {
    begun++;
    return new Promise<string>((resolve) => landings.push(() => resolve(value)));
  };
  const land = () => {
    for (const l of landings.splice(0)) l();
  };
  return { read, begun: () => begun, land };
}

describe("shared reads", () => {
  it("answers every caller of a key from the read under way", async () => {
    const share = sharedReads<string, string>();
    const r = reads();
    const answers = Promise.all([
      share("a", 0, r.read("first")),
      share("a", 0, r.read("second")),
      share("a", 0, r.read("third")),
    ]);
    expect(r.begun()).toBe(1);
    r.land();
    expect(await answers).toEqual(["first", "first", "first"]);
  });

  it("reads again for another key, after a change, and once the read has landed", async () => {
    const share = sharedReads<string, string>();
    const r = reads();
    const a = share("a", 0, r.read("a0"));
    const b = share("b", 0, r.read("b0"));
    const changed = share("a", 1, r.read("a1"));
    expect(r.begun()).toBe(3);
    // A later caller at the new mark shares the read begun after the change.
    expect(share("a", 1, r.read("unused"))).toBe(changed);
    r.land();
    expect([await a, await b, await changed]).toEqual(["a0", "b0", "a1"]);
    const after = share("a", 1, r.read("a2"));
    expect(r.begun()).toBe(4);
    r.land();
    expect(await after).toBe("a2");
  });

  it("gives a failed read's error to everyone who shared it, and reads afresh next time", async () => {
    const share = sharedReads<string, string>();
    let begun = 0;
    const failing = () => {
      begun++;
      return Promise.reject(new Error("database down"));
    };
    await expect(Promise.all([share("a", 0, failing), share("a", 0, failing)])).rejects.toThrow("database down");
    expect(begun).toBe(1);
    await expect(share("a", 0, failing)).rejects.toThrow("database down");
    expect(begun).toBe(2);
  });
});
