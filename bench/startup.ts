// Cold start (empty DATA_DIR: the build's migrated template unpacked, or PGlite created and
// migrated without one), warm start (same DATA_DIR again) and resident memory once ready, for the
// embedded default `npm start` path, with each phase's share (STARTUP_TRACE) and the CPU time the
// server used, which varies less with the machine's load than the wall time does; then the first
// createMemory (the first text embedded) and the resident memory after it.
// BASELINE_ROOT=DIR (another checkout, installed, with its template built) starts that tree's
// server too, interleaved run by run with this one's, so a before/after shares the machine's load.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../test/support/services.ts";
import { loadAverage, productionEnv } from "./support.ts";

const here = path.resolve(import.meta.dirname, "..");
// AB_ENV="NAME=value …" instead runs this tree twice, interleaved: as is, and with those variables;
// several sets separated by "|" run once each beside the plain one.
const abEnvs = (process.env.AB_ENV ?? "")
  .split("|")
  .filter((set) => set.trim())
  .map((set) =>
    Object.fromEntries(
      set
        .split(/\s+/)
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
    ),
  );
type Variant = { root: string; label: string; env: Record<string, string> };
const roots: Variant[] = process.env.AB_ENV
  ? [
      { root: here, label: here, env: {} },
      ...abEnvs.map((env) => ({ root: here, label: `${here} with ${JSON.stringify(env)}`, env })),
    ]
  : (process.env.BASELINE_ROOT ? [path.resolve(process.env.BASELINE_ROOT), here] : [here]).map((root) => ({
      root,
      label: root,
      env: {},
    }));
const runs = Number(process.env.RUNS ?? 3);
const ticksPerSecond = 100; // USER_HZ on Linux
const load = () => loadAverage(1);

/** CPU ms (user + system) a process (or, with `thread`, one of its threads) has used so far, from /proc. */
function cpuMs(pid: number, thread?: number): number {
  const fields = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, "utf8")
    .split(") ")[1]!
    .split(" ");
  return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1000;
}

type Trace = {
  startupTrace: Record<string, number>;
  rssByPhase?: Record<string, number>;
  cpuByPhase?: Record<string, number>;
  totalMs: number;
};

/** What `npm start` runs in `root` (after its prestart, which only makes what is missing). */
function startCommand(root: string): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const [bin, ...args] = scripts.start!.split(" ");
  if (bin !== "node") throw new Error(`start script does not run node: ${scripts.start}`);
  return args;
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/**
 * The first memory written after start: the first text the server embeds, which loads the offline
 * embedder (wink's model and the word vectors). Its time, the server's CPU for it (the sign-up
 * before it is not counted) and the resident memory after it.
 */
async function firstMemory(port: number, pid: number) {
  const gql = async (query: string, token?: string) => {
    const r = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query }),
    });
    const body = (await r.json()) as { data?: Record<string, { token?: string }>; errors?: unknown };
    if (!r.ok || body.errors) throw new Error(`${query}: ${r.status} ${JSON.stringify(body.errors)}`);
    return body.data!;
  };
  const { signUp } = await gql(
    `mutation { signUp(email: "startup-${Date.now()}@example.test", password: "long enough password", displayName: "S") { token } }`,
  );
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  await gql(
    `mutation { createMemory(input: { memoryType: fact, memoryKey: "pets", content: "Has two cats and a dog at home" }) { id } }`,
    signUp!.token,
  );
  return { firstMemoryMs: performance.now() - t0, firstMemoryCpuMs: cpuMs(pid) - cpu0, rssAfterMemoryMb: rssOf(pid) };
}

// One configuration (and its SMTP server) for every start, made before any is timed.
const env = await productionEnv();

