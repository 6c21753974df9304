// Starts throwaway PostgreSQL and Redis servers on loopback for the test suite, unless the
// environment already names them (TEST_DATABASE_URL, TEST_REDIS_URL).
import { execFile, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export interface Service {
  url: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function postgresBin(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, "bin", "pg_ctl")));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], "bin") : null;
}

const isRoot = process.getuid?.() === 0;

/**
 * Runs a command to its end without blocking the event loop (the global setups start PostgreSQL,
 * the migrated PGlite and the product's build side by side), failing with its output.
 */
export async function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  try {
    return (await execFileAsync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...options })).stdout;
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${stdout ?? ""}\n${stderr ?? (e as Error).message}`);
  }
}

/** PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user. */
function asPostgres(cmd: string, args: string[]) {
  return isRoot ? run("runuser", ["-u", "postgres", "--", cmd, ...args]) : run(cmd, args);
}

/**
 * A throwaway PostgreSQL; `settings` are extra server settings (`name=value`), e.g. the bench's
 * `shared_preload_libraries=pg_stat_statements` to count statements.
 */
export async function startPostgres(options: { settings?: string[] } = {}): Promise<Service> {
  if (process.env.TEST_DATABASE_URL) return { url: process.env.TEST_DATABASE_URL, stop: async () => {} };
  const bin = postgresBin();
  if (!bin) {
    throw new Error(
      "PostgreSQL not found: install Debian's `postgresql` package, set TEST_DATABASE_URL, or set TEST_SKIP_POSTGRES=1.",
    );
  }
  const dir = mkdtempSync(path.join(tmpdir(), "userplane-pg-"));
  chmodSync(dir, 0o777);
  if (isRoot) await run("chown", ["postgres", dir]);
  const data = path.join(dir, "data");
  const port = await freePort();
  await asPostgres(path.join(bin, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
  await asPostgres(path.join(bin, "pg_ctl"), [
    "-D",
    data,
    "-l",
    path.join(dir, "log"),
    "-w",
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300${(options.settings ?? []).map((x) => ` -c ${x}`).join("")}`,
    "start",
  ]);
  await asPostgres(path.join(bin, "createdb"), [
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "-U",
    "postgres",
    "userplane_test",
  ]);
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/userplane_test`,
    async stop() {
      await asPostgres(path.join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Migrates exactly as an operator would: `npm run db:migrate` against DATABASE_URL. */
export async function migrate(databaseUrl: string): Promise<void> {
  const root = path.resolve(import.meta.dirname, "../..");
  await run(path.join(root, "node_modules/.bin/tsx"), ["server/scripts/migrate.ts"], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: "warn" },
  });
}

export async function startRedis(): Promise<Service | null> {
  if (process.env.TEST_REDIS_URL) return { url: process.env.TEST_REDIS_URL, stop: async () => {} };
  const which = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  const bin = which.stdout.trim();
  if (!bin) return null;
  const port = await freePort();
  const child = spawn(bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  for (let i = 0; i < 100; i++) {
    const ping = spawnSync("redis-cli", ["-p", String(port), "ping"], { encoding: "utf8" });
    if (ping.stdout.trim() === "PONG") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      child.kill("SIGTERM");
    },
  };
}
