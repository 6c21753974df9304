// What the analysis benches share: timing helpers, an app configured for them, a workload of runs,
// and the time each progress event was published. Server modules load lazily, because the
// benches' client processes import this file too and must not start a server.
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { GCProfiler, getHeapStatistics } from "node:v8";
import type { App, BuildOptions } from "../server/app.ts";

/**
 * What production refuses to start without, for benches that measure a production build: a
 * download-URL key for this run and a real SMTP server (test/support/smtp.ts) taking the mail
 * that sign-ups send.
 */
export async function productionEnv(): Promise<Record<string, string>> {
  const { startSmtp } = await import("../test/support/smtp.ts");
  const smtp = await startSmtp();
  return {
    NODE_ENV: "production",
    SMTP_URL: smtp.url,
    FILE_URL_SECRET: randomBytes(32).toString("hex"),
    TOTP_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
  };
}

/**
 * The server every bench measures: a production configuration (productionEnv) serving the API on a
 * free loopback port, without the client or a worker, on an in-memory PGlite unless `options` say
 * otherwise. `env` adds to or overrides it (process.env comes first, so DATABASE_URL set there
 * reaches it).
 */
export async function benchServer(
  env: Record<string, string> = {},
  options: BuildOptions = { memoryDatabase: true },
): Promise<App> {
  const { buildApp } = await import("../server/app.ts");
  const { loadConfig } = await import("../server/config.ts");
  return buildApp(
    loadConfig({
      ...process.env,
      ...(await productionEnv()),
      LOG_LEVEL: "warn",
      PORT: "0",
      HOST: "127.0.0.1",
      SERVE_CLIENT: "false",
      RUN_WORKER: "false",
      ...env,
    }),
    options,
  );
}

/**
 * CPU used so far by each server process of the observer's database (its connections, the
 * observer's own left out), in µs, from /proc (Linux): the database runs on the same cores as the
 * bench's servers, so its CPU per request is part of what a request costs. A process that ends
 * between two readings takes its time with it; pools here keep their connections. Client
 * connections only: an autovacuum worker (which also names the database) runs when it will, and
 * its time went to whichever server was measured then (up to 4 ms per request in bench:compare).
 */
export async function databaseCpu(observer: {
  query<R>(sql: string): Promise<{ rows: R[] }>;
}): Promise<Map<number, number>> {
  const { rows } = await observer.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
  );
  const ticksPerSecond = 100; // USER_HZ
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      cpu.set(pid, ((Number(f[11]) + Number(f[12])) * 1e6) / ticksPerSecond);
    } catch {
      // ended meanwhile
    }
  }
  return cpu;
}

/** µs of the database's CPU between two databaseCpu readings, counting connections opened between them. */
export function databaseCpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let us = 0;
  for (const [pid, t] of after) us += t - (before.get(pid) ?? 0);
  return us;
}

export const now = () => performance.timeOrigin + performance.now();

/**
 * Bytes this process's JavaScript heap has allocated since the call, read by the function it
 * returns: what the heap holds now, plus what every collection since freed. Unlike CPU time it
 * does not move with the machine's load, and it is what the garbage collector's share follows.
 */
export function heapAllocation(): () => number {
  const startUsed = getHeapStatistics().used_heap_size;
  let freed = 0;
  let gcs = new GCProfiler();
  gcs.start();
  return () => {
    for (const gc of gcs.stop()?.statistics ?? [])
      freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
    gcs = new GCProfiler();
    gcs.start();
    return getHeapStatistics().used_heap_size - startUsed + freed;
  };
}

/** All CPU time and stolen CPU time so far, in ticks (the first line of /proc/stat; zeros elsewhere). */
function cpuTicks(): { total: number; steal: number } {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
  } catch {
    return { total: 0, steal: 0 };
  }
}
let lastTicks = cpuTicks();

/**
 * The load average (1, 5, 15 min), printed beside a bench's figures, and the share of CPU time the
 * hypervisor gave to other machines since the previous call (or since the bench started): these
 * machines are virtual and shared, and time stolen by the host slows every figure while the load
 * average of this one stays low. (It does not show everything: one afternoon, starts took 1.5× the
 * CPU of the morning's with nothing stolen and this machine idle; compare only within one run.)
 */
export const loadAverage = (digits = 2) => {
  const ticks = cpuTicks();
  const all = ticks.total - lastTicks.total;
  const steal =
    all > 0 ? ` (CPU stolen by the host: ${((100 * (ticks.steal - lastTicks.steal)) / all).toFixed(0)}%)` : "";
  lastTicks = ticks;
  return `${loadavg()
    .map((l) => l.toFixed(digits))
    .join(" ")}${steal}`;
};

