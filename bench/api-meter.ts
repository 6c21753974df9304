// What the api_calls meter costs on request throughput: two servers that differ only in API_METER
// (on: every operation of an API key is counted in memory and flushed every API_METER_FLUSH_MS),
// measured with autocannon in interleaved rounds (on, off, off, on, ...) so machine load drifts
// hit both alike, on the cheapest shape (where a per-request cost shows most) and a nested one.
// Embedded PGlite by default; set DATABASE_URL for PostgreSQL. The machine's load is printed with
// every round.
import os from "node:os";
import autocannon from "autocannon";
import { type App, buildApp } from "../server/app.ts";
import { loadConfig } from "../server/config.ts";
import { createApiKey, createOwner, executor } from "../test/kit.ts";

const DURATION = Number(process.env.DURATION ?? 8);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

async function server(meter: boolean) {
  const app = await buildApp(
    loadConfig({
      ...process.env,
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
      PORT: "0",
      HOST: "127.0.0.1",
      SERVE_CLIENT: "false",
      RUN_WORKER: "false",
      METRICS: "false",
      API_METER: String(meter),
    }),
    { memoryDatabase: true },
  );
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
  return { app, port, key, name: meter ? "meter on" : "meter off" };
}

const shapes = [
  { name: "me { id }", query: `{ me { id } }` },
  {
    name: "me → myAgents(first: 20) → agent",
    query: `{ me { myAgents(first: 20) { edges { node { name agent { name } } } } } }`,
  },
];

const servers = [await server(true), await server(false)];

async function measure(s: (typeof servers)[number], query: string, duration: number) {
  const r = await autocannon({
    url: `http://127.0.0.1:${s.port}/graphql`,
    method: "POST",
    connections: CONNECTIONS,
    duration,
    headers: { "content-type": "application/json", authorization: `Bearer ${s.key}` },
    body: JSON.stringify({ query }),
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

// Warm-up: JIT, caches and the quota read of the metered server.
for (const shape of shapes) for (const s of servers) await measure(s, shape.query, 2);

const samples = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const shape of shapes) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const s of order) {
      const x = await measure(s, shape.query, DURATION);
      const key = `${shape.name}|${s.name}`;
      samples.set(key, [...(samples.get(key) ?? []), x.rps]);
      console.log(
        `round ${round + 1} ${shape.name} ${s.name}: ${x.rps.toFixed(0)} req/s, p50 ${x.p50} ms, p99 ${x.p99} ms, ${x.errors} errors (load ${load()})`,
      );
    }
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
await servers[0]?.app.services.apiMeter.flush();
const counted = await servers[0]?.app.db.prisma.apiCallCount.aggregate({ _sum: { calls: true } });
console.log(
  `\n${CONNECTIONS} connections, ${DURATION} s x ${ROUNDS} rounds, ${os.cpus().length} cores, load ${load()}`,
);
console.log(`calls the metered server counted: ${counted?._sum.calls ?? 0}`);
console.log("| shape | meter on req/s (median) | meter off req/s (median) | cost |");
console.log("|---|---|---|---|");
for (const shape of shapes) {
  const on = median(samples.get(`${shape.name}|meter on`) ?? []);
  const off = median(samples.get(`${shape.name}|meter off`) ?? []);
  console.log(`| ${shape.name} | ${on.toFixed(0)} | ${off.toFixed(0)} | ${(((off - on) / off) * 100).toFixed(1)}% |`);
}
for (const s of servers) await (s.app as App).stop();
