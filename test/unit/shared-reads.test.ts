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
      share("a", r.read("first"), 0),
      share("a", r.read("second"), 0),
      share("a", r.read("third"), 0),
    ]);
    expect(r.begun()).toBe(1);
    r.land();
    expect(await answers).toEqual(["first", "first", "first"]);
  });

  it("reads again for another key, after a change, and once the read has landed", async () => {
    const share = sharedReads<string, string>();
    const r = reads();
    const a = share("a", r.read("a0"), 0);
    const b = share("b", r.read("b0"), 0);
    const changed = share("a", r.read("a1"), 1);
    expect(r.begun()).toBe(3);
    // A later caller at the new mark shares the read begun after the change.
    expect(share("a", r.read("unused"), 1)).toBe(changed);
    r.land();
    expect([await a, await b, await changed]).toEqual(["a0", "b0", "a1"]);
    const after = share("a", r.read("a2"), 1);
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
    await expect(Promise.all([share("a", failing, 0), share("a", failing, 0)])).rejects.toThrow("database down");
    expect(begun).toBe(1);
    await expect(share("a", failing, 0)).rejects.toThrow("database down");
    expect(begun).toBe(2);
  });
});
