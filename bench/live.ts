// Live queries versus polling: CLIENTS clients each watch a `quotas` + `usage` view of their user,
// spread over TENANTS tenants (one user each), while usage changes once a second (one agent call
// recorded with an API key, in the next tenant each second). The same clients watch first with
// `query @live` over graphql-ws, then by polling the same query once a second over HTTP, on one app
// and database. Prints database statements per second spent on watching (Prisma's, counted through
// buildApp's onQuery hook; the writer's own share, measured with nobody watching, is taken off),
// change-to-screen latency (from the call that changes usage to a client holding the new total)
// and server heap per live query (heap after the live queries start minus heap with the same
// sockets open and idle, over the queries; run with --expose-gc, as `npm run bench:live` does).
//   npm run bench:live     CLIENTS=1000 TENANTS=100 DURATION=20
// HEAP_SNAPSHOTS=/tmp/live writes heap snapshots with the sockets idle and with their live queries.
import { fork } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { writeHeapSnapshot } from "node:v8";
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import { benchApp, deferred, now } from "./support.ts";

const CLIENTS = Number(process.env.CLIENTS ?? 1_000);
const TENANTS = Number(process.env.TENANTS ?? 100);
const SECONDS = Number(process.env.DURATION ?? 20);
const TOKENS = 100;

const VIEW = `quotas(first: 5) { edges { node { quotaType currentUsage usagePercentage } } } usage(months: 1) { totalTokens }`;
const LIVE = `query LiveUsage @live { ${VIEW} }`;
const POLL = `query PolledUsage { ${VIEW} }`;

interface Seen {
  user: number;
  total: number;
  at: number;
}
type Message =
  | { type: "connect"; url: string; tokens: string[] }
  | { type: "live" }
  | { type: "poll" }
  | { type: "stop" };

// ---- the clients' process: their own work must not slow the server down -------------------------
if (process.argv[2] === "--clients") {
  let url = "";
  let owners: number[] = [];
  let tokens: string[] = [];
  const sockets: Client[] = [];
  let seen: Seen[] = [];
  const last = new Map<number, number>();
  let stopLive: (() => void)[] = [];
  let polling = false;
  let polls = 0;
  // A client's first answer in each phase is a read, not an update: only later totals count.
  const record = (client: number, total: number | undefined) => {
    const user = owners[client] as number;
    if (total === undefined || total === last.get(client)) return;
    const first = !last.has(client);
    last.set(client, total);
    if (!first) seen.push({ user, total, at: now() });
  };
  const reply = (m: object) => process.send?.(m);
  process.on("message", async (m: Message) => {
    if (m.type === "connect") {
      url = m.url;
      tokens = m.tokens;
      owners = Array.from({ length: CLIENTS }, (_, i) => i % tokens.length);
      for (let i = 0; i < CLIENTS; i += 20) {
        await Promise.all(
          Array.from({ length: Math.min(20, CLIENTS - i) }, (_, j) => {
            const [open, opened] = deferred<void>();
            sockets.push(
              createClient({
                url: url.replace(/^http/, "ws"),
                webSocketImpl: WebSocket,
                connectionParams: { authorization: `Bearer ${tokens[owners[i + j] as number]}` },
                lazy: false,
                // A busy machine may miss the server's 3 s wait for connection_init: connect again.
                retryAttempts: 10,
                shouldRetry: () => true,
                on: { connected: () => opened() },
              }),
            );
            return open;
          }),
        );
      }
      reply({ type: "connected" });
    }
    if (m.type === "live") {
      await Promise.all(
        sockets.map((socket, i) => {
          const [first, gotFirst] = deferred<void>();
          stopLive.push(
            socket.subscribe<{ usage: { totalTokens: number } }>(
              { query: LIVE },
              {
                next: (r) => {
                  if (r.errors) console.error(JSON.stringify(r.errors));
                  record(i, r.data?.usage.totalTokens);
                  gotFirst();
                },
                error: (e) => console.error("live query failed", e),
                complete: () => {},
              },
            ),
          );
          return first;
        }),
      );
      reply({ type: "attached" });
    }
    if (m.type === "poll") {
      polling = true;
      for (let i = 0; i < CLIENTS; i++) {
        void (async () => {
          await new Promise((r) => setTimeout(r, Math.random() * 1000)); // pollers are not in step
          while (polling) {
            const started = now();
            try {
              const r = await fetch(url, {
                method: "POST",
                headers: { "content-type": "application/json", authorization: `Bearer ${tokens[owners[i] as number]}` },
                body: JSON.stringify({ query: POLL }),
              });
              const body = (await r.json()) as { data?: { usage: { totalTokens: number } } };
              if (body.data) polls++;
              record(i, body.data?.usage.totalTokens);
            } catch {
              // an overloaded server refusing a poll is part of what polling costs
            }
            await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (now() - started))));
          }
        })();
      }
      reply({ type: "attached" });
    }
    if (m.type === "stop") {
      polling = false;
      for (const stop of stopLive) stop();
      stopLive = [];
      const report = seen;
      seen = [];
      last.clear();
      reply({ type: "report", seen: report, polls });
      polls = 0;
    }
  });
} else {
  await main();
}

