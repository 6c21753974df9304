// `searchMemories` latency through the real server (HTTP on loopback, GraphQL, session, index,
// access counting), on embedded PGlite and on a throwaway PostgreSQL 15:
//   - 10,000 memories of one user (ONE_USER), searched one at a time and CONCURRENCY at a time;
//   - 1,000,000 memories spread over 10,000 users (USERS × PER_USER), searching random users, so
//     most searches meet a user whose vectors are not held yet (cold loads, eviction).
// Rows are written by SQL in bulk (the API would take hours for a million): users, sessions and
// roles so each user has a bearer token, and vectors drawn from a pool of random unit vectors.
// Each search's top 5 is checked against the exact ranking computed by the database.
//
// DB=pglite,postgres picks the databases; MANY_ON=postgres the ones that get the 1M case.
import os from "node:os";
import { constants, PerformanceObserver } from "node:perf_hooks";
import { createOwner, executor } from "../test/kit.ts";
import { migrate, startPostgres } from "../test/support/services.ts";
import { benchServer } from "./support.ts";

const DBS = (process.env.DB ?? "pglite,postgres").split(",");
const MANY_ON = (process.env.MANY_ON ?? "postgres").split(",");
const ONE_USER = Number(process.env.ONE_USER ?? 10_000);
const USERS = Number(process.env.USERS ?? 10_000);
const PER_USER = Number(process.env.PER_USER ?? 100);
const SEARCHES = Number(process.env.SEARCHES ?? 400);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
const DIMS = 100;
const POOL = 10_000;

// Pauses of the server's main thread for garbage collection (the server runs in this process).
const gc = { major: 0, majorMax: 0, all: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.all += e.duration;
    if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
      gc.major += e.duration;
      gc.majorMax = Math.max(gc.majorMax, e.duration);
    }
  }
}).observe({ entryTypes: ["gc"] });

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const SEARCH = `query($q: String!) { searchMemories(query: $q, first: 5) { score memory { memoryKey } } }`;
const topics = ["food the user likes", "clinical research", "travel plans", "music taste", "budget", "code review"];

