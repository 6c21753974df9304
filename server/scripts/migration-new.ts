/**
 * Writes the next migration from the difference between prisma/migrations and
 * prisma/schema.prisma: `tsx server/scripts/migration-new.ts <name>`.
 * Stands in for `prisma migrate dev --create-only`, whose native engine is unavailable here.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { diffMigrationsToSchema } from "../db/engine.ts";
import {
  MIGRATION_LOCK_CONTENT,
  MIGRATION_LOCK_FILE,
  MIGRATIONS_DIR,
  migrationSlug,
  migrationTimestamp,
} from "../db/migrations.ts";

const slug = migrationSlug(process.argv[2] ?? "");
if (!slug) {
  console.error("usage: tsx server/scripts/migration-new.ts <name>");
  process.exit(2);
}

const sql = await diffMigrationsToSchema();
if (!sql) {
  console.log("prisma/migrations is already in sync with prisma/schema.prisma; nothing written.");
  process.exit(0);
}

const dir = path.join(MIGRATIONS_DIR, `${migrationTimestamp()}_${slug}`);
await mkdir(dir, { recursive: true });
// "wx": never overwrite a migration, which may already be applied somewhere.
await writeFile(path.join(dir, "migration.sql"), sql, { flag: "wx" });
await writeFile(path.join(MIGRATIONS_DIR, MIGRATION_LOCK_FILE), MIGRATION_LOCK_CONTENT, { flag: "wx" }).catch(
  (error: NodeJS.ErrnoException) => {
    if (error.code !== "EEXIST") throw error;
  },
);
console.log(`Wrote ${path.relative(process.cwd(), path.join(dir, "migration.sql"))}`);
