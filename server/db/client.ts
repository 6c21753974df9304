import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmdirSync, rmSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import type { Config } from "../config.ts";
import { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logger.ts";
import { requireOnUse } from "../require-on-use.ts";
import { startupMark } from "../startup-trace.ts";
import { applyMigrations } from "./engine.ts";
import { loadMigrations, MIGRATIONS_DIR } from "./migrations.ts";
import { yieldBeforeStatements } from "./pglite-turns.ts";
import { statementNames } from "./statement-names.ts";
import { templatePath } from "./template.ts";
import { guardRootDriver, markTransactions } from "./transaction-guard.ts";

export const migrationsDir = MIGRATIONS_DIR;

export type DatabaseKind = "pglite" | "postgres";

export interface Database {
  kind: DatabaseKind;
  prisma: PrismaClient;
  /** The embedded engine, shared with the job queue (one process owns a PGlite directory). */
  pglite?: PGlite;
  connectionString?: string;
  /** The PostgreSQL connection pool, for its use figures (metrics); PGlite has one connection and no pool. */
  pool?: pg.Pool;
  migrationsApplied: string[];
  /** One round trip on the driver (readiness), without Prisma's query compiler. */
  ping(): Promise<void>;
  /**
   * One statement on the driver, its rows as the driver parses them: for a bulk read whose one
   * large value Prisma's result mapping would copy once more (the memory index's read of a user),
   * and for start-up checks that usually find nothing, which need not load Prisma's query
   * compiler (about a second of CPU and 100 MB on its first query).
   */
  query<T>(sql: string, params: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** In-memory PGlite (tests); ignored when DATABASE_URL is set. */
  memory?: boolean;
  /** Called with every SQL statement Prisma sends (test-only query recorder). */
  onQuery?: (sql: string) => void;
  /**
   * A dumped data directory (`PGlite.dumpDataDir`) an in-memory PGlite starts from (tests): the
   * suite migrates one PGlite and clones it per app, as migrating each one costs seconds. The
   * migrations still run, and find nothing to do on an up-to-date copy.
   */
  pgliteTemplate?: Blob;
  /** The migrated template a new DATA_DIR starts from (default: the build's, server/db/template.ts). */
  dataDirTemplate?: string;
  logger?: Logger;
}

type DbConfig = Pick<Config, "DATA_DIR" | "DATABASE_URL" | "DATABASE_POOL_SIZE" | "DATABASE_CONNECT_TIMEOUT_MS"> &
  Partial<Pick<Config, "PGLITE_SHARED_BUFFERS_MB" | "DATABASE_PREPARED_STATEMENTS">>;

/** Opens the configured database and applies pending migrations. */
export async function openDatabase(config: DbConfig, options: OpenOptions = {}): Promise<Database> {
  const log = options.logger;
  let pglite: PGlite | undefined;
  let pool: pg.Pool | undefined;
  let adapter: PrismaPg | PrismaPGlite;
  /** The pool's connections not yet closed, and who waits for the last one. */
  let open = 0;
  const closed: (() => void)[] = [];
  // PostgreSQL's driver and adapter are loaded only for a DATABASE_URL (the job queue loads the
  // driver later for itself).
  const postgres = () => ({
    PrismaPg: (requireOnUse("@prisma/adapter-pg") as typeof import("@prisma/adapter-pg")).PrismaPg,
    pg: requireOnUse("pg") as typeof pg,
  });
  if (config.DATABASE_URL) {
    const { PrismaPg, pg } = postgres();
    // Prisma 7 waits forever for a connection by default; a bounded pool and timeout fail fast.
    // The pool is ours, not the adapter's, so metrics can read how busy it is; close() ends it.
    pool = new pg.Pool({
      connectionString: config.DATABASE_URL,
      max: config.DATABASE_POOL_SIZE,
      connectionTimeoutMillis: config.DATABASE_CONNECT_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
    });
    // A connection the server ends while idle (a restart, a failover, an administrator) is
    // dropped and replaced on demand; without a listener its error would end the process.
    pool.on("error", (err) => log?.warn({ err }, "an idle database connection was closed by the server"));
    pool.on("connect", () => open++);
    pool.on("remove", () => {
      if (--open === 0) for (const resolve of closed.splice(0)) resolve();
    });
    adapter = new PrismaPg(pool, {
      statementNameGenerator: statementNames(config.DATABASE_PREPARED_STATEMENTS ?? 100),
    });
  } else {
    const dir = options.memory ? undefined : path.resolve(config.DATA_DIR, "pglite");
    if (dir) {
      mkdirSync(dir, { recursive: true });
      await unpackTemplate(dir, options.dataDirTemplate, log);
    }
    // Without PGlite's pgvector: memory search ranks in the server (services/memory-index.ts), and
    // loading the extension's bundle cost 70-130 ms of CPU on every start (bench:startup).
    pglite = await PGlite.create(dir ?? "memory://", {
      loadDataDir: dir ? undefined : options.pgliteTemplate,
      // PostgreSQL's default 128 MB of shared buffers is most of PGlite's resident memory (the
      // WebAssembly heap touches it at start); one connection on a local disk, whose pages the
      // OS caches anyway, needs far less. Opening a migrated database and running one query left
      // 289 / 182 / 170 MB resident at 128 / 32 / 16 MB.
      startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${config.PGLITE_SHARED_BUFFERS_MB ?? 32}MB`],
    });
    startupMark("pglite open");
    adapter = new PrismaPGlite(yieldBeforeStatements(pglite));
  }

  // Statements on the root connection(s) inside a transaction's callback are refused (see
  // transaction-guard.ts): Prisma's, pg-boss's and ours all go through these.
  if (pglite) guardRootDriver(pglite, ["query", "exec", "sql", "transaction"]);
  if (pool) guardRootDriver(pool, ["query", "connect"]);
  // PGlite and pg's pool answer the same query(text, params) with { rows }.
  const driver = (pglite ?? pool) as Pick<PGlite, "query">;

  // Migrations get a pool of their own that ends with them: the engine's advisory lock is
  // session-level, and a connection left holding it in the app's pool would block every later
  // migration run (another instance, `npm run db:migrate`) forever.
  const migrationsApplied = (await allMigrationsRecorded(driver, migrationsDir))
    ? []
    : await applyMigrations(pool ? new (postgres().PrismaPg)({ ...pool.options }) : adapter, migrationsDir);
  startupMark("migrations");
  if (migrationsApplied.length > 0) log?.info({ migrations: migrationsApplied }, "applied migrations");

  const prisma = new PrismaClient({
    adapter,
    log: options.onQuery ? [{ emit: "event", level: "query" }] : [],
  });
  if (options.onQuery) {
    const onQuery = options.onQuery;
    (prisma as unknown as { $on(e: "query", cb: (ev: { query: string }) => void): void }).$on("query", (ev) =>
      onQuery(ev.query),
    );
  }

  markTransactions(prisma);
  startupMark("prisma client");
  log?.info({ kind: pglite ? "pglite" : "postgres" }, "database ready");

  return {
    kind: pglite ? "pglite" : "postgres",
    prisma,
    pglite,
    connectionString: config.DATABASE_URL,
    pool,
    migrationsApplied,
    async ping() {
      await driver.query("SELECT 1");
    },
    async query<T>(sql: string, params: unknown[]) {
      return (await driver.query<T>(sql, params)).rows;
    },
    async close() {
      await prisma.$disconnect();
      if (pool && !pool.ended) {
        await pool.end();
        // pg-pool's end() resolves once it has asked each connection to end, not once they have:
        // a database dropped or stopped right after would end them first, as an error to no one.
        if (open > 0) await new Promise<void>((resolve) => closed.push(resolve));
      }
      if (pglite && !pglite.closed) await pglite.close();
    },
  };
}

/**
 * Unpacks the build's migrated template into a new data directory (nothing for an existing one,
 * or when the build has not made it: then PGlite runs initdb and the migrations run as before).
 * Streamed to disk by node-tar rather than handed to PGlite, which reads the whole tar into
 * memory and writes it file by file through WebAssembly: that held 150 MB more and took seconds.
 * Unpacked beside the directory and moved in whole, so a start cut short never leaves a
 * half-written database that the next start would take for an existing one.
 */
async function unpackTemplate(dir: string, given: string | undefined, log: Logger | undefined): Promise<void> {
  // An existing database first: finding the template's path hashes every migration.
  if (existsSync(path.join(dir, "PG_VERSION"))) return;
  const file = given ?? templatePath();
  if (!existsSync(file)) {
    log?.info({ file }, "no migrated template (npm run build makes it): creating the database from scratch");
    return;
  }
  if (readdirSync(dir).length > 0) {
    log?.warn({ dir }, "data directory has files but no database: leaving it to PGlite");
    return;
  }
  const staging = mkdtempSync(`${dir}.unpacking-`);
  try {
    // The dump's names are absolute (/base/1/…): node-tar makes them relative to `cwd`, and says
    // so once per entry, which is expected here.
    // Only a first start unpacks: the others never load node-tar.
    const { extract } = await import("tar");
    await extract({
      file,
      cwd: staging,
      onwarn: (code, message) => {
        if (code !== "TAR_ENTRY_INFO") log?.warn({ code, message }, "unpacking the template");
      },
    });
    rmdirSync(dir);
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Whether the database has recorded every migration in the directory as finished, with the same
 * checksum (Prisma's: SHA-256 of migration.sql) and no failed or rolled-back attempt. Then the
 * schema engine, whose WebAssembly costs seconds and tens of MB to load, has nothing to do and
 * is not loaded; anything else (a new, edited or failed migration, no table yet) goes to it.
 */
export async function allMigrationsRecorded(db: Pick<PGlite, "query"> | pg.Pool, dir: string): Promise<boolean> {
  type Row = { migration_name: string; checksum: string; finished: boolean };
  let rows: Row[];
  try {
    ({ rows } = await (db as Pick<PGlite, "query">).query<Row>(
      "SELECT migration_name, checksum, finished_at IS NOT NULL AND rolled_back_at IS NULL AS finished FROM _prisma_migrations",
    ));
  } catch {
    return false; // no _prisma_migrations yet
  }
  if (rows.some((r) => !r.finished)) return false;
  const recorded = new Map(rows.map((r) => [r.migration_name, r.checksum]));
  const { migrationDirectories } = await loadMigrations(dir);
  return migrationDirectories.every(
    (m) =>
      m.migrationFile.content.tag === "ok" &&
      recorded.get(m.path) === createHash("sha256").update(m.migrationFile.content.value).digest("hex"),
  );
}
