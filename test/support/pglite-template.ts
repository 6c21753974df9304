// One migrated PGlite for the whole run: migrating an embedded database through the schema
// engine costs seconds of CPU, and the pglite project builds dozens of apps. The global setup
// migrates one and dumps its data directory; every test app starts from a copy (createTestApp)
// and its migration run finds nothing to do.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite/vector";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { migrationsDir } from "../../server/db/client.ts";
import { applyMigrations } from "../../server/db/engine.ts";

const root = path.resolve(import.meta.dirname, "../..");

/** Changes whenever the migrations, PGlite (and its pgvector) or this file change. */
function templateKey(): string {
  const hash = createHash("sha256");
  for (const dir of readdirSync(migrationsDir).sort()) {
    const file = path.join(migrationsDir, dir, "migration.sql");
    hash.update(dir);
    try {
      hash.update(readFileSync(file));
    } catch {
      // migration_lock.toml and the like
    }
  }
  hash.update(readFileSync(path.join(root, "node_modules/@electric-sql/pglite/package.json")));
  hash.update(readFileSync(import.meta.filename));
  return hash.digest("hex").slice(0, 16);
}

/**
 * The path of a dumped, migrated PGlite data directory (with pgvector created, as openDatabase
 * does), made once and kept in node_modules/.cache until its inputs change.
 */
export async function pgliteTemplate(): Promise<string> {
  const dir = path.join(root, "node_modules/.cache/userplane-test");
  const file = path.join(dir, `pglite-${templateKey()}.tar`);
  if (existsSync(file)) return file;
  const pglite = await PGlite.create("memory://", { extensions: { vector } });
  try {
    await applyMigrations(new PrismaPGlite(pglite), migrationsDir);
    await pglite.exec("CREATE EXTENSION IF NOT EXISTS vector");
    const dump = await pglite.dumpDataDir("none");
    mkdirSync(dir, { recursive: true });
    // Written aside and renamed, so a run reading it never sees half a file.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, file);
  } finally {
    await pglite.close();
  }
  return file;
}
