// The start-up's pgvector check (server/db/pgvector.ts) against a driver that records what it is
// asked: an installed extension costs one catalog lookup, not a reading of every extension's
// control file on each start.
import { describe, expect, it } from "vitest";
import { enablePgvector } from "../../server/db/pgvector.ts";

function driver(state: { installed: boolean; available: boolean; creatable: boolean }) {
  const asked: string[] = [];
  return {
    asked,
    async query<T>(sql: string): Promise<{ rows: T[] }> {
      asked.push(sql);
      if (sql.includes("FROM pg_extension")) return { rows: (state.installed ? [{}] : []) as T[] };
      if (sql.includes("FROM pg_available_extensions")) return { rows: [{ n: state.available ? 1 : 0 }] as T[] };
      if (sql.startsWith("CREATE EXTENSION")) {
        if (!state.creatable) throw new Error("permission denied to create extension");
        state.installed = true;
        return { rows: [] };
      }
      throw new Error(`unexpected statement: ${sql}`);
    },
  };
}

describe("enablePgvector", () => {
  it("finds an installed extension with one catalog lookup", async () => {
    const db = driver({ installed: true, available: true, creatable: true });
    expect(await enablePgvector(db as never)).toBe(true);
    expect(db.asked).toEqual(["SELECT 1 FROM pg_extension WHERE extname = 'vector'"]);
  });

  it("installs an available extension", async () => {
    const db = driver({ installed: false, available: true, creatable: true });
    expect(await enablePgvector(db as never)).toBe(true);
    expect(db.asked.at(-1)).toBe("CREATE EXTENSION IF NOT EXISTS vector");
  });

  it("says no when the extension is missing or cannot be created", async () => {
    expect(await enablePgvector(driver({ installed: false, available: false, creatable: true }) as never)).toBe(false);
    expect(await enablePgvector(driver({ installed: false, available: true, creatable: false }) as never)).toBe(false);
  });
});
