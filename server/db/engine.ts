/**
 * Prisma's schema engine, run as WebAssembly over driver adapters.
 *
 * The Prisma CLI cannot fetch its native schema-engine binary here, so migrations are diffed and
 * applied by `@prisma/schema-engine-wasm` instead. It is the same Rust engine (the migrate
 * commands, checksums and `_prisma_migrations` bookkeeping are shared code), so the SQL it
 * generates and the rows it records are what `prisma migrate diff` and `prisma migrate deploy`
 * produce, and a native `prisma migrate deploy` run later sees nothing to do.
 *
 * Debug: DEBUG=schema-engine prints the engine's trace lines to stderr.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import type { DiffResult, SchemaEngine, SchemaFilter } from "@prisma/schema-engine-wasm/schema_engine_bg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { loadMigrations, loadSchema, MIGRATIONS_DIR, SCHEMA_PATH, withLockfile } from "./migrations.ts";

export type { MigrationList, SchemaEngine } from "@prisma/schema-engine-wasm/schema_engine_bg";

/** Anything the engine can migrate through: `PrismaPg`, `PrismaPGlite`, or a custom factory. */
export type MigrationAdapterFactory = SqlMigrationAwareDriverAdapterFactory;

// prisma.config.ts declares no external tables or enums.
const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };

// ---------------------------------------------------------------------------------------------
// Loading the WASM module

type EngineModule = typeof import("@prisma/schema-engine-wasm/schema_engine_bg");

let enginePromise: Promise<EngineModule> | undefined;
let lastPanic: string | undefined;
let poisoned = false;

/**
 * Instantiates the engine once per process. The package's own entry point imports the `.wasm`
 * as an ES module, which Node only does behind --experimental-wasm-modules; instantiating it by
 * hand with the generated glue (`schema_engine_bg`) as its import object avoids the flag.
 */
