import { describe, expect, it } from "vitest";
import { statementNames } from "../../server/db/statement-names.ts";

describe("statement names", () => {
  it("names a text on its second sighting, keeps the name, and stops at the limit", () => {
    const name = statementNames(2);
    const q = (sql: string) => name({ sql });
    expect(q("a")).toBe("");
    expect(q("a")).toBe("userplane_1");
    expect(q("a")).toBe("userplane_1");
    expect(q("b")).toBe("");
    expect(q("b")).toBe("userplane_2");
    expect(q("c")).toBe("");
    expect(q("c"), "past the limit").toBe("");
    expect(q("b")).toBe("userplane_2");
  });

  it("forgets texts seen once when they fill their bound, so one-off texts never take a place", () => {
    const name = statementNames(1);
    // The bound on texts seen once is ten times the limit: the eleventh clears it.
    for (let i = 0; i < 11; i++) expect(name({ sql: `one-off ${i}` })).toBe("");
    expect(name({ sql: "one-off 0" }), "forgotten, so seen once again").toBe("");
    expect(name({ sql: "one-off 0" })).toBe("userplane_1");
  });

  it("names nothing with a limit of 0", () => {
    const name = statementNames(0);
    for (let i = 0; i < 3; i++) expect(name({ sql: "a" })).toBe("");
  });
});
