// The graphql-ws server's timeouts (connection_init, keep-alive) against a busy server: a client that
// never answers pings or never says connection_init is closed, but one that answered in time is
// not closed because the server's own event loop was too busy to read its answer (a stall of the
// server, a CPU-bound neighbour). Time is controlled, not waited on: the loop is held synchronously
// for several intervals, so the timer is overdue when it runs, before the answer waiting in the
// kernel has been read. The intervals are long enough (a quarter second) that a test process the
// machine merely deschedules, under a loaded CI, does not miss them, and each timeout is tested on a
// server with only that timeout: a connection_init read late could otherwise close a ping test's
// connection with 4408.
import { buildSchema } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { listenGraphqlWs } from "../support/graphql-ws.ts";

const KEEP_ALIVE_MS = 250;
const INIT_WAIT_MS = 250;

const schema = buildSchema("type Query { ok: Boolean }");
let initServer: Awaited<ReturnType<typeof listenGraphqlWs>>;
let pingServer: Awaited<ReturnType<typeof listenGraphqlWs>>;

beforeAll(async () => {
  initServer = await listenGraphqlWs({ schema, connectionInitWaitTimeout: INIT_WAIT_MS }, { keepAliveMs: 0 });
  pingServer = await listenGraphqlWs({ schema, connectionInitWaitTimeout: 0 }, { keepAliveMs: KEEP_ALIVE_MS });
});
afterAll(async () => {
  await initServer?.close();
  await pingServer?.close();
});

function open(url: string, autoPong: boolean) {
  const ws = new WebSocket(url, "graphql-transport-ws", { autoPong });
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
  const pings = (n: number) =>
    new Promise<void>((resolve) => {
      let seen = 0;
      const onPing = () => {
        if (++seen < n) return;
        ws.off("ping", onPing);
        resolve();
      };
      ws.on("ping", onPing);
    });
  return { ws, closed, pings };
}

/** Holds this thread (server and client alike) for `ms`: a turn of the event loop that long. */
function busy(ms: number) {
  const until = performance.now() + ms;
  while (performance.now() < until) {}
}

describe("graphql-ws timeouts on a busy server", () => {
  it("closes a connection that never sends connection_init with 4408", async () => {
    const client = open(initServer.url, true);
    expect(await client.closed).toBe(4408);
  });

  it("acknowledges a connection_init that waited unread while the server's event loop was busy", async () => {
    const client = open(initServer.url, true);
    const answer = new Promise<string>((resolve) => {
      client.ws.on("message", (data) => resolve(JSON.parse(String(data)).type));
      void client.closed.then((code) => resolve(`closed ${code}`));
    });
    client.ws.once("open", () => {
      client.ws.send(JSON.stringify({ type: "connection_init" }));
      busy(INIT_WAIT_MS * 5);
    });
    expect(await answer).toBe("connection_ack");
    client.ws.close();
  });

  it("drops a connection that does not answer pings", async () => {
    const client = open(pingServer.url, false);
    client.ws.once("open", () => client.ws.send(JSON.stringify({ type: "connection_init" })));
    expect(await client.closed).toBe(1006);
  });

  it("keeps a connection whose pong waited unread while the server's event loop was busy", async () => {
    const client = open(pingServer.url, true);
    await new Promise((resolve) => client.ws.once("open", resolve));
    client.ws.send(JSON.stringify({ type: "connection_init" }));
    // ws answers a ping before it emits "ping": the pong is in the kernel while this turn runs long.
    client.ws.once("ping", () => busy(KEEP_ALIVE_MS * 5));
    // The stalled round, then three more: each would have dropped it.
    const outcome = await Promise.race([
      client.pings(4).then(() => "still open"),
      client.closed.then((code) => `closed ${code}`),
    ]);
    expect(outcome).toBe("still open");
    client.ws.close();
  });
});