export function loadEngine(): Promise<EngineModule> {
  if (poisoned) {
    // The glue caches views of the old instance's memory, so a fresh instance cannot be swapped
    // in after a panic; the process has to restart.
    return Promise.reject(new Error(`schema engine panicked earlier in this process: ${lastPanic ?? "unknown"}`));
  }
  enginePromise ??= (async () => {
    // The engine's Rust panic hook reports through this global; without it a panic is just
    // "RuntimeError: unreachable".
    (globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown }).PRISMA_WASM_PANIC_REGISTRY = {
      set_message(message: string) {
        lastPanic = message;
      },
    };
    const glue: EngineModule = await import("@prisma/schema-engine-wasm/schema_engine_bg");
    const gluePath = createRequire(import.meta.url).resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const bytes = await readFile(path.join(path.dirname(gluePath), "schema_engine_bg.wasm"));
    const { instance } = await WebAssembly.instantiate(bytes, {
      "./schema_engine_bg.js": withTrackedTimers(glue as unknown as WebAssembly.ModuleImports),
    });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  enginePromise.catch(() => {
    enginePromise = undefined;
  });
  return enginePromise;
}

/**
 * The engine's timers not yet fired. The engine sets timers (a 10-second one on every run) and
 * never clears them, so a finished migrate or diff held its process that long; withEngine clears
 * what is left once no run is under way.
 */
const engineTimers = new Set<NodeJS.Timeout>();
let runsUnderWay = 0;

/** The glue as the engine's import object, its setTimeout import recording each timer. */
function withTrackedTimers(glue: WebAssembly.ModuleImports): WebAssembly.ModuleImports {
  const name = Object.keys(glue).find((k) => k.startsWith("__wbg_setTimeout_"));
  if (!name) return glue;
  const set = glue[name] as (callback: () => void, ms: number) => NodeJS.Timeout;
  return {
    ...glue,
    [name]: (callback: () => void, ms: number) => {
      const timer = set(() => {
        engineTimers.delete(timer);
        callback();
      }, ms);
      engineTimers.add(timer);
      return timer;
    },
  };
}

/** The git hash of prisma-engines the loaded WASM was built from. */
export async function engineVersion(): Promise<string> {
  return (await loadEngine()).version();
}

/** An engine failure, with the engine's own message and error code when it gave them. */
export class SchemaEngineError extends Error {
  readonly code: string | undefined;
  readonly logs: readonly string[];
  constructor(message: string, code: string | undefined, logs: readonly string[], options?: ErrorOptions) {
    super(message, options);
    this.name = "SchemaEngineError";
    this.code = code;
    this.logs = logs;
  }
}

function toEngineError(cause: unknown, logs: readonly string[]): SchemaEngineError {
  if (cause instanceof WebAssembly.RuntimeError) {
    poisoned = true;
    return new SchemaEngineError(`schema engine panicked: ${lastPanic ?? cause.message}`, undefined, logs, { cause });
  }
  // Engine errors arrive as Errors named SchemaConnectorError; user-facing ones carry the
  // Prisma code (e.g. P3009, failed migrations block deploys) in `code`. Plain objects with
  // `error_code`, the native engine's JSON-RPC shape, are handled too in case a build sends them.
  if (cause instanceof Error) {
    const { code } = cause as { code?: unknown };
    return new SchemaEngineError(cause.message, typeof code === "string" ? code : undefined, logs, { cause });
  }
  if (typeof cause === "object" && cause !== null) {
    const { message, error_code: code } = cause as { message?: unknown; error_code?: unknown };
    return new SchemaEngineError(
      typeof message === "string" ? message : JSON.stringify(cause),
      typeof code === "string" ? code : undefined,
      logs,
      { cause },
    );
  }
  return new SchemaEngineError(String(cause), undefined, logs, { cause });
}

// ---------------------------------------------------------------------------------------------
// Running an engine over an adapter

/** The parts of PrismaPg's and PrismaPGlite's adapters (not in their typings) that scripts need. */
interface AdapterInternals {
  client?: { query?: (sql: string) => Promise<unknown>; exec?: (sql: string) => Promise<unknown> };
  onError?: (error: unknown) => never;
}

/**
 * Makes `executeScript`, through which the engine runs each migration file, send the whole file
 * as one simple-protocol query, as the native engine does. Postgres then runs it as one implicit
 * transaction, and its own lexer handles comments, quotes and $$ bodies. The adapters as
 * shipped get this wrong:
 * - PrismaPg (7.10) splits the script on every ";" and runs the pieces one by one on its pool, so
 *   a ";" in a comment, string or DO block breaks the migration, and a failure half way leaves
 *   the earlier statements applied.
 * - PrismaPGlite (0.7) does not await `exec`, so a failing migration is recorded as finished in
 *   `_prisma_migrations` while its changes are rolled back, and the error escapes as an
 *   unhandled rejection.
 * Other adapters are left as they are.
 */
function runScriptsWhole(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const { client, onError } = adapter as SqlDriverAdapter & AdapterInternals;
  if (typeof onError !== "function") return adapter;
  let run: ((sql: string) => Promise<unknown>) | undefined;
  if (adapter.adapterName === "@prisma/adapter-pg" && typeof client?.query === "function") {
    // pg uses the simple query protocol, which allows several statements, when given no values.
    run = client.query.bind(client);
  } else if (adapter.adapterName === "pglite-prisma-adapter" && typeof client?.exec === "function") {
    run = client.exec.bind(client);
  }
  if (!run) return adapter;
  const execute = run;
  adapter.executeScript = async (script: string) => {
    try {
      await execute(script);
    } catch (error) {
      // Turns driver errors into DriverAdapterErrors, so the engine reports the SQL error.
      onError.call(adapter, error);
    }
  };
  return adapter;
}

/**
 * Tracks every connection the engine opens so it can be disposed afterwards: the engine disposes
 * shadow databases itself but not its main connection, and e.g. PrismaPg's pool would otherwise
 * keep the process alive. Dispose is made idempotent because both sides may call it.
 */
function trackConnections(factory: MigrationAdapterFactory): {
  factory: MigrationAdapterFactory;
  disposeAll(): Promise<void>;
} {
  const open: SqlDriverAdapter[] = [];
  const track = async (connect: () => Promise<SqlDriverAdapter>) => {
    const adapter = runScriptsWhole(await connect());
    const dispose = adapter.dispose.bind(adapter);
    let disposed: Promise<void> | undefined;
    adapter.dispose = () => (disposed ??= dispose());
    open.push(adapter);
    return adapter;
  };
  return {
    factory: {
      provider: factory.provider,
      adapterName: factory.adapterName,
      connect: () => track(() => factory.connect()),
      connectToShadowDb: () => track(() => factory.connectToShadowDb()),
    },
    async disposeAll() {
      // Newest first: a PrismaPg shadow database is dropped through the connection opened before it.
      for (const adapter of open.splice(0).reverse()) await adapter.dispose();
    },
  };
}

/**
 * Starts an engine on `adapterFactory`, runs `fn`, then frees the engine, closes every connection
 * it opened and, when no other run is under way, clears the timers the engine left. Errors are
 * rethrown as SchemaEngineError.
 */
export async function withEngine<T>(
  adapterFactory: MigrationAdapterFactory,
  fn: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const { SchemaEngine } = await loadEngine();
  const logs: string[] = [];
  const debug = /\bschema-engine\b/.test(process.env.DEBUG ?? "");
  const onLog = (line: string) => {
    logs.push(line);
    if (debug) process.stderr.write(`schema-engine ${line}\n`);
  };
  const tracked = trackConnections(adapterFactory);
  let engine: SchemaEngine | undefined;
  runsUnderWay++;
  try {
    engine = await SchemaEngine.new(
      { datamodels: undefined },
      onLog,
      bindMigrationAwareSqlAdapterFactory(tracked.factory),
    );
    return await fn(engine);
  } catch (cause) {
    throw cause instanceof SchemaEngineError ? cause : toEngineError(cause, logs);
  } finally {
    if (!poisoned) engine?.free();
    await tracked.disposeAll();
    if (--runsUnderWay === 0) {
      for (const timer of engineTimers) clearTimeout(timer);
      engineTimers.clear();
    }
  }
}

// Throwaway PGlite

/**
 * A factory whose main and shadow connections are all one fresh in-memory PGlite, closed once
 * the last connection is disposed. Starting a PGlite takes ~2 s, and the engine opens a main
 * connection it never queries when diffing a migrations directory, so sharing halves the cost.
 * PrismaPGlite's own shadow database is not used because it is never closed.
 */
export function throwawayPGliteFactory(): MigrationAdapterFactory {
  let db: Promise<PGlite> | undefined;
  let users = 0;
  const connect = async (): Promise<SqlDriverAdapter> => {
    if (db === undefined || (await db).closed) db = PGlite.create();
    const pglite = await db;
    const adapter = await new PrismaPGlite(pglite).connect();
    users += 1;
    const dispose = adapter.dispose.bind(adapter);
    let disposed = false;
    adapter.dispose = async () => {
      if (disposed) return;
      disposed = true;
      await dispose();
      users -= 1;
      if (users === 0 && !pglite.closed) await pglite.close();
    };
    return adapter;
  };
  return {
    provider: "postgres",
    adapterName: "userplane-throwaway-pglite",
    connect,
    connectToShadowDb: connect,
  };
}

// ---------------------------------------------------------------------------------------------
// Commands
export interface DiffOptions {
  schemaPath?: string;
  migrationsDir?: string;
}

/**
 * The SQL that takes a database built by `migrationsDir` to the state `schemaPath` describes;
 * an empty string when they are in sync. The migrations are replayed on a throwaway PGlite.
 * Like `prisma migrate diff`, this ignores what Prisma's schema cannot express (CHECK
 * constraints, extensions), so hand-written additions of that kind do not show up as drift.
 */
export async function diffMigrationsToSchema(options: DiffOptions = {}): Promise<string> {
  const [migrations, schema] = await Promise.all([
    loadMigrations(options.migrationsDir ?? MIGRATIONS_DIR),
    loadSchema(options.schemaPath ?? SCHEMA_PATH),
  ]);
  const result: DiffResult = await withEngine(throwawayPGliteFactory(), (engine) =>
    engine.diff({
      from: { tag: "migrations", ...withLockfile(migrations) },
      to: { tag: "schemaDatamodel", ...schema },
      script: true,
      // With exitCode set the engine reports 2 for a non-empty diff, which is a surer test than
      // the script text (an empty script still carries a "-- This is an empty migration." line).
      exitCode: true,
      filters: NO_FILTER,
    }),
  );
  return result.exitCode === 0 ? "" : (result.stdout ?? "");
}

/**
 * Applies the migrations of `migrationsDir` that the database has not recorded yet, in name
 * order, and returns their names (none on a second call). Each is recorded in
 * `_prisma_migrations` by the engine itself, exactly as `prisma migrate deploy` does; a failed
 * migration is recorded as failed and blocks later runs until resolved, also as with the CLI.
 *
 * Connections the engine opens through `adapterFactory` are disposed afterwards. For PrismaPg
 * built from a config that closes its pool; for a PrismaPGlite the PGlite itself stays open.
 */
export async function applyMigrations(
  adapterFactory: MigrationAdapterFactory,
  migrationsDir: string = MIGRATIONS_DIR,
): Promise<string[]> {
  const migrationsList = await loadMigrations(migrationsDir);
  const { appliedMigrationNames } = await withEngine(adapterFactory, (engine) =>
    engine.applyMigrations({ migrationsList, filters: NO_FILTER }),
  );
  return appliedMigrationNames;
}
