// Requests per second and latency (p50/p99) for two hot paths, measured with autocannon against
// a real server on loopback: the nested `me → myAgents → agent` query, and `searchMemories` over
// 10,000 memories of one user. Embedded PGlite by default; set DATABASE_URL for PostgreSQL.
import os from "node:os";
import autocannon from "autocannon";
import { createOwner, executor } from "../test/kit.ts";
import { benchServer } from "./support.ts";

const MEMORIES = Number(process.env.MEMORIES ?? 10_000);
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);

const app = await benchServer();
const { port } = await app.start();
const exec = executor(app);
const owner = await createOwner(exec, "Bench");
const prisma = app.db.prisma;

for (let i = 0; i < 20; i++) {
  const agent = await prisma.agent.create({ data: { tenantId: owner.tenantId, name: `Bench agent ${i}` } });
  await prisma.userAgent.create({
    data: { userId: owner.userId, tenantId: owner.tenantId, agentId: agent.id, tags: ["bench"] },
  });
}

const topics = [
  "clinical trial",
  "italian food",
  "bullet point summaries",
  "FDA guidance",
  "travel plans",
  "python code review",
  "quarterly budget",
  "marathon training",
];
const texts = Array.from(
  { length: MEMORIES },
  (_, i) => `Memory ${i} about ${topics[i % topics.length]} and detail ${i % 97}`,
);
const t0 = performance.now();
for (let i = 0; i < texts.length; i += 500) {
  const batch = texts.slice(i, i + 500);
  const vectors = await app.services.embedder.embed(batch);
  await prisma.memory.createMany({
    data: batch.map((content, j) => ({
      userId: owner.userId,
      tenantId: owner.tenantId,
      memoryType: "fact" as const,
      memoryKey: `m${i + j}`,
      content,
      memoryValue: { content },
      embedding: vectors[j]!,
      embeddingModel: app.services.embedder.model,
    })),
  });
}
console.log(`seeded ${MEMORIES} memories in ${((performance.now() - t0) / 1000).toFixed(1)} s (${app.db.kind})`);

async function run(title: string, query: string, variables: Record<string, unknown>) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/graphql`,
    method: "POST",
    connections: CONNECTIONS,
    duration: DURATION,
    headers: { "content-type": "application/json", authorization: `Bearer ${owner.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const errors = result.errors + result.non2xx;
  console.log(
    `${title}: ${result.requests.average.toFixed(0)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${errors} errors (${CONNECTIONS} connections, ${DURATION} s)`,
  );
}

await run(
  "me → myAgents(first: 20) → agent",
  `query { me { myAgents(first: 20) { edges { node { name agent { name model } } } } } }`,
  {},
);
await run(
  `searchMemories over ${MEMORIES} memories`,
  `query($q: String!) { searchMemories(query: $q, first: 5) { score memory { memoryKey } } }`,
  { q: "what food does the user like" },
);
// One search at a time, as a user waits for it: the latency the goal is about.
{
  const SEARCH = `query($q: String!) { searchMemories(query: $q, first: 5) { score memory { memoryKey } } }`;
  const queries = ["what food does the user like", "clinical research", "travel plans", "music taste"];
  const ms: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    const r = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${owner.token}` },
      body: JSON.stringify({ query: SEARCH, variables: { q: `${queries[i % queries.length]} ${i}` } }),
    });
    await r.json();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const p = (q: number) => (ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] as number).toFixed(1);
  console.log(
    `searchMemories one at a time over ${MEMORIES} memories: p50 ${p(0.5)} ms, p99 ${p(0.99)} ms (200 searches)`,
  );
}
console.log(
  `memory index holds ${app.services.memoryIndex.size()} vectors; load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
await app.stop();
