// The user data map must name every table that holds a user's rows: a new model with a userId
// column fails here until it is either exported (and purged) through USER_DATA or excluded with a
// reason. Read from the DMMF the Prisma generator wrote, so it follows prisma/schema.prisma.
import { describe, expect, it } from "vitest";
import { getDatamodel } from "../../server/generated/pothos-types.ts";
import { USER_DATA, USER_DATA_EXCLUDED } from "../../server/services/account/user-data.ts";

const models: Record<string, { fields: readonly { name: string; kind: string }[] }> = getDatamodel().datamodel.models;
const scalars = (model: string) => (models[model]?.fields ?? []).filter((f) => f.kind !== "object").map((f) => f.name);

describe("the user data map", () => {
  it("names every model with a userId column, in the map or excluded with a reason", () => {
    const withUser = Object.keys(models).filter((m) => scalars(m).includes("userId"));
    const mapped = new Set<string>(USER_DATA.map((t) => t.model));
    const unaccounted = withUser.filter((m) => !mapped.has(m) && !(m in USER_DATA_EXCLUDED));
    expect(unaccounted, "add these to USER_DATA or USER_DATA_EXCLUDED (server/services/account/user-data.ts)").toEqual(
      [],
    );
    expect(withUser.length).toBeGreaterThan(20);
  });

  it("is neither both mapped and excluded nor names models that do not exist", () => {
    for (const t of USER_DATA) expect(models[t.model], t.model).toBeDefined();
    for (const [m, why] of Object.entries(USER_DATA_EXCLUDED)) {
      expect(models[m], m).toBeDefined();
      expect(USER_DATA.some((t) => t.model === m)).toBe(false);
      expect(why?.length, `${m} needs a reason`).toBeGreaterThan(20);
    }
  });

  it("pages by columns that exist, omits columns that exist, and never names a section twice", () => {
    for (const t of USER_DATA) {
      for (const c of [...t.key, ...(t.omit ?? [])]) expect(scalars(t.model), `${t.model}.${c}`).toContain(c);
    }
    const sections = USER_DATA.map((t) => t.section);
    expect(new Set(sections).size).toBe(sections.length);
  });

  it("keeps every column that holds a secret or its hash out of the export", () => {
    const secret = /(hash|secret)$|^totpLastStep$|^storageKey$/i;
    for (const t of USER_DATA)
      for (const c of scalars(t.model))
        if (secret.test(c) && c !== "contentHash") expect(t.omit ?? [], `${t.model}.${c} must be omitted`).toContain(c);
  });
});
