// What the server and browser projects need once per run, each started at most once in vitest's
// main process. Vitest runs the projects' global setups one after another, so the first setup also
// starts the long work of those after it (a migrated PostgreSQL, the product's build), and each
// setup then waits only for what is still running: on a fresh clone they took about a minute in a
// row, mostly child processes that can run side by side.
import path from "node:path";
import type { TestProject } from "vitest/node";
import { migrate, run, type Service, startPostgres } from "./services.ts";

const root = path.resolve(import.meta.dirname, "../..");

interface Prepared {
  postgres?: Promise<Service>;
  /** The postgres project's setup took the server, and its teardown stops it. */
  postgresClaimed?: boolean;
  clientBuilt?: Promise<unknown>;
  productBuilt?: Promise<unknown>;
}
// On globalThis: each project loads its setup files in a module graph of its own.
const global = globalThis as { __userplanePrepared?: Prepared };
global.__userplanePrepared ??= {};
const prepared = global.__userplanePrepared;

function migratedPostgres(): Promise<Service> {
  prepared.postgres ??= startPostgres().then(async (pg) => {
    try {
      await migrate(pg.url);
      return pg;
    } catch (e) {
      await pg.stop();
      throw e;
    }
  });
  return prepared.postgres;
}

/** The migrated PostgreSQL, for the postgres project, whose teardown stops it. */
export function claimPostgres(): Promise<Service> {
  prepared.postgresClaimed = true;
  return migratedPostgres();
}

/**
 * `npm start`'s prestart: the client built if stale, the migrated PGlite, the word vectors, the
 * server's bundle. The client's build, its longest part, may have been started ahead; the
 * template and word vectors are the server projects' (made once: two makers would race).
 */
export async function productBuilt(): Promise<void> {
  await clientBuilt();
  prepared.productBuilt ??= run("npm", ["run", "prestart"], { cwd: root });
  await prepared.productBuilt;
}

/** The web client in client/dist, built unless it is newer than its sources (as prestart does). */
export function clientBuilt(): Promise<unknown> {
  prepared.clientBuilt ??= run(path.join(root, "node_modules/.bin/tsx"), ["server/scripts/ensure-client.ts"], {
    cwd: root,
  });
  return prepared.clientBuilt;
}

/**
 * Starts, without waiting, what the run's later projects will ask for. A failure is reported by
 * the setup that waits for it. The client's build only for a run of whole projects: a run of a few
 * server files should not build the client.
 */
export function startAhead(project: TestProject): void {
  const names = new Set(project.vitest.projects.map((p) => p.name));
  if (names.has("postgres")) migratedPostgres().catch(() => undefined);
  const filtered = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern?.length;
  if ((names.has("e2e") || names.has("ops")) && !filtered) clientBuilt().catch(() => undefined);
}

/** Stops a PostgreSQL started ahead for a postgres project that then had nothing to run. */
export async function stopUnclaimed(): Promise<void> {
  if (prepared.postgres && !prepared.postgresClaimed) await (await prepared.postgres.catch(() => null))?.stop();
}
