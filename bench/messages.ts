// Message fan-out: SUBSCRIBERS graphql-ws clients (each its own WebSocket), spread over
// CONVERSATIONS conversations (one owner each, as every tab and device of that owner), receive
// POSTS messages per conversation posted over HTTP by an API key (an agent backend's reply).
// Prints post-to-receive latency p50/p99/max over every delivery, lost and duplicated deliveries,
// and the machine's load. Each round posts one message to every conversation at once and waits
// until all subscribers have it (or ROUND_TIMEOUT_MS passes, counting the rest as lost), so the
// figures are latency under that burst, not queueing behind earlier rounds. Clients run in this
// process, so their work is on the same cores as the server's: figures are an upper bound.
// Embedded PGlite by default; DATABASE_URL and REDIS_URL measure those.
//   npm run bench:messages      SUBSCRIBERS=500 CONVERSATIONS=10 POSTS=30
import os from "node:os";
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import { benchServer, now } from "./support.ts";

const SUBSCRIBERS = Number(process.env.SUBSCRIBERS ?? 500);
const CONVERSATIONS = Number(process.env.CONVERSATIONS ?? 10);
const POSTS = Number(process.env.POSTS ?? 30);
const ROUND_TIMEOUT_MS = Number(process.env.ROUND_TIMEOUT_MS ?? 30_000);
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

const { createApiKey, createOwner, executor, ok } = await import("../test/kit.ts");
const app = await benchServer();
const { url } = await app.start();
const exec = executor(app);
console.log(
  `bench:messages  subscribers ${SUBSCRIBERS}, conversations ${CONVERSATIONS}, posts ${POSTS} each, ${process.env.DATABASE_URL ? "PostgreSQL" : "PGlite"}${process.env.REDIS_URL ? " + Redis" : ""}; load before ${load()}`,
);

interface Conv {
  id: string;
  key: string;
  token: string;
}
const convs: Conv[] = [];
for (let c = 0; c < CONVERSATIONS; c++) {
  const owner = await createOwner(exec, `Bench${c}`);
  const key = await createApiKey(exec, owner, ["READ_CONVERSATIONS", "WRITE_CONVERSATIONS"]);
  const d = await ok(exec, `mutation { startConversation(title: "bench") { id } }`, {}, owner.token);
  convs.push({ id: d.startConversation.id, key, token: owner.token });
}

/** Per subscriber: the message contents received, with their arrival times. */
const received: Map<string, number>[] = [];
const clients: Client[] = [];
const EVENTS = `subscription($id: ID!) { conversationEvents(conversationId: $id) { id content } }`;
let onDelivery = () => {};
let connected = 0;
// Connect in waves of WAVE, each once the one before is connected: as fast as the server accepts
// them, not a burst that outruns its connection-init timeout (which measures the kernel, not us).
const WAVE = Number(process.env.WAVE ?? 50);
for (let i = 0; i < SUBSCRIBERS; i++) {
  if (i > 0 && i % WAVE === 0) while (connected < i) await new Promise((r) => setTimeout(r, 5));
  const conv = convs[i % CONVERSATIONS] as Conv;
  const got = new Map<string, number>();
  received.push(got);
  const client = createClient({
    url: url.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${conv.token}` },
    retryAttempts: 0,
    on: { connected: () => void connected++ },
  });
  clients.push(client);
  client.subscribe<{ conversationEvents: { content: string } }>(
    { query: EVENTS, variables: { id: conv.id } },
    {
      next: (r) => {
        const content = r.data?.conversationEvents.content;
        if (!content) return;
        // A repeat keeps its first arrival and is counted as a duplicate.
        if (got.has(content)) got.set(`${content}#dup${got.size}`, now());
        else got.set(content, now());
        onDelivery();
      },
      error: (e) => console.error("subscriber error", e),
      complete: () => {},
    },
  );
}

const post = (conv: Conv, content: string) =>
  ok(
    exec,
    `mutation($c: ID!, $t: String!) { postMessage(conversationId: $c, role: assistant, content: $t, tokens: 10, model: "bench") { id } }`,
    { c: conv.id, t: content },
    conv.key,
  );

// Warm-up: post until every subscriber has received one (each is registered on the server).
for (let w = 0; ; w++) {
  await Promise.all(convs.map((c) => post(c, `warm ${w}`)));
  await new Promise((r) => setTimeout(r, 200));
  if (received.every((g) => [...g.keys()].some((k) => k.startsWith("warm ")))) break;
}

const latencies: number[] = [];
let lost = 0;
const t0 = now();
for (let p = 0; p < POSTS; p++) {
  const content = `round ${p}`;
  const expected = SUBSCRIBERS;
  const all = new Promise<void>((resolve) => {
    const check = () => {
      if (received.filter((g) => g.has(content)).length >= expected) resolve();
    };
    onDelivery = check;
    setTimeout(resolve, ROUND_TIMEOUT_MS).unref();
  });
  const start = now();
  await Promise.all(convs.map((c) => post(c, content)));
  await all;
  for (const g of received) {
    const at = g.get(content);
    if (at === undefined) lost++;
    else latencies.push(at - start);
  }
}
const seconds = (now() - t0) / 1000;
const duplicates = received.reduce((n, g) => n + [...g.keys()].filter((k) => k.includes("#dup")).length, 0);
latencies.sort((a, b) => a - b);
const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
console.log(
  `post-to-receive ms  p50 ${pct(0.5).toFixed(1)}  p99 ${pct(0.99).toFixed(1)}  max ${(latencies.at(-1) ?? Number.NaN).toFixed(1)}`,
);
console.log(
  `deliveries ${latencies.length}, lost ${lost}, duplicated ${duplicates}, ${(latencies.length / seconds).toFixed(0)} deliveries/s, ${((POSTS * CONVERSATIONS) / seconds).toFixed(1)} posts/s`,
);
console.log(`load after ${load()} (1, 5, 15 min; ${os.cpus().length} cores)`);
await Promise.all(clients.map((c) => c.dispose()));
await app.stop();
process.exit(0);
