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
import { fork } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
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
      reply({ type: "report", seen: report });
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
  let pending: ((m: { type: string; seen?: Seen[] }) => void) | null = null;
  child.on("message", (m: { type: string; seen?: Seen[] }) => pending?.(m));
  const ask = (m: Message) =>
    new Promise<{ type: string; seen?: Seen[] }>((resolve) => {
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
  const a0 = statements;
  await ask({ type: "live" });
  const liveAttach = statements - a0;
  const liveHeap = heap();
  const live = await writeFor(SECONDS);
  const liveSeen = (await ask({ type: "stop" })).seen ?? [];
  await ask({ type: "poll" });
  const polled = await writeFor(SECONDS);
  const pollSeen = (await ask({ type: "stop" })).seen ?? [];
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
  console.log(
    `  live watches with ${lw > 0 ? `${(pw / lw).toFixed(0)}x` : "infinitely"} fewer statements per second than polling`,
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