async function startOnce({ root, env: extraEnv }: Variant, dataDir: string) {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, startCommand(root), {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      STARTUP_TRACE: "1",
      ...env,
      ...extraEnv,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let trace: Trace | undefined;
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
    const line = stderr.split("\n").find((l) => l.startsWith('{"startupTrace"'));
    if (line && !trace) trace = JSON.parse(line) as Trace;
  });
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const readyMs = performance.now() - t0;
  const readyCpuMs = cpuMs(child.pid!);
  // The main thread's alone: the start's critical path when a second core is free for the rest
  // (V8's background compiler and GC threads, any worker thread).
  const readyMainCpuMs = cpuMs(child.pid!, child.pid!);
  // One real request so the schema and database paths are warm, as after any first visit; how
  // long it takes is part of what a first visitor waits for.
  const q0 = performance.now();
  const first = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ me { id } }" }),
  });
  if (!first.ok) throw new Error(`first request failed: ${first.status} ${await first.text()}`);
  const firstRequestMs = performance.now() - q0;
  // The workers start after the server listens; the trace comes once they run.
  while (!trace && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  const rssMb = rssOf(child.pid!);
  const memory = await firstMemory(port, child.pid!);
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  return {
    readyMs,
    readyCpuMs,
    readyMainCpuMs,
    firstRequestMs,
    rssMb,
    ...memory,
    trace: trace?.startupTrace ?? {},
    rssByPhase: trace?.rssByPhase ?? {},
    cpuByPhase: trace?.cpuByPhase ?? {},
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const all = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(", ");
type Result = Awaited<ReturnType<typeof startOnce>>;
type Kind = "cold" | "warm";
const results = new Map(
  roots.map((r) => [r, { cold: [] as Result[], warm: [] as Result[] } as Record<Kind, Result[]>]),
);
for (const { root } of roots) {
  const generated = path.join(root, "server/generated");
  const tars = existsSync(generated) ? readdirSync(generated).filter((f) => /^pglite-.*\.tar$/.test(f)) : [];
  console.log(`${root}: template ${tars.join(", ") || "none (npm run build makes it)"}`);
}
console.log(`load before: ${load()}`);
for (let i = 0; i < runs; i++) {
  for (const root of roots) {
    const dir = mkdtempSync(path.join(tmpdir(), "userplane-bench-"));
    results.get(root)!.cold.push(await startOnce(root, dir));
    results.get(root)!.warm.push(await startOnce(root, dir));
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`  run ${i + 1} done, load ${load()}`);
}
for (const [{ label }, byKind] of results) {
  console.log(`${label}: startup over ${runs} runs (median; process start to /readyz 200, embedded PGlite)`);
  for (const [name, rs] of Object.entries(byKind)) {
    console.log(
      `  ${name} start: ${median(rs.map((r) => r.readyMs)).toFixed(0)} ms (all: ${all(rs.map((r) => r.readyMs))}); ` +
        `server CPU to ready ${median(rs.map((r) => r.readyCpuMs)).toFixed(0)} ms (all: ${all(rs.map((r) => r.readyCpuMs))}), ` +
        `its main thread's ${median(rs.map((r) => r.readyMainCpuMs)).toFixed(0)} ms (all: ${all(rs.map((r) => r.readyMainCpuMs))}); ` +
        `first request ${median(rs.map((r) => r.firstRequestMs)).toFixed(0)} ms (all: ${all(rs.map((r) => r.firstRequestMs))}); ` +
        `RSS after one request ${median(rs.map((r) => r.rssMb)).toFixed(0)} MB (all: ${all(rs.map((r) => r.rssMb))})`,
    );
    console.log(
      `    first createMemory: ${median(rs.map((r) => r.firstMemoryMs)).toFixed(0)} ms (all: ${all(rs.map((r) => r.firstMemoryMs))}); ` +
        `server CPU ${median(rs.map((r) => r.firstMemoryCpuMs)).toFixed(0)} ms (all: ${all(rs.map((r) => r.firstMemoryCpuMs))}); ` +
        `RSS after it ${median(rs.map((r) => r.rssAfterMemoryMb)).toFixed(0)} MB (all: ${all(rs.map((r) => r.rssAfterMemoryMb))})`,
    );
    const phases = Object.keys(rs[0]!.trace);
    console.log(
      `    phases, median ms: ${phases.map((p) => `${p} ${median(rs.map((r) => r.trace[p] ?? 0))}`).join(" | ")}`,
    );
    const cpuPhases = Object.keys(rs[0]!.cpuByPhase);
    if (cpuPhases.length)
      console.log(
        `    CPU per phase, median ms: ${cpuPhases.map((p) => `${p} ${median(rs.map((r) => r.cpuByPhase[p] ?? 0))}`).join(" | ")}`,
      );
    const rssPhases = Object.keys(rs[0]!.rssByPhase);
    if (rssPhases.length)
      console.log(
        `    RSS at the end of each phase, median MB: ${rssPhases.map((p) => `${p} ${median(rs.map((r) => r.rssByPhase[p] ?? 0))}`).join(" | ")}`,
      );
  }
}
console.log(`load after: ${load()}`);