async function main() {
  process.env.SIGNUPS_PER_ADDRESS_HOUR = "1000000";
  process.env.LOG_LEVEL = "error";
  let statements = 0;
  const app = await benchApp({
    queue: `bench-live-${process.pid}`,
    runs: 1,
    stepDelayMs: "0",
    onQuery: () => statements++,
  });
  const url = (await app.start()).url.replace("localhost", "127.0.0.1");
  const { createOwner, createApiKey, executor, ok } = await import("../test/kit.ts");
  const exec = executor(app);

  // One user per tenant with a tokens quota, an agent of their own and a key an agent backend uses.
  const users: { token: string; key: string; userAgentId: string }[] = [];
  for (let t = 0; t < TENANTS; t++) {
    const owner = await createOwner(exec, `Tenant${t}`);
    await ok(exec, `mutation { setQuota(quotaType: tokens, quotaLimit: 100000000) { id } }`, {}, owner.token);
    const agent = await ok(exec, `mutation { createAgent(input: { name: "Agent" }) { id } }`, {}, owner.token);
    const ua = await ok(
      exec,
      `mutation($a: ID!) { addAgent(agentId: $a) { id } }`,
      { a: agent.createAgent.id },
      owner.token,
    );
    users.push({
      token: owner.token,
      key: await createApiKey(exec, owner, ["WRITE_USAGE"]),
      userAgentId: ua.addAgent.id,
    });
  }

  // Usage changes once a second, in the next tenant each time; `changedAt` keys each new total.
  const changedAt = new Map<string, number>();
  const calls = new Map<number, number>();
  let seq = 0;
  const writeFor = async (seconds: number) => {
    const s0 = statements;
    const t0 = now();
    for (let i = 0; i < seconds; i++) {
      const started = now();
      const user = seq++ % TENANTS;
      const n = (calls.get(user) ?? 0) + 1;
      calls.set(user, n);
      changedAt.set(`${user}:${n * TOKENS}`, started);
      const u = users[user] as (typeof users)[number];
      await ok(
        exec,
        `mutation($ua: ID!, $k: String!) { recordAgentUsage(userAgentId: $ua, success: true, tokens: ${TOKENS}, cost: 0.001, model: "m", idempotencyKey: $k) { replayed } }`,
        { ua: u.userAgentId, k: `call-${seq}` },
        u.key,
      );
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (now() - started))));
    }
    return { statements: statements - s0, seconds: (now() - t0) / 1000 };
  };

  const child = fork(fileURLToPath(import.meta.url), ["--clients"], {
    execArgv: ["--import", "tsx"],
    stdio: "inherit",
  });
  type Reply = { type: string; seen?: Seen[]; polls?: number };
  let pending: ((m: Reply) => void) | null = null;
  child.on("message", (m: Reply) => pending?.(m));
  const ask = (m: Message) =>
    new Promise<Reply>((resolve) => {
      pending = resolve;
      child.send(m);
    });
  const gc = (globalThis as { gc?: () => void }).gc;
  const heap = () => {
    gc?.();
    return process.memoryUsage().heapUsed;
  };

  const alone = await writeFor(SECONDS);
  await ask({ type: "connect", url, tokens: users.map((u) => u.token) });
  const idleHeap = heap();
  if (process.env.HEAP_SNAPSHOTS) writeHeapSnapshot(`${process.env.HEAP_SNAPSHOTS}-idle.heapsnapshot`);
  const a0 = statements;
  await ask({ type: "live" });
  const liveAttach = statements - a0;
  const liveHeap = heap();
  if (process.env.HEAP_SNAPSHOTS) writeHeapSnapshot(`${process.env.HEAP_SNAPSHOTS}-live.heapsnapshot`);
  const live = await writeFor(SECONDS);
  const liveSeen = (await ask({ type: "stop" })).seen ?? [];
  await ask({ type: "poll" });
  const polled = await writeFor(SECONDS);
  const pollStop = await ask({ type: "stop" });
  const pollSeen = pollStop.seen ?? [];
  const pollsServed = (pollStop.polls ?? 0) / polled.seconds;
  child.kill();
  await app.stop();

  const writer = alone.statements / alone.seconds;
  const watching = (m: { statements: number; seconds: number }) => Math.max(0, m.statements / m.seconds - writer);
  const latency = (seen: Seen[]) => {
    const ms = seen
      .map((s) => s.at - (changedAt.get(`${s.user}:${s.total}`) ?? Number.NaN))
      .filter((x) => Number.isFinite(x) && x >= 0)
      .sort((x, y) => x - y);
    const p = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? Number.NaN;
    return { p50: p(0.5), p99: p(0.99), n: ms.length };
  };
  const [l, p] = [latency(liveSeen), latency(pollSeen)];
  const [lw, pw] = [watching(live), watching(polled)];
  console.log(
    `live vs polling: ${CLIENTS} clients over ${TENANTS} tenants, usage changing once a second for ${SECONDS} s each way, ${process.env.DATABASE_URL ? "postgres" : "pglite"}`,
  );
  console.log(`  writer alone: ${writer.toFixed(1)} statements/s`);
  console.log(
    `  live     attaching ${liveAttach} statements; watching ${lw.toFixed(1)} statements/s; change-to-screen p50 ${l.p50.toFixed(0)} ms, p99 ${l.p99.toFixed(0)} ms (${l.n} updates seen)`,
  );
  console.log(
    `  polling  watching ${pw.toFixed(1)} statements/s; change-to-screen p50 ${p.p50.toFixed(0)} ms, p99 ${p.p99.toFixed(0)} ms (${p.n} updates seen)`,
  );
  // A saturated server answers fewer polls than the clients ask for (one per client per second),
  // so measured polling statements understate what polling costs: both are printed.
  const perPoll = pollsServed > 0 ? pw / pollsServed : Number.NaN;
  const asked = perPoll * CLIENTS;
  console.log(
    `  polling  answered ${pollsServed.toFixed(0)} of the ${CLIENTS} polls/s asked, ${perPoll.toFixed(1)} statements each: ${asked.toFixed(0)} statements/s to answer them all`,
  );
  const ratio = (x: number) => (lw > 0 ? `${(x / lw).toFixed(0)}x` : "infinitely");
  console.log(
    `  live watches with ${ratio(pw)} fewer statements per second than polling as served, ${ratio(asked)} fewer than polling as asked`,
  );
  console.log(
    `  server heap per live query: ${((liveHeap - idleHeap) / CLIENTS / 1024).toFixed(1)} KB (heap with ${CLIENTS} idle sockets ${(idleHeap / 2 ** 20).toFixed(0)} MB, with their live queries ${(liveHeap / 2 ** 20).toFixed(0)} MB)${gc ? "" : " (run with --expose-gc for steadier figures)"}`,
  );
  console.log(
    `  load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")} on ${availableParallelism()} cores`,
  );
  process.exit(0);
}
