// The floor under bench:fanout: the same client processes and graphql-ws clients, the same
// subscription and the same bursts of events, served by graphql-ws's own reference server
// (graphql-ws/use/ws) on a schema with nothing behind it: no database, no authorization, no
// worker; with RAW=1, by a WebSocket server speaking the protocol by hand with no GraphQL at all
// (the least Node does per delivery). What this takes per delivery and how long its bursts take to
// reach the last subscriber is what any server built on this stack pays on this machine;
// bench:fanout's figures are read against it.
// TIMELINE=<file> replays the publishes bench:fanout recorded with PUBLISH_LOG=<file>, the fairest
// comparison: the same events of the same runs at the same moments.
// RESULT_FILE=<file> also writes the figures there as JSON.
//   npm run bench:fanout-floor    RAW=0 TIMELINE= SUBSCRIBERS=10000 RUNS=10 STEPS=9 EVENTS_PER_STEP=3 STEP_DELAY_MS=3000 CLIENT_PROCS=4
import { EventEmitter, on } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { buildSchema } from "graphql";
import { useServer as serveGraphqlWs } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import { forkFanoutClients, loadAverage, now, percentile } from "./support.ts";

const SUBSCRIBERS = Number(process.env.SUBSCRIBERS ?? 10_000);
/** A PUBLISH_LOG written by bench:fanout: its runs' events replayed at the same times. */
const TIMELINE = process.env.TIMELINE;
const recorded = TIMELINE
  ? (JSON.parse(readFileSync(TIMELINE, "utf8")) as { run: number; seq: number; ms: number; status: string }[])
  : null;
const RUNS = recorded ? Math.max(...recorded.map((e) => e.run)) + 1 : Number(process.env.RUNS ?? 10);
const STEPS = Number(process.env.STEPS ?? 9);
const EVENTS_PER_STEP = Number(process.env.EVENTS_PER_STEP ?? 3);
const STEP_DELAY_MS = Number(process.env.STEP_DELAY_MS ?? 3000);
const CLIENT_PROCS = Number(process.env.CLIENT_PROCS ?? 4);
const RAW = process.env.RAW === "1";
const publish: { raw: ((runId: string, event: Progress) => void) | null } = { raw: null };

interface Progress {
  seq: number;
  status: string;
  percent: number;
}
const runs = new EventEmitter().setMaxListeners(0);
const schema = buildSchema(`
  type Progress { seq: Int! status: String! percent: Int! }
  type Query { ok: Boolean }
  type Subscription { analysisProgress(runId: ID!): Progress! }
`);
const roots = {
  analysisProgress: async function* ({ runId }: { runId: string }) {
    const events = on(runs, runId);
    yield { analysisProgress: { seq: 0, status: "running", percent: 0 } };
    for await (const [event] of events) {
      yield { analysisProgress: event as Progress };
      // As the product's stream, the subscription completes with the run.
      if ((event as Progress).status === "complete") return;
    }
  },
};

const http = createServer();
const wss = new WebSocketServer({ server: http, path: "/graphql", handleProtocols: () => "graphql-transport-ws" });
if (RAW) serveRaw(wss);
else serveGraphqlWs({ schema, roots: { subscription: roots } }, wss);

/**
 * The least a WebSocket server in Node does per delivery: graphql-transport-ws spoken by hand, no
 * GraphQL at all, each event's payload serialized once and sent to every subscriber with its id.
 */
