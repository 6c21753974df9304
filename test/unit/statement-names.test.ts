import { describe, expect, it } from "vitest";
import { statementNames } from "../../server/db/statement-names.ts";

describe("statement names", () => {
  it("names a text on its second sighting, keeps the name, and stops at the limit", () => {
    const name = statementNames(2);
    const q = (sql: string) => name({ sql });
    expect(q("a")).toBe("");
    const a = q("a");
    expect(a).toMatch(/^userplane_[\w-]{32}$/);
    expect(q("a")).toBe(a);
    expect(q("b")).toBe("");
    const b = q("b");
    expect(b).toMatch(/^userplane_/);
    expect(b).not.toBe(a);
    expect(q("c")).toBe("");
    expect(q("c"), "past the limit").toBe("");
    expect(q("b")).toBe(b);
  });

  it("gives a text the same name in every generator, so two adapters on one pool never clash", () => {
    const one = statementNames(10);
    const other = statementNames(10);
    for (const sql of ["x", "y", "x", "y"]) one({ sql });
    for (const sql of ["y", "y", "x", "x"]) other({ sql });
    expect(other({ sql: "x" })).toBe(one({ sql: "x" }));
    expect(other({ sql: "y" })).toBe(one({ sql: "y" }));
  });

  it("forgets texts seen once when they fill their bound, so one-off texts never take a place", () => {
    const name = statementNames(1);
    // The bound on texts seen once is ten times the limit: the eleventh clears it.
    for (let i = 0; i < 11; i++) expect(name({ sql: `one-off ${i}` })).toBe("");
    expect(name({ sql: "one-off 0" }), "forgotten, so seen once again").toBe("");
    expect(name({ sql: "one-off 0" })).toMatch(/^userplane_/);
  });

  it("names nothing with a limit of 0", () => {
    const name = statementNames(0);
    for (let i = 0; i < 3; i++) expect(name({ sql: "a" })).toBe("");
  });
});
