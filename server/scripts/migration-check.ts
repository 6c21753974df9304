/**
 * Fails when prisma/migrations does not produce the database prisma/schema.prisma describes,
 * i.e. someone changed the schema without adding a migration: `tsx server/scripts/migration-check.ts`.
 * Exit 0 in sync, 1 on drift (the missing SQL goes to stdout), 2 when the check itself fails.
 * CHECK constraints and other hand-written SQL are invisible to Prisma and never count as drift.
 */
import { diffMigrationsToSchema } from "../db/engine.ts";

try {
  const sql = await diffMigrationsToSchema();
  if (sql) {
    console.error("Drift: prisma/migrations is behind prisma/schema.prisma. The missing SQL:");
    process.stdout.write(sql.endsWith("\n") ? sql : `${sql}\n`);
    process.exitCode = 1;
  } else {
    console.log("prisma/migrations is in sync with prisma/schema.prisma.");
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 2;
}