async function runOn(kind: string) {
  const pg = kind === "postgres" ? await startPostgres() : null;
  if (pg) await migrate(pg.url);
  const app = await benchServer(pg ? { DATABASE_URL: pg.url } : {}, { memoryDatabase: !pg });
  const { port } = await app.start();
  const prisma = app.db.prisma;
  const model = app.services.embedder.model;
  const owner = await createOwner(executor(app), "Bench");
  await app.services.embedder.embed(["loads the embedding model before anything is timed"]);

  // Random unit vectors, made once: each memory takes one (distinct within a user of up to POOL).
  await prisma.$executeRawUnsafe(`CREATE UNLOGGED TABLE bench_pool AS
    SELECT i, (SELECT array_agg(x / n) FROM unnest(v) x) AS v
    FROM (SELECT i, v, (SELECT sqrt(sum(y * y)) FROM unnest(v) y) AS n
      FROM (SELECT i, (SELECT array_agg(random() * 2 - 1) FROM generate_series(1, ${DIMS}) d WHERE i >= 0) AS v
        FROM generate_series(0, ${POOL - 1}) i) a) b`);
  const fill = (userFilter: string, perUser: number) =>
    prisma.$executeRawUnsafe(`INSERT INTO memories (id, user_id, tenant_id, memory_type, memory_key, memory_value,
        content, importance_score, embedding, embedding_model, updated_at)
      SELECT gen_random_uuid(), u.user_id, u.tenant_id, 'fact', 'm' || g, '{}'::jsonb, 'Bench memory ' || g,
        (g % 10) / 10.0, p.v, '${model}', now()
      FROM (SELECT user_id, tenant_id, row_number() OVER (ORDER BY user_id) AS n
            FROM (SELECT DISTINCT user_id, tenant_id FROM role_assignments WHERE ${userFilter}) d) u
      CROSS JOIN generate_series(1, ${perUser}) g
      JOIN bench_pool p ON p.i = (g + u.n * 7919) % ${POOL}`);

  const post = async (token: string, q: string) => {
    const t0 = performance.now();
    const send = () =>
      fetch(`http://127.0.0.1:${port}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: SEARCH, variables: { q } }),
      });
    // A kept-alive socket the server closed while idle (a long set-up step) is retried once.
    const r = await send().catch(send);
    const body = (await r.json()) as {
      data?: { searchMemories: { score: number; memory: { memoryKey: string } }[] };
      errors?: unknown[];
    };
    if (!body.data?.searchMemories) throw new Error(`search failed: ${JSON.stringify(body.errors)}`);
    return { ms: performance.now() - t0, hits: body.data.searchMemories };
  };

  // The answer must be the exact one, whatever the index does to be fast.
  async function checkExact(userId: string, token: string, q: string) {
    const { hits } = await post(token, q);
    const [v] = await app.services.embedder.embed([q]);
    const exact = await prisma.$queryRaw<{ memory_key: string }[]>`
      SELECT m.memory_key FROM memories m,
        LATERAL (SELECT sum(a * b) AS score FROM unnest(m.embedding, ${v}::float8[]) AS v(a, b)) s
      WHERE m.user_id = ${userId}::uuid ORDER BY s.score DESC, m.importance_score DESC, m.id LIMIT 5`;
    const got = hits.map((h) => h.memory.memoryKey).join(",");
    const want = exact.map((r) => r.memory_key).join(",");
    if (got !== want) throw new Error(`ranking differs from the exact one: ${got} vs ${want}`);
  }

  // Searches of a user not searched before in this process are counted apart ("first"): their time
  // is the cold read of the user's vectors, the others' ("warm") is the search alone.
  const searched = new Set<string>();
  const pct = (ms: number[], x: number) =>
    ms.length ? (ms[Math.min(ms.length - 1, Math.floor(x * ms.length))] as number).toFixed(1) : "-";
  const summary = (ms: number[]) =>
    `p50 ${pct(ms, 0.5)} ms, p99 ${pct(ms, 0.99)} ms, max ${pct(ms, 1)} ms (${ms.length})`;

  async function measure(title: string, pick: (i: number) => { token: string; q: string }, concurrency: number) {
    const warm: number[] = [];
    const first: number[] = [];
    const errors: string[] = [];
    let next = 0;
    const loadBefore = load();
    Object.assign(gc, { major: 0, majorMax: 0, all: 0 });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < SEARCHES) {
          const { token, q } = pick(next++);
          const into = searched.has(token) ? warm : first;
          searched.add(token);
          // A failed search is counted and shown, not allowed to end the run.
          await post(token, q).then(
            (r) => into.push(r.ms),
            (e: Error) => errors.push(e.message),
          );
        }
      }),
    );
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    for (const ms of [warm, first]) ms.sort((a, b) => a - b);
    console.log(
      `[${kind}] ${title}, ${concurrency} in flight: warm ${summary(warm)}; first of a user ${summary(first)}; ${(SEARCHES / wall).toFixed(0)} searches/s, ${((cpu.user + cpu.system) / 1000 / SEARCHES).toFixed(1)} ms CPU per search (client included), ${errors.length} failed${errors[0] ? ` (${errors[0].slice(0, 120)})` : ""}, GC ${gc.all.toFixed(0)} ms of which major ${gc.major.toFixed(0)} ms, longest major ${gc.majorMax.toFixed(0)} ms (load ${loadBefore} → ${load()})`,
    );
  }

  /** One search, timed with the CPU it took (the client's included). */
  async function once(title: string, token: string, q: string) {
    const loadBefore = load();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await post(token, q);
    searched.add(token);
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `[${kind}] ${title}: ${(performance.now() - t0).toFixed(0)} ms, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU (load ${loadBefore} → ${load()})`,
    );
  }

  // The process's first search (GraphQL, Prisma's plans, the index's statements all cold), by a user
  // with nothing to read yet, so the next figure is the user's cold read alone.
  const stranger = await createOwner(executor(app), "Warm-up");
  await once("first search of the process (a user with no memories)", stranger.token, "warm-up");
  await once("second search of the process (another user with no memories)", owner.token, "warm-up");
  searched.delete(owner.token);

  let t = performance.now();
  await fill(`user_id = '${owner.userId}'`, ONE_USER);
  console.log(`[${kind}] ${ONE_USER} memories of one user written in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const query = (i: number) => `${topics[i % topics.length]} ${i}`;
  await once(`first search of the user (reads ${ONE_USER} vectors)`, owner.token, "first search");
  for (let i = 0; i < 3; i++) await checkExact(owner.userId, owner.token, query(i));
  await measure(`${ONE_USER} memories of one user`, (i) => ({ token: owner.token, q: query(i) }), 1);
  await measure(`${ONE_USER} memories of one user`, (i) => ({ token: owner.token, q: query(i) }), CONCURRENCY);

  if (MANY_ON.includes(kind)) {
    t = performance.now();
    // Users, each with a member role and a session whose token is `ups_bench_<n>`.
    await prisma.$executeRawUnsafe(`INSERT INTO users (id, email, password_hash, display_name, updated_at)
      SELECT gen_random_uuid(), 'bench' || g || '@bench.test', 'x', 'Bench ' || g, now() FROM generate_series(1, ${USERS}) g`);
    // A profile each: a session older than a minute renews and touches it (the 1M fill takes minutes).
    await prisma.$executeRawUnsafe(`INSERT INTO profiles (user_id, updated_at)
      SELECT u.id, now() FROM users u WHERE u.email LIKE 'bench%@bench.test'`);
    await prisma.$executeRawUnsafe(`INSERT INTO role_assignments (id, user_id, tenant_id, role, updated_at)
      SELECT gen_random_uuid(), u.id, '${owner.tenantId}', 'member', now() FROM users u WHERE u.email LIKE 'bench%@bench.test'`);
    await fill(`user_id IN (SELECT id FROM users WHERE email LIKE 'bench%@bench.test')`, PER_USER);
    // Sessions after the fill: one older than a minute renews on its first use.
    await prisma.$executeRawUnsafe(`INSERT INTO sessions (id, user_id, tenant_id, token_hash, expires_at, last_seen_at)
      SELECT gen_random_uuid(), u.id, '${owner.tenantId}',
        encode(sha256(convert_to('ups_bench_' || substring(u.email from 'bench(\\d+)@'), 'UTF8')), 'hex'),
        now() + interval '1 day', now()
      FROM users u WHERE u.email LIKE 'bench%@bench.test'`);
    const ids = await prisma.$queryRaw<{ id: string; email: string }[]>`
      SELECT id, email FROM users WHERE email LIKE 'bench%@bench.test'`;
    const users = ids.map((u) => ({ id: u.id, token: `ups_bench_${/bench(\d+)@/.exec(u.email)?.[1]}` }));
    const total = await prisma.memory.count();
    console.log(
      `[${kind}] ${total} memories over ${USERS + 1} users written in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    for (let i = 0; i < 3; i++) {
      const u = users[(i * 3301) % users.length]!;
      await checkExact(u.id, u.token, query(i));
    }
    // A fixed pseudo-random walk over the users: the same order for every run.
    const pick = (i: number) => {
      const u = users[(i * 7919 + 13) % users.length]!;
      return { token: u.token, q: query(i) };
    };
    const heap = process.memoryUsage();
    await measure(`${total} memories over ${USERS} users, random users`, pick, 1);
    await measure(`${total} memories over ${USERS} users, random users`, (i) => pick(i + SEARCHES), CONCURRENCY);
    // Every user searched once: what holding all their vectors costs (up to MEMORY_INDEX_MAX_MB).
    const before = process.memoryUsage();
    let warmFailed = 0;
    t = performance.now();
    for (let i = 0; i < users.length; i += CONCURRENCY)
      await Promise.all(users.slice(i, i + CONCURRENCY).map((u) => post(u.token, "warm").catch(() => warmFailed++)));
    const after = process.memoryUsage();
    console.log(
      `[${kind}] searched all ${users.length} users once in ${((performance.now() - t) / 1000).toFixed(1)} s (${warmFailed} failed); index holds ${app.services.memoryIndex.size()} vectors in ${mb(app.services.memoryIndex.bytes())}; array buffers ${mb(heap.arrayBuffers)} → ${mb(after.arrayBuffers)}, heap used ${mb(before.heapUsed)} → ${mb(after.heapUsed)}, RSS ${mb(after.rss)}`,
    );
    await measure(
      `${total} memories over ${USERS} users, random users, after all were searched once`,
      (i) => pick(i + 2 * SEARCHES),
      CONCURRENCY,
    );
  }
  console.log(
    `[${kind}] memory index holds ${app.services.memoryIndex.size()} vectors in ${mb(app.services.memoryIndex.bytes())}; load ${load()}`,
  );
  await app.stop();
  await pg?.stop();
}

console.log(`cores ${os.cpus().length}, load ${load()}`);
for (const kind of DBS) await runOn(kind);
