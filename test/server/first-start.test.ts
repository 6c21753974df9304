// A first start on an empty DATA_DIR unpacks the build's migrated template, and a start whose
// database has recorded every migration skips the schema engine (server/db/client.ts). Both must
// never hide a migration the database lacks.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite/vector";
import { afterAll, describe, expect, inject, it } from "vitest";
import { allMigrationsRecorded, migrationsDir, openDatabase } from "../../server/db/client.ts";
import { createTestApp } from "../kit.ts";

const scratch = mkdtempSync(path.join(tmpdir(), "userplane-first-start-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const migrationNames = readdirSync(migrationsDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name);

describe("the migration check", () => {
  it("finds every migration recorded, with Prisma's checksums, on a migrated database", async () => {
    const app = await createTestApp();
    try {
      const db = app.db.pglite ?? app.db.pool!;
      expect(await allMigrationsRecorded(db, migrationsDir)).toBe(true);

      // A migration the database has not recorded sends the start to the schema engine.
      const withNew = path.join(scratch, "with-new");
      cpSync(migrationsDir, withNew, { recursive: true });
      mkdirSync(path.join(withNew, "29990101000000_later"));
      writeFileSync(path.join(withNew, "29990101000000_later", "migration.sql"), "SELECT 1;\n");
      expect(await allMigrationsRecorded(db, withNew)).toBe(false);

      // So does an applied migration whose file changed since (the engine reports that).
      const edited = path.join(scratch, "edited");
      cpSync(migrationsDir, edited, { recursive: true });
      writeFileSync(path.join(edited, migrationNames[0]!, "migration.sql"), "-- edited\n", { flag: "a" });
      expect(await allMigrationsRecorded(db, edited)).toBe(false);
    } finally {
      await app.stop();
    }
  });
});

describe.runIf(process.env.TEST_DB === "pglite")("a first start on an empty DATA_DIR", () => {
  it("unpacks the migrated template, then starts again without migrating", async () => {
    const dataDir = path.join(scratch, "data");
    const config = {
      DATA_DIR: dataDir,
      DATABASE_URL: undefined,
      DATABASE_POOL_SIZE: 1,
      DATABASE_CONNECT_TIMEOUT_MS: 1,
    };
    const template = inject("pgliteTemplate")!;
    for (const round of ["first", "second"]) {
      const db = await openDatabase(config, { dataDirTemplate: template });
      try {
        expect(db.migrationsApplied, round).toEqual([]);
        const rows = await db.prisma.$queryRaw<{ n: number }[]>`
          SELECT count(*)::int AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL`;
        expect(rows[0]!.n, round).toBe(migrationNames.length);
        expect(await db.prisma.user.count(), round).toBe(0);
        // Unpacked beside the directory and moved in whole: nothing half-written is left over.
        expect(readdirSync(dataDir), round).toEqual(["pglite"]);
      } finally {
        await db.close();
      }
    }
    // Two PGlite starts from disk: seconds each, many more on a busy machine.
  }, 300_000);

  it("opens a data directory in which an earlier version created pgvector", async () => {
    // Versions before this one loaded PGlite's pgvector and created the extension; the server no
    // longer loads it, and such a directory must still open and answer.
    const dataDir = path.join(scratch, "with-pgvector");
    mkdirSync(path.join(dataDir, "pglite"), { recursive: true });
    const pglite = await PGlite.create(path.join(dataDir, "pglite"), {
      extensions: { vector },
      loadDataDir: new Blob([readFileSync(inject("pgliteTemplate")!)]),
    });
    await pglite.exec("CREATE EXTENSION IF NOT EXISTS vector");
    await pglite.close();
    const db = await openDatabase({
      DATA_DIR: dataDir,
      DATABASE_URL: undefined,
      DATABASE_POOL_SIZE: 1,
      DATABASE_CONNECT_TIMEOUT_MS: 1,
    });
    try {
      expect(db.migrationsApplied).toEqual([]);
      expect(await db.query("SELECT extname FROM pg_extension WHERE extname = 'vector'", [])).toEqual([
        { extname: "vector" },
      ]);
      expect(await db.prisma.memory.count()).toBe(0);
    } finally {
      await db.close();
    }
  }, 300_000);
});
