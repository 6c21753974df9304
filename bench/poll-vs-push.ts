// Watching analyses by polling versus push: WATCHERS clients follow RUNS runs, by polling
// `analysisRun` every second over HTTP (the seed's check_analysis_progress pattern), or by
// `analysisProgress` subscriptions over graphql-ws, on the same workload. Prints the database
// statements per second each way (Prisma's, counted through buildApp's onQuery hook; the worker's
// own share is measured with nobody watching and taken off) and the progress latency: from the
// worker publishing a state to a watcher seeing it. Each way gets a fresh app and database.
//   npm run bench:poll-vs-push     WATCHERS=1000 RUNS=10 ITEMS=20 STEP_DELAY_MS=250
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { benchApp, deferred, now, type Run, startRuns, tapPublishes } from "./support.ts";

const WATCHERS = Number(process.env.WATCHERS ?? 1_000);
const RUNS = Number(process.env.RUNS ?? 10);
const ITEMS = Number(process.env.ITEMS ?? 20);
const STEP_DELAY_MS = process.env.STEP_DELAY_MS ?? "250";
const TERMINAL = ["complete", "failed", "cancelled"];

interface Seen {
  runId: string;
  seq: number;
  at: number;
}
type Watch = (url: string, runs: Run[], seen: Seen[]) => Promise<() => Promise<void>>;
type Mode = "none" | "polling" | "push";

/**
 * Watchers live in a child process, so their own work does not slow the server down (and make
 * polling look cheaper than it is). Resolves once they are attached; `finish` waits for them to see
 * every run end and returns what they saw.
 */
async function attach(mode: Mode, url: string, runs: Run[]) {
  if (mode === "none") return { finish: async (): Promise<Seen[]> => [] };
  const child = fork(fileURLToPath(import.meta.url), ["--watchers"], {
    execArgv: ["--import", "tsx"],
    stdio: "inherit",
  });
  const [attached, onAttached] = deferred<void>();
  const [report, onReport] = deferred<Seen[]>();
  child.on("message", (m: { type: string; seen?: Seen[] }) => {
    if (m.type === "attached") onAttached();
    if (m.type === "report") onReport(m.seen ?? []);
  });
  child.send({ mode, url, runs });
  await attached;
  return {
    finish: async () => {
      child.send({ type: "finish" });
      const seen = await report;
      child.kill();
      return seen;
    },
  };
}

async function measure(name: string, mode: Mode) {
  let statements = 0;
  const app = await benchApp({
    queue: `bench-poll-${process.pid}-${name.replace(/\W/g, "")}`,
    runs: RUNS,
    stepDelayMs: STEP_DELAY_MS,
    onQuery: () => {
      statements++;
    },
  });
  const url = (await app.start()).url.replace("localhost", "127.0.0.1");
  const runs = await startRuns(app, { runs: RUNS, items: ITEMS, label: "Watch", text: "hiring, so wasted" });
  // Publish times, and the end of the workload, from the pub/sub itself: no statements of ours.
  const published = new Map<string, number>();
  let open = RUNS;
  const [allDone, resolve] = deferred<void>();
  tapPublishes(app, (runId, event, at) => {
    published.set(`${runId}:${event.seq}`, at);
    if (TERMINAL.includes(event.status) && --open === 0) resolve();
  });

  // Attaching (connecting, authorising, the first read) is counted apart from watching the runs go.
  const s0 = statements;
  const watchers = await attach(mode, url, runs);
  const attachStatements = statements - s0;
  const s1 = statements;
  const t1 = now();
  await app.services.analysis.startWorker();
  await allDone;
  const seconds = (now() - t1) / 1000;
  const total = statements - s1;
  const seen = await watchers.finish();
  await app.stop();

  const ms = seen
    .map(
      (s) =>
        s.at - (published.get(`${Buffer.from(s.runId, "base64").toString().split(":")[1]}:${s.seq}`) ?? Number.NaN),
    )
    .filter((x) => Number.isFinite(x) && x >= 0)
    .sort((a, b) => a - b);
  const p = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? Number.NaN;
  return {
    name,
    seconds,
    total,
    attachStatements,
    p50: p(0.5),
    p99: p(0.99),
    states: published.size + RUNS,
    seen: seen.length,
  };
}

let failedPolls = 0;
const RUN_QUERY = `query($id: ID!) { analysisRun(id: $id) { seq status percent } }`;