function serveRaw(server: WebSocketServer) {
  const subscribers = new Map<string, { send: (text: string) => void; id: string }[]>();
  server.on("connection", (socket) => {
    socket.on("message", (data) => {
      const m = JSON.parse(String(data)) as { type: string; id?: string; payload?: { variables?: { runId?: string } } };
      if (m.type === "connection_init") socket.send(JSON.stringify({ type: "connection_ack" }));
      if (m.type !== "subscribe" || !m.id) return;
      const runId = m.payload?.variables?.runId ?? "";
      const list = subscribers.get(runId) ?? [];
      subscribers.set(runId, list);
      list.push({ send: (text) => socket.send(text), id: m.id });
      socket.send(
        `{"id":${JSON.stringify(m.id)},"type":"next","payload":{"data":{"analysisProgress":{"seq":0,"status":"running","percent":0}}}}`,
      );
    });
  });
  publish.raw = (runId, event) => {
    const payload = JSON.stringify({ data: { analysisProgress: event } });
    for (const s of subscribers.get(runId) ?? []) {
      s.send(`{"id":${JSON.stringify(s.id)},"type":"next","payload":${payload}}`);
      if (event.status === "complete") s.send(`{"id":${JSON.stringify(s.id)},"type":"complete"}`);
    }
  };
}
await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`;

const runIds = Array.from({ length: RUNS }, (_, i) => `run-${i}`);
const perProc = Array.from({ length: CLIENT_PROCS }, () => [] as { token: string; runId: string }[]);
for (let i = 0; i < SUBSCRIBERS; i++)
  perProc[i % CLIENT_PROCS]?.push({ token: "-", runId: runIds[i % RUNS] as string });
const clients = forkFanoutClients(url, perProc);
await clients.ready;

const loadBefore = loadAverage(1);
const published = new Map<string, number>();
const cpuStart = process.cpuUsage();
const workStart = now();
/** The events to publish: [ms after the start, run, event], in time order. */
type Timed = [number, string, Progress];
const timeline: Timed[] = [];
if (recorded)
  for (const e of recorded)
    timeline.push([e.ms, runIds[e.run] as string, { seq: e.seq, status: e.status, percent: e.seq }]);
else
  for (let step = 1; step <= STEPS; step++)
    for (const runId of runIds)
      for (let e = 0; e < EVENTS_PER_STEP; e++) {
        const seq = (step - 1) * EVENTS_PER_STEP + e + 1;
        const last = step === STEPS && e === EVENTS_PER_STEP - 1;
        timeline.push([
          (step - 1) * STEP_DELAY_MS,
          runId,
          { seq, status: last ? "complete" : "running", percent: seq },
        ]);
      }
timeline.sort((a, b) => a[0] - b[0]);
// The events due are all published, then delivered: as with the product's worker, whose publishes
// do not wait for their deliveries.
for (let i = 0; i < timeline.length; ) {
  const wait = workStart + (timeline[i]?.[0] ?? 0) - now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const due: Timed[] = [];
  while (i < timeline.length && workStart + (timeline[i]?.[0] ?? 0) <= now()) due.push(timeline[i++] as Timed);
  for (const [, runId, event] of due) published.set(`${runId}:${event.seq}`, now());
  for (const [, runId, event] of due) {
    if (publish.raw) publish.raw(runId, event);
    else runs.emit(runId, event);
  }
}
const seqsOf = new Map<string, number[]>();
for (const [, runId, event] of timeline) {
  const seqs = seqsOf.get(runId) ?? [];
  seqs.push(event.seq);
  seqsOf.set(runId, seqs);
}
await clients.done;
const cpu = process.cpuUsage(cpuStart);
const workMs = now() - workStart;
const reports = await clients.reports;

const latencies: number[] = [];
let lost = 0;
let delivered = 0;
for (const report of reports)
  for (const sub of report.subs) {
    const seen = new Set<number>();
    for (const [seq, at] of sub.events) {
      seen.add(seq);
      const pub = published.get(`${sub.runId}:${seq}`);
      if (pub === undefined) continue;
      delivered++;
      latencies.push(at - pub);
    }
    for (const s of seqsOf.get(sub.runId) ?? []) if (!seen.has(s)) lost++;
  }
latencies.sort((a, b) => a - b);
const pct = (p: number) => percentile(latencies, p);
const clientCpuUs = reports.reduce((s, r) => s + r.cpuUs, 0);
const cpuUs = cpu.user + cpu.system;
console.log(
  `fan-out floor (${RAW ? "a bare WebSocket server, no GraphQL" : "graphql-ws's reference server, nothing behind it"}): ${SUBSCRIBERS} subscribers on ${RUNS} runs, ${TIMELINE ? `the publishes of ${TIMELINE} replayed` : `${EVENTS_PER_STEP} events per run every ${STEP_DELAY_MS} ms, ${STEPS} steps`}`,
);
console.log(`  load average (1, 5, 15 min) ${loadBefore} before, ${loadAverage(1)} after`);
console.log(`  ${delivered} deliveries in ${(workMs / 1000).toFixed(1)} s; lost ${lost}`);
console.log(
  `  publish→receive latency: p50 ${pct(0.5).toFixed(1)} ms, p99 ${pct(0.99).toFixed(1)} ms, max ${pct(1).toFixed(1)} ms`,
);
console.log(
  `  server CPU ${(cpuUs / 1e6).toFixed(1)} s (${(cpuUs / Math.max(1, delivered)).toFixed(0)} µs per delivery); client processes' CPU ${(clientCpuUs / 1e6).toFixed(1)} s (${(clientCpuUs / Math.max(1, delivered)).toFixed(0)} µs per delivery)`,
);
// RESULT_FILE: the same figures as data, for a bench that runs this one (bench:fanout FLOOR=1).
if (process.env.RESULT_FILE)
  writeFileSync(
    process.env.RESULT_FILE,
    JSON.stringify({
      delivered,
      lost,
      p50: pct(0.5),
      p99: pct(0.99),
      max: pct(1),
    }),
  );
clients.kill();
process.exit(0);
