// Fan-out of analysis progress: SUBSCRIBERS graphql-ws clients (default 5,000, each its own
// WebSocket) on one instance watch RUNS runs executed by that instance's worker. Prints
// publish-to-receive latency (p50/p99/max), lost and duplicated events, and the server's resident
// memory per subscriber. Clients run in CLIENT_PROCS child processes so their work and memory are
// not the server's. Embedded PGlite by default; set DATABASE_URL (and REDIS_URL) to measure those.
// STEP_DELAY_MS paces each run's progress: 1000 is a run reporting once a second; 20 turns it into
// an overload test of the fan-out (more deliveries per second than one server thread makes).
// HEAP_SNAPSHOT_DIR writes the server's heap before and after the subscribers connect (what each
// one holds); run with node --cpu-prof to see where the server's time goes (clients are not profiled).
// NEIGHBOUR=1 starts a process that spins on one core from the first connection to the last event:
// the server then shares the machine with a CPU-bound neighbour, as it would in production.
// SENT=1 also times publish→sent: when the server hands each event's message to a subscriber's
// socket (it is written when that turn ends). The rest of publish→receive is the client processes
// reading, which share the machine's cores with the server. A regular expression per message on the
// server's thread is the measurement's own cost, so its CPU figures are then a little higher.
// FLOOR=1 then replays this run's publishes through bench:fanout-floor's bare WebSocket server
// (RAW=1: no GraphQL, no database) with the same subscribers and client processes, and prints both
// p99s: the least a Node WebSocket server pays for these bursts on this machine, beside Userplane's.
// The server runs in this process, so the npm script gives node the flags `npm start` gives it
// (--liftoff-only, --max-semi-space-size=16): without them V8's young generation grew to 64 MB
// halves, and a scavenge of it stopped the server for 50-160 ms in the middle of the runs.
//   npm run bench:fanout        SUBSCRIBERS=5000 RUNS=10 ITEMS=8 STEP_DELAY_MS=1000 CLIENT_PROCS=4 NEIGHBOUR=0
import { execFileSync, fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { monitorEventLoopDelay, PerformanceObserver, performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { writeHeapSnapshot } from "node:v8";
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import {
  benchApp,
  type ClientReport,
  forkFanoutClients,
  heapAllocation,
  loadAverage,
  now,
  percentile,
  type Run,
  startRuns,
  tapPublishes,
} from "./support.ts";

type Assignment = Run;

const WAVE = Number(process.env.WAVE ?? 50);
const PROGRESS = `subscription($runId: ID!) { analysisProgress(runId: $runId) { seq status percent } }`;

/**
 * What ended a subscription: graphql-ws passes a close event (its code and reason are getters,
 * which JSON.stringify does not see), an Error, or the GraphQL errors of the operation.
 */
const describeError = (e: unknown): string => {
  if (e instanceof Error) return e.message;
  if (Array.isArray(e)) return e.map((x: { message?: string }) => x.message).join("; ");
  const close = e as { code?: number; reason?: string };
  if (typeof close?.code === "number") return `closed ${close.code} ${close.reason || "(no reason)"}`;
  return JSON.stringify(e);
};

const load = () => loadAverage(1);

if (process.argv[2] === "--neighbour") {
  // Busy on one core until killed: no I/O, no allocation, nothing the scheduler can wait on. It
  // never yields, so it looks for its parent itself and ends with it (a bench that crashed).
  const parent = process.ppid;
  let x = 0;
  for (let i = 1; ; i++) {
    x = (x + Math.sqrt(x + i)) % 1e9;
    if (i % 10_000_000 === 0 && process.ppid !== parent) process.exit(0);
  }
} else if (process.argv[2] === "--client") {
  process.once("message", async (msg: { url: string; subs: Assignment[] }) => {
    const results: ClientReport["subs"] = msg.subs.map((s) => ({ runId: s.runId, events: [] }));
    let cpuStart = process.cpuUsage();
    const clients: Client[] = [];
    let ready = 0;
    let finished = 0;
    let failures = 0;
    const markReady = () => {
      if (++ready !== msg.subs.length) return;
      cpuStart = process.cpuUsage();
      process.send?.({ type: "ready" });
    };
    const done = new Promise<void>((resolve) => {
      const subscribeOne = (s: Assignment, i: number) => {
        const client = createClient({
          url: msg.url,
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${s.token}` },
          retryAttempts: 0,
          // The run in the operation's id: the server side (SENT=1) tells the event from its message.
          generateID: () => `${s.runId}|${i}`,
        });
        clients.push(client);
        const rec = results[i] as ClientReport["subs"][number];
        let first = true;
        const end = (error?: string) => {
          if (error) {
            rec.error = error;
            if (failures++ < 3) console.error(`subscriber ${i}: ${error}`);
          }
          if (first) markReady(); // failed before its first event: do not hold the start forever
          first = false;
          if (++finished === msg.subs.length) resolve();
        };
        client.subscribe<{ analysisProgress: { seq: number } }>(
          { query: PROGRESS, variables: { runId: s.runId } },
          {
            next: (r) => {
              const seq = r.data?.analysisProgress.seq;
              if (seq === undefined) return;
              rec.events.push([seq, now()]);
              if (first) {
                first = false;
                markReady();
              }
            },
            error: (e) => end(describeError(e)),
            complete: () => end(),
          },
        );
      };
      // Connect in waves, each once the one before is subscribed: as fast as the server takes
      // them, not a burst that overflows its accept queue (which measures the kernel, not us).
      void (async () => {
        for (let i = 0; i < msg.subs.length; i += WAVE) {
          const wave = msg.subs.slice(i, i + WAVE);
          const target = Math.min(msg.subs.length, i + wave.length);
          for (const [j, s] of wave.entries()) subscribeOne(s, i + j);
          while (ready < target) await new Promise((r) => setTimeout(r, 5));
        }
      })();
    });
    await done;
    const cpu = process.cpuUsage(cpuStart);
    // "done" first, small: the server's measurement ends there, before it reads the report (MBs
    // at 10,000 subscribers), which is the harness's work, not the server's.
    process.send?.({ type: "done" });
    process.send?.({ type: "report", subs: results, cpuUs: cpu.user + cpu.system } satisfies ClientReport, () => {
      for (const c of clients) void c.dispose();
      process.exit(0);
    });
  });
} else {
  const { dbId } = await import("../test/kit.ts");

  const SUBSCRIBERS = Number(process.env.SUBSCRIBERS ?? 5_000);
  const RUNS = Number(process.env.RUNS ?? 10);
  const ITEMS = Number(process.env.ITEMS ?? 8);
  const CLIENT_PROCS = Number(process.env.CLIENT_PROCS ?? 4);
  const STEP_DELAY_MS = process.env.STEP_DELAY_MS ?? "1000";

  const app = await benchApp({ queue: `bench-fanout-${process.pid}`, runs: RUNS, stepDelayMs: STEP_DELAY_MS });
  const url = (await app.start()).url.replace("localhost", "127.0.0.1");
  const runs = await startRuns(app, { runs: RUNS, items: ITEMS, label: "Fanout", text: "so wasted lol" });

  // Publish time of each (run, seq), taken where the worker hands the event to the pub/sub.
  const published = new Map<string, number>();
  const statuses = new Map<string, string>();
  tapPublishes(app, (runId, event, at) => {
    published.set(`${runId}:${event.seq}`, at);
    statuses.set(`${runId}:${event.seq}`, event.status);
  });

  // SENT=1: publish→sent of every next message the server hands a socket while runs go.
  const sent: number[] = [];
  let sentOn = false;
  if (process.env.SENT === "1") {
    const runOf = new Map(runs.map((r) => [r.runId, dbId(r.runId)]));
    const message = /^\{"id":"([^"|]+)\|\d+","type":"next".*?"seq":(\d+)/;
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (this: WebSocket, data: unknown, ...rest: unknown[]) {
      if (sentOn && typeof data === "string") {
        const m = message.exec(data);
        const pub = m ? published.get(`${runOf.get(m[1] as string)}:${m[2]}`) : undefined;
        if (pub !== undefined) sent.push(now() - pub);
      }
      return (send as (...a: unknown[]) => void).call(this, data, ...rest);
    } as typeof send;
  }

  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  const snapshots = process.env.HEAP_SNAPSHOT_DIR;
  if (snapshots) writeHeapSnapshot(`${snapshots}/fanout-before.heapsnapshot`);

  const wsUrl = url.replace(/^http/, "ws");
  const perProc: Assignment[][] = Array.from({ length: CLIENT_PROCS }, () => []);
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const run = runs[i % RUNS] as Assignment;
    perProc[i % CLIENT_PROCS]?.push({ token: run.token, runId: run.runId });
  }
  const self = fileURLToPath(import.meta.url);
  const loadBefore = load();
  const neighbour = process.env.NEIGHBOUR === "1" ? fork(self, ["--neighbour"], { stdio: "inherit" }) : null;
  const connectStart = now();
  const connectCpuStart = process.cpuUsage();
  const clients = forkFanoutClients(wsUrl, perProc);
  await clients.ready;
  const connectedIn = now() - connectStart;
  const connectCpu = process.cpuUsage(connectCpuStart);
  gc?.();
  const after = process.memoryUsage();
  if (snapshots) writeHeapSnapshot(`${snapshots}/fanout-after.heapsnapshot`);

  const workStart = now();
  const workStartHr = Number(process.hrtime.bigint() / 1000n);
  // A server whose event loop stalls (a long synchronous PGlite statement, GC) shows it here first.
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  // Garbage collection pauses while runs go (the main thread is stopped for each). Only those that
  // began from here on: the entry of the harness's own gc() above (a full collection of the heap
  // the subscribers made, 0.3-0.8 s at 10,000; --trace-gc calls it "testing") reaches this observer
  // too, after it returns, and was printed as the runs' longest pause.
  const gcPauses: number[] = [];
  const gcFrom = performance.now();
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.startTime >= gcFrom) gcPauses.push(e.duration);
  });
  gcObserver.observe({ entryTypes: ["gc"] });
  // The longest turns of the event loop while runs went, with when they began (hrtime µs, the
  // clock of a --cpu-prof profile, so the profile's samples in that window say what ran).
  const stalls: { at: number; ms: number }[] = [];
  let lastTick = process.hrtime.bigint();
  const ticker = setInterval(() => {
    const t = process.hrtime.bigint();
    const ms = Number(t - lastTick) / 1e6 - 20;
    if (ms > 250) stalls.push({ at: Number(lastTick / 1000n), ms });
    lastTick = t;
  }, 20);
  const cpuStart = process.cpuUsage();
  // Unlike CPU time, not moved by the machine's load: compares two trees on a noisy machine.
  const allocatedSince = heapAllocation();
  sentOn = true;
  await app.services.analysis.startWorker();
  // Every subscription has ended once every client is done: what follows is the harness's.
  await clients.done;
  const cpu = process.cpuUsage(cpuStart);
  const allocated = allocatedSince();
  sentOn = false;
  gcObserver.disconnect();
  clearInterval(ticker);
  loop.disable();
  const workMs = now() - workStart;
  const loadAfter = load();
  neighbour?.kill();
  const reports = await clients.reports;

  // PUBLISH_LOG=<file>: when each run published each event, for bench:fanout-floor to replay.
  const floor = process.env.FLOOR === "1";
  const publishLog =
    process.env.PUBLISH_LOG ||
    (floor ? path.join(mkdtempSync(path.join(tmpdir(), "fanout-")), "publishes.json") : undefined);
  if (publishLog) {
    const runIndex = new Map(runs.map((r, i) => [dbId(r.runId), i]));
    const timeline = [...published].map(([key, at]) => {
      const [runId, seq] = key.split(":") as [string, string];
      return { run: runIndex.get(runId), seq: Number(seq), ms: at - workStart, status: statuses.get(key) };
    });
    writeFileSync(publishLog, JSON.stringify(timeline.filter((e) => e.ms >= 0)));
  }
  const finalSeq = new Map<string, number>();
  for (const r of runs) {
    const row = await app.db.prisma.analysisRun.findUniqueOrThrow({ where: { id: dbId(r.runId) } });
    finalSeq.set(r.runId, row.seq);
  }
  const latencies: number[] = [];
  const bySeq = new Map<number, number[]>();
  let lost = 0;
  let duplicated = 0;
  let errors = 0;
  let delivered = 0;
  for (const report of reports) {
    for (const sub of report.subs) {
      if (sub.error) errors++;
      const seen = new Set<number>();
      for (const [seq, at] of sub.events) {
        delivered++;
        if (seen.has(seq)) duplicated++;
        seen.add(seq);
        const pub = published.get(`${dbId(sub.runId)}:${seq}`);
        if (pub !== undefined) {
          latencies.push(at - pub);
          const ofSeq = bySeq.get(seq) ?? [];
          ofSeq.push(at - pub);
          bySeq.set(seq, ofSeq);
        }
      }
      const last = finalSeq.get(sub.runId) ?? 0;
      for (let s = 0; s <= last; s++) if (!seen.has(s)) lost++;
    }
  }
  // The events that reached their last subscriber latest: when they were published and how many
  // runs published within the same 100 ms (a burst the server delivers in one go).
  const worstOf = new Map<string, number>();
  for (const report of reports)
    for (const sub of report.subs)
      for (const [seq, at] of sub.events) {
        const key = `${dbId(sub.runId)}:${seq}`;
        const pub = published.get(key);
        if (pub !== undefined && at - pub > (worstOf.get(key) ?? 0)) worstOf.set(key, at - pub);
      }
  const worst = [...worstOf].sort((a, b) => b[1] - a[1]).slice(0, 3);
  const pubTimes = [...published.values()];
  const worstText = worst.map(([key, ms]) => {
    const pub = published.get(key) as number;
    const near = pubTimes.filter((t) => Math.abs(t - pub) < 100).length;
    return `${ms.toFixed(0)} ms (seq ${key.split(":")[1]}, published at ${((pub - workStart) / 1000).toFixed(1)} s, ${near} events within 100 ms)`;
  });
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => percentile(latencies, p / 100);
  const eventsPerRun = [...finalSeq.values()].reduce((s, v) => s + v + 1, 0) / RUNS;
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  console.log(
    `fan-out: ${SUBSCRIBERS} subscribers (${CLIENT_PROCS} client processes) on ${RUNS} runs, ${app.db.kind}${neighbour ? ", with a CPU-bound neighbour" : ""}`,
  );
  console.log(`  load average (1, 5, 15 min) ${loadBefore} before, ${loadAfter} after`);
  console.log(
    `  connected and subscribed in ${(connectedIn / 1000).toFixed(1)} s (server CPU ${((connectCpu.user + connectCpu.system) / 1e6).toFixed(1)} s)`,
  );
  console.log(
    `  runs took ${(workMs / 1000).toFixed(1)} s, ${eventsPerRun.toFixed(0)} events per run, ${delivered} deliveries (${(delivered / (workMs / 1000)).toFixed(0)}/s)`,
  );
  console.log(
    `  publish→receive latency: p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, max ${pct(100).toFixed(1)} ms`,
  );
  if (process.env.SENT === "1") {
    sent.sort((a, b) => a - b);
    const at = (p: number) => percentile(sent, p / 100).toFixed(1);
    console.log(
      `  publish→sent on the server (the rest is the clients' reading): p50 ${at(50)} ms, p99 ${at(99)} ms, max ${at(100)} ms, ${sent.length} messages`,
    );
  }
  console.log(
    `  server event-loop delay while runs went: p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms, max ${(loop.max / 1e6).toFixed(0)} ms`,
  );
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(
    `  server CPU while runs went: ${(cpuMs / 1000).toFixed(1)} s (${((cpuMs * 1000) / Math.max(1, delivered)).toFixed(0)} µs per delivery); GC pauses ${gcPauses.length}, total ${gcPauses.reduce((a, b) => a + b, 0).toFixed(0)} ms, longest ${Math.max(0, ...gcPauses).toFixed(0)} ms`,
  );
  console.log(
    `  server heap allocated while runs went: ${(allocated / 1e6).toFixed(0)} MB (${(allocated / Math.max(1, delivered)).toFixed(0)} bytes per delivery)`,
  );
  const longest = stalls.sort((a, b) => b.ms - a.ms).slice(0, 3);
  const clientCpuMs = reports.reduce((s, r) => s + r.cpuUs, 0) / 1000;
  console.log(
    `  client processes' CPU meanwhile (the harness's, not the server's): ${(clientCpuMs / 1000).toFixed(1)} s (${((clientCpuMs * 1000) / Math.max(1, delivered)).toFixed(0)} µs per delivery)`,
  );
  console.log(`  slowest events to reach their last subscriber: ${worstText.join(", ")}`);
  if (longest.length)
    console.log(
      `  longest stalls: ${longest.map((s) => `${s.ms.toFixed(0)} ms at ${((s.at - workStartHr) / 1e6).toFixed(1)} s (hrtime ${s.at} µs)`).join(", ")}`,
    );
  const errorKinds = new Map<string, number>();
  for (const report of reports)
    for (const sub of report.subs) if (sub.error) errorKinds.set(sub.error, (errorKinds.get(sub.error) ?? 0) + 1);
  const kinds = [...errorKinds].map(([k, n]) => `${n}× ${k}`).join(", ");
  console.log(
    `  lost ${lost}, duplicated ${duplicated}, subscriptions ended in error ${errors}${kinds ? ` (${kinds})` : ""}`,
  );
  console.log(
    `  server RSS ${mb(before.rss)} → ${mb(after.rss)} MB: ${((after.rss - before.rss) / SUBSCRIBERS / 1024).toFixed(1)} KB per subscriber (heap ${((after.heapUsed - before.heapUsed) / SUBSCRIBERS / 1024).toFixed(1)} KB)${gc ? "" : " (run with --expose-gc for steadier figures)"}`,
  );
  if (process.env.BY_SEQ === "1")
    for (const [seq, ms] of [...bySeq].sort((a, b) => a[0] - b[0])) {
      ms.sort((a, b) => a - b);
      const at = (p: number) => percentile(ms, p).toFixed(0);
      console.log(`  seq ${seq}: ${ms.length} deliveries, p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`);
    }
  clients.kill();
  await app.stop();
  if (floor && publishLog) {
    // After this server has stopped, so the floor has the machine as this run had it: with the
    // neighbour too, when this run had one.
    const floorResult = path.join(path.dirname(publishLog), "floor.json");
    const floorNeighbour = neighbour ? fork(self, ["--neighbour"], { stdio: "inherit" }) : null;
    const out = execFileSync(
      process.execPath,
      ["--import", "tsx", fileURLToPath(new URL("./fanout-floor.ts", import.meta.url))],
      {
        env: {
          ...process.env,
          RAW: "1",
          TIMELINE: publishLog,
          RESULT_FILE: floorResult,
          SUBSCRIBERS: String(SUBSCRIBERS),
          CLIENT_PROCS: String(CLIENT_PROCS),
        },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    floorNeighbour?.kill();
    process.stdout.write(out);
    const floorP99 = (JSON.parse(readFileSync(floorResult, "utf8")) as { p99: number }).p99;
    if (process.env.PUBLISH_LOG) rmSync(floorResult, { force: true });
    else rmSync(path.dirname(publishLog), { recursive: true, force: true });
    console.log(
      `p99 beside the floor for the same publishes: Userplane ${pct(99).toFixed(1)} ms, bare WebSocket server ${floorP99.toFixed(1)} ms (${(pct(99) / floorP99).toFixed(1)}×)`,
    );
  }
  process.exit(0);
}