/** The value at `fraction` (0-1) of `sorted` (ascending), NaN when it is empty. */
export const percentile = (sorted: readonly number[], fraction: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? NaN;

/** A promise and its resolve function (Promise.withResolvers, which the TS lib target lacks). */
export function deferred<T>(): [Promise<T>, (value: T) => void] {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return [promise, resolve];
}

export interface Run {
  token: string;
  runId: string;
}

/** An app whose worker starts when the bench says so, pacing each run at one event per step. */
export async function benchApp(opts: {
  queue: string;
  runs: number;
  stepDelayMs: string;
  onQuery?: (sql: string) => void;
}): Promise<App> {
  return benchServer(
    {
      WORKER_CONCURRENCY: String(Math.min(64, opts.runs)),
      ANALYSIS_BATCH_SIZE: "1",
      ANALYSIS_STEP_DELAY_MS: opts.stepDelayMs,
      ANALYSIS_DEFAULT_PER_HOUR: "0",
      ANALYSIS_QUEUE: opts.queue,
      JOB_POLL_SECONDS: "0.5",
    },
    { memoryDatabase: true, onQuery: opts.onQuery },
  );
}

/** One user per run, each with `items` posts on three sources, and a started (queued) analysis. */
export async function startRuns(app: App, opts: { runs: number; items: number; label: string; text: string }) {
  const { createOwner, executor, ok } = await import("../test/kit.ts");
  const exec = executor(app);
  const runs: Run[] = [];
  for (let r = 0; r < opts.runs; r++) {
    const owner = await createOwner(exec, `${opts.label}${r}`);
    for (const source of ["twitter", "linkedin", "instagram"]) {
      const items = Array.from({ length: opts.items }, (_, i) => ({
        text: `Run ${r} ${source} post ${i}: ${opts.text}`,
      }));
      await ok(
        exec,
        `mutation($s: ContentSource!, $items: [ContentItemInput!]!) { importContent(source: $s, items: $items) { imported } }`,
        { s: source, items },
        owner.token,
      );
    }
    const d = await ok(exec, `mutation { startAnalysis { id } }`, {}, owner.token);
    runs.push({ token: owner.token, runId: d.startAnalysis.id });
  }
  return runs;
}

/**
 * Calls `onEvent` with the time the worker hands each progress event to the pub/sub; the benches
 * measure latency from there.
 */
export function tapPublishes(
  app: App,
  onEvent: (runId: string, event: { seq: number; status: string }, at: number) => void,
) {
  const pubsub = app.services.pubsub;
  const original = pubsub.publish.bind(pubsub);
  pubsub.publish = ((topic: string, ...rest: unknown[]) => {
    if (topic === "analysis:run") {
      const [runId, event] = rest as [string, { seq: number; status: string }];
      onEvent(runId, event, now());
    }
    return (original as (...a: unknown[]) => void)(topic, ...rest);
  }) as typeof pubsub.publish;
}

/** What a client process of bench:fanout reports once its subscriptions have all ended. */
export interface ClientReport {
  type: "report";
  /** Per subscriber: run and [seq, receivedAt] pairs in arrival order. */
  subs: { runId: string; events: [number, number][]; error?: string }[];
  /** The client process's CPU (µs) from when all its subscribers had their first event to the last. */
  cpuUs: number;
}

/**
 * Starts bench:fanout's client processes (`bench/fanout.ts --client`), one per list of
 * subscriptions, on the graphql-ws server at `url`. `ready`: every subscriber has its first event;
 * `done`: every subscription has ended; `reports`: what each process saw, read after `done` so
 * that reading them (MBs at 10,000 subscribers) is not part of what the server is measured doing.
 */
export function forkFanoutClients(url: string, perProc: Run[][]) {
  const script = new URL("./fanout.ts", import.meta.url).pathname;
  const [ready, resolveReady] = deferred<void>();
  const [done, resolveDone] = deferred<void>();
  const [allReports, resolveReports] = deferred<ClientReport[]>();
  const reports: ClientReport[] = [];
  let readyProcs = 0;
  let doneProcs = 0;
  const children: ChildProcess[] = perProc.map((subs) => {
    // Structured clone rather than JSON lines: the reports are several MB at 10,000 subscribers,
    // read in this (the server's) process.
    const child = fork(script, ["--client"], {
      execArgv: ["--import", "tsx"],
      stdio: "inherit",
      serialization: "advanced",
    });
    child.on("message", (m: { type: "ready" | "done" } | ClientReport) => {
      if (m.type === "ready" && ++readyProcs === perProc.length) resolveReady();
      if (m.type === "done" && ++doneProcs === perProc.length) resolveDone();
      if (m.type === "report" && reports.push(m) === perProc.length) resolveReports(reports);
    });
    child.send({ url, subs });
    return child;
  });
  return {
    ready,
    done,
    reports: allReports,
    kill: () => {
      for (const c of children) c.kill();
    },
  };
}