const polling: Watch = async (url, runs, seen) => {
  let stopped = false;
  const loops = Array.from({ length: WATCHERS }, async (_, i) => {
    const run = runs[i % runs.length] as Run;
    await new Promise((r) => setTimeout(r, Math.random() * 1000)); // pollers are not in step
    let last = -1;
    while (!stopped) {
      const started = now();
      let body: { data?: { analysisRun: { seq: number; status: string } } } = {};
      try {
        const r = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${run.token}` },
          body: JSON.stringify({ query: RUN_QUERY, variables: { id: run.runId } }),
        });
        body = (await r.json()) as typeof body;
      } catch {
        // An overloaded server refusing or timing out a poll is part of what polling costs.
        failedPolls++;
      }
      const seq = body.data?.analysisRun.seq ?? -1;
      if (seq > last) {
        seen.push({ runId: run.runId, seq, at: now() });
        last = seq;
      }
      if (TERMINAL.includes(body.data?.analysisRun.status ?? "")) return;
      await new Promise((res) => setTimeout(res, Math.max(0, 1000 - (now() - started))));
    }
  });
  return async () => {
    await Promise.all(loops);
    stopped = true;
  };
};

const push: Watch = async (url, runs, seen) => {
  const watchers: { dispose(): unknown; done: Promise<void> }[] = [];
  // One connection per watcher, as browsers would have; each wave connects once the last is in.
  for (let i = 0; i < WATCHERS; i += 50) {
    const wave = Array.from({ length: Math.min(50, WATCHERS - i) }, (_, j) => {
      const run = runs[(i + j) % runs.length] as Run;
      const client = createClient({
        url: url.replace(/^http/, "ws"),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${run.token}` },
        retryAttempts: 0,
      });
      const [first, gotFirst] = deferred<void>();
      const done = new Promise<void>((resolve) => {
        client.subscribe<{ analysisProgress: { seq: number } }>(
          {
            query: `subscription($id: ID!) { analysisProgress(runId: $id) { seq status percent } }`,
            variables: { id: run.runId },
          },
          {
            next: (r) => {
              if (r.data) seen.push({ runId: run.runId, seq: r.data.analysisProgress.seq, at: now() });
              gotFirst();
            },
            error: () => {
              gotFirst();
              resolve();
            },
            complete: () => {
              gotFirst();
              resolve();
            },
          },
        );
      });
      watchers.push({ dispose: () => client.dispose(), done });
      return first;
    });
    await Promise.all(wave);
  }
  return async () => {
    await Promise.all(watchers.map((w) => w.done));
    for (const w of watchers) await w.dispose();
  };
};

if (process.argv[2] === "--watchers") {
  process.on("message", async (m: { mode?: Mode; url?: string; runs?: Run[]; type?: string }) => {
    if (m.mode && m.url && m.runs) {
      const seen: Seen[] = [];
      const stop = await (m.mode === "polling" ? polling : push)(m.url, m.runs, seen);
      process.send?.({ type: "attached" });
      process.once("message", async () => {
        await stop();
        if (failedPolls > 0) console.error(`  (${failedPolls} polls failed: connection refused or timed out)`);
        process.send?.({ type: "report", seen }, () => process.exit(0));
      });
    }
  });
} else {
  const baseline = await measure("worker only", "none");
  const polled = await measure("polling", "polling");
  const pushed = await measure("push", "push");
  // The workload's own statements are the same each way; what is left is the cost of watching.
  const watching = (m: { total: number; seconds: number }) => Math.max(0, m.total - baseline.total) / m.seconds;
  console.log(
    `poll vs push: ${WATCHERS} watchers on ${RUNS} runs (${ITEMS} items x 3 sources each), ${process.env.DATABASE_URL ? "postgres" : "pglite"}`,
  );
  console.log(
    `  worker alone: ${(baseline.total / baseline.seconds).toFixed(0)} statements/s; runs took ${baseline.seconds.toFixed(1)} s`,
  );
  for (const m of [polled, pushed]) {
    console.log(
      `  ${m.name.padEnd(8)} attaching ${m.attachStatements} statements; then ${(m.total / m.seconds).toFixed(0)} statements/s, of which watching ${watching(m).toFixed(1)}/s; runs took ${m.seconds.toFixed(1)} s; progress latency p50 ${m.p50.toFixed(0)} ms, p99 ${m.p99.toFixed(0)} ms; ${(m.seen / WATCHERS).toFixed(1)} of ${(m.states / RUNS).toFixed(1)} states per run seen by each watcher`,
    );
  }
  console.log(
    `  while runs go, push watches with ${watching(pushed) < 0.05 ? "no" : `${(watching(polled) / watching(pushed)).toFixed(0)}x fewer`} statements per second${watching(pushed) < 0.05 ? ` (polling: ${watching(polled).toFixed(0)}/s)` : " than polling"}`,
  );
  process.exit(0);
}
