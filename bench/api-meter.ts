// What the api_calls meter costs on request throughput: two servers that differ only in API_METER
// (on: every operation of an API key is counted in memory and flushed every API_METER_FLUSH_MS),
// measured with autocannon in interleaved rounds (on, off, off, on, ...) so machine load drifts
// hit both alike, on the cheapest shape (where a per-request cost shows most) and a nested one.
// Embedded PGlite by default; set DATABASE_URL for PostgreSQL. The machine's load is printed with
// every round. On a shared, loaded machine req/s swing by tens of percent between rounds, so it
// also prints this process's CPU time per request (less sensitive to other processes) and the
// meter's own cost: admit() timed alone, as a share of the CPU time of one request.
import os from "node:os";
import autocannon from "autocannon";
import type { App } from "../server/app.ts";
import { createApiKey, createOwner, executor } from "../test/kit.ts";
import { benchServer } from "./support.ts";

const DURATION = Number(process.env.DURATION ?? 8);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

async function server(meter: boolean) {
  const app = await benchServer({ METRICS: "false", API_METER: String(meter) });
  const { port } = await app.start();
  const exec = executor(app);
  const owner = await createOwner(exec, "Bench");
  for (let i = 0; i < 20; i++) {
    const agent = await app.db.prisma.agent.create({ data: { tenantId: owner.tenantId, name: `Bench agent ${i}` } });
    await app.db.prisma.userAgent.create({
      data: { userId: owner.userId, tenantId: owner.tenantId, agentId: agent.id },
    });
  }
  // A quota so the check has a limit to compare with (one nobody reaches in a bench).
  await exec(
    `mutation { setQuota(quotaType: api_calls, quotaLimit: 1000000000000, period: day) { id } }`,
    {},
    owner.token,
  );
  const key = await createApiKey(exec, owner, ["READ_PROFILE", "READ_AGENTS"]);
  const apiKey = await app.db.prisma.apiKey.findFirstOrThrow({ where: { userId: owner.userId } });
  const caller = { apiKeyId: apiKey.id, tenantId: owner.tenantId, userId: owner.userId };
  return { app, port, key, caller, name: meter ? "meter on" : "meter off" };
}

const shapes = [
  { name: "me { id }", query: `{ me { id } }` },
  {
    name: "me → myAgents(first: 20) → agent",
    query: `{ me { myAgents(first: 20) { edges { node { name agent { name } } } } } }`,
  },
];

const servers = [await server(true), await server(false)];

/** CPU time of this process (server and load generator) per answered request. */
async function measureCpu(s: (typeof servers)[number], query: string, duration: number) {
  const before = process.cpuUsage();
  const r = await autocannon({
    url: `http://127.0.0.1:${s.port}/graphql`,
    method: "POST",
    connections: CONNECTIONS,
    duration,
    headers: { "content-type": "application/json", authorization: `Bearer ${s.key}` },
    body: JSON.stringify({ query }),
  });
  const cpu = process.cpuUsage(before);
  answered.set(s.name, (answered.get(s.name) ?? 0) + r.requests.total - r.non2xx);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.non2xx,
    cpuMs: (cpu.user + cpu.system) / 1000 / Math.max(1, r.requests.total),
  };
}
const answered = new Map<string, number>();

// Warm-up: JIT, caches and the quota read of the metered server.
for (const shape of shapes) for (const s of servers) await measureCpu(s, shape.query, 2);

await servers[0]?.app.services.apiMeter.flush();
const countedBefore = await servers[0]?.app.db.prisma.apiCallCount.aggregate({ _sum: { calls: true } });
answered.clear();
const samples = new Map<string, number[]>();
const cpuSamples = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const shape of shapes) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const s of order) {
      const x = await measureCpu(s, shape.query, DURATION);
      const key = `${shape.name}|${s.name}`;
      samples.set(key, [...(samples.get(key) ?? []), x.rps]);
      cpuSamples.set(key, [...(cpuSamples.get(key) ?? []), x.cpuMs]);
      console.log(
        `round ${round + 1} ${shape.name} ${s.name}: ${x.rps.toFixed(0)} req/s, p50 ${x.p50} ms, p99 ${x.p99} ms, ${x.cpuMs.toFixed(2)} ms CPU/req, ${x.errors} errors (load ${load()})`,
      );
    }
  }
}

// The meter alone: admit() of one caller, its quota already read (what every request pays).
const meter = servers[0]?.app.services.apiMeter;
const caller = servers[0]?.caller as NonNullable<(typeof servers)[0]>["caller"];
await meter?.admit(caller);
const ADMITS = 200_000;
const t0 = process.cpuUsage();
for (let i = 0; i < ADMITS; i++) await meter?.admit(caller);
const admitCpu = process.cpuUsage(t0);
const admitUs = (admitCpu.user + admitCpu.system) / ADMITS;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
await servers[0]?.app.services.apiMeter.flush();
const counted = await servers[0]?.app.db.prisma.apiCallCount.aggregate({ _sum: { calls: true } });
const measured = Number(counted?._sum.calls ?? 0) - Number(countedBefore?._sum.calls ?? 0) - ADMITS - 1;
console.log(
  `\n${CONNECTIONS} connections, ${DURATION} s x ${ROUNDS} rounds, ${os.cpus().length} cores, load ${load()}`,
);
console.log(`answered by the metered server: ${answered.get("meter on") ?? 0}; counted by its meter: ${measured}`);
console.log(`admit() alone: ${admitUs.toFixed(2)} µs CPU per call (${ADMITS} calls)`);
console.log(
  "| shape | req/s on | req/s off | req/s cost | CPU ms/req on | CPU ms/req off | CPU cost | admit() per request |",
);
console.log("|---|---|---|---|---|---|---|---|");
for (const shape of shapes) {
  const on = median(samples.get(`${shape.name}|meter on`) ?? []);
  const off = median(samples.get(`${shape.name}|meter off`) ?? []);
  const cOn = median(cpuSamples.get(`${shape.name}|meter on`) ?? []);
  const cOff = median(cpuSamples.get(`${shape.name}|meter off`) ?? []);
  const pct = (a: number, b: number) => `${(((a - b) / b) * 100).toFixed(1)}%`;
  console.log(
    `| ${shape.name} | ${on.toFixed(0)} | ${off.toFixed(0)} | ${(((off - on) / off) * 100).toFixed(1)}% | ${cOn.toFixed(2)} | ${cOff.toFixed(2)} | ${pct(cOn, cOff)} | ${((admitUs / 1000 / cOff) * 100).toFixed(3)}% |`,
  );
}
for (const s of servers) await (s.app as App).stop();
