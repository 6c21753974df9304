// A migrated PGlite data directory, made once at build time (`npm run build`, or by `npm start`'s
// prestart when missing): a first start on an empty DATA_DIR unpacks it instead of running initdb
// and every migration in WebAssembly, which took most of a cold start. The test kit clones the
// same kind of copy into each in-memory app.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
// migrations.ts, not engine.ts: the engine loads its WebAssembly, which a start that finds the
// template up to date must not pay for.
import { ROOT } from "../root.ts";
import { MIGRATIONS_DIR } from "./migrations.ts";

/** Beside the generated Prisma client: git-ignored, and copied into the Docker image with it. */
export const TEMPLATE_DIR = path.join(ROOT, "server/generated");

/** Changes whenever the migrations, PGlite, pg-boss or this file change. */
export function templateKey(migrationsDir: string = MIGRATIONS_DIR): string {
  const hash = createHash("sha256");
  for (const dir of readdirSync(migrationsDir).sort()) {
    hash.update(dir);
    try {
      hash.update(readFileSync(path.join(migrationsDir, dir, "migration.sql")));
    } catch {
      // migration_lock.toml and the like
    }
  }
  // Its package.json is not exported; it sits above the entry point's dist/.
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  hash.update(readFileSync(path.join(entry.slice(0, entry.lastIndexOf(`${path.sep}dist${path.sep}`)), "package.json")));
  const boss = createRequire(import.meta.url).resolve("pg-boss");
  hash.update(readFileSync(path.join(boss.slice(0, boss.lastIndexOf(`${path.sep}dist${path.sep}`)), "package.json")));
  hash.update(readFileSync(path.join(ROOT, "server/db/template.ts")));
  return hash.digest("hex").slice(0, 16);
}

/** Where the template for the current migrations lives in `dir` (it may not exist yet). */
export function templatePath(dir: string = TEMPLATE_DIR, migrationsDir: string = MIGRATIONS_DIR): string {
  return path.join(dir, `pglite-${templateKey(migrationsDir)}.tar`);
}

/**
 * The path of a dumped, migrated PGlite data directory (as openDatabase leaves one) with the job
 * queue's schema in place, made in `dir` unless the current one is there already. pg-boss creating
 * its schema on a first start took about 130 MB and half a second more than its start on an
 * existing one.
 */
export async function makePgliteTemplate(
  dir: string = TEMPLATE_DIR,
  migrationsDir: string = MIGRATIONS_DIR,
): Promise<string> {
  const file = templatePath(dir, migrationsDir);
  if (existsSync(file)) return file;
  const [{ PGlite }, { PrismaPGlite }, { applyMigrations }, { createJobQueue }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("pglite-prisma-adapter"),
    import("./engine.ts"),
    import("../jobs/queue.ts"),
  ]);
  const pglite = await PGlite.create("memory://");
  try {
    await applyMigrations(new PrismaPGlite(pglite), migrationsDir);
    // In JOB_SCHEMA's default schema; another schema is created by pg-boss at start as before.
    await (await createJobQueue({ pglite })).stop({ graceful: false });
    const dump = await pglite.dumpDataDir("none");
    mkdirSync(dir, { recursive: true });
    // Written aside and renamed, so a start reading it never sees half a file.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, file);
  } finally {
    await pglite.close();
  }
  return file;
}
