// A subscriber that stops reading is closed with 4413 once the server holds more than
// WS_MAX_BUFFERED_BYTES for it, instead of holding every later event in memory; a subscriber of
// the same run that keeps reading gets every event in order meanwhile.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { App } from "../../server/app.ts";
import { SLOW_CONSUMER_CLOSE_CODE } from "../../server/http/graphql-ws-server.ts";
import { createOwner, createTestApp, dbId, dbKind, type Execute, executor } from "../kit.ts";
import { analysisConfig, connect, PROGRESS, seedContent, startRun, watch, wsUrl } from "../support/analysis.ts";

const LIMIT = 64 * 1024;
/** Each event carries this much text for the slow client (the `message` field), a little under the limit. */
const EVENT_BYTES = 60_000;

let app: App;
let exec: Execute;
let url: string;

beforeAll(async () => {
  // No worker: the run stays queued, and its events are the ones this test publishes.
  app = await createTestApp({
    config: analysisConfig({ RUN_WORKER: "false", WS_MAX_BUFFERED_BYTES: String(LIMIT) }),
  });
  exec = executor(app);
  url = (await app.start()).url;
});
afterAll(() => app?.stop());

/** The most the kernel can hold for one loopback connection (sender's and receiver's buffers). */
function kernelBufferBytes(): number {
  const max = (file: string) => Number(readFileSync(file, "utf8").trim().split(/\s+/)[2]);
  return max("/proc/sys/net/ipv4/tcp_wmem") + max("/proc/sys/net/ipv4/tcp_rmem");
}

/** A raw graphql-transport-ws client that subscribes, takes the first result, then stops reading. */
async function pausedSubscriber(token: string, runId: string) {
  const ws = new WebSocket(wsUrl(url), "graphql-transport-ws");
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
  let received = 0;
  const first = new Promise<void>((resolve, reject) => {
    ws.on("open", () =>
      ws.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } })),
    );
    ws.on("message", (data) => {
      const msg = JSON.parse(String(data));
      if (msg.type === "connection_ack")
        ws.send(
          JSON.stringify({
            id: "1",
            type: "subscribe",
            payload: {
              query: `subscription($runId: ID!) { analysisProgress(runId: $runId) { seq message } }`,
              variables: { runId },
            },
          }),
        );
      else if (msg.type === "next") {
        if (received++ === 0) resolve();
      } else if (msg.type === "error") reject(new Error(JSON.stringify(msg.payload)));
    });
  });
  await first;
  // Stops reading the TCP socket: what the server sends piles up in the kernel, then in the server.
  ws.pause();
  return { ws, closed, received: () => received };
}

describe(`slow subscribers (${dbKind})`, () => {
  it("a subscriber that stops reading is closed with 4413 and the others are not held up", async () => {
    const owner = await createOwner(exec);
    await seedContent(exec, owner, ["twitter"]);
    const run = await startRun(exec, owner);
    const runId = dbId(run.id);
    const userId = dbId((await exec<{ me: { id: string } }>(`{ me { id } }`, {}, owner.token)).data?.me.id ?? "");

    const slow = await pausedSubscriber(owner.token, run.id);
    const reader = connect(url, owner.token);
    const fast = watch(reader, PROGRESS, { runId: run.id });
    const initial = await fast.until(() => true);

    // As the worker publishes a run's progress, with a long note only the paused client asked for.
    // Each event waits until the reading client has it, so only the paused one falls behind.
    const steps = Math.ceil((kernelBufferBytes() + 2 * LIMIT) / EVENT_BYTES) + 1;
    const message = "x".repeat(EVENT_BYTES);
    let seq = initial.seq;
    const publish = (status: string) =>
      app.services.pubsub.publish("analysis:run", runId, {
        runId,
        userId,
        seq: ++seq,
        status,
        stage: status === "running" ? "analyzing:twitter" : status,
        percent: Math.min(99, seq),
        itemsDone: 0,
        itemsTotal: 3,
        message,
      });
    for (let i = 0; i < steps; i++) {
      publish("running");
      await fast.until((e) => e.seq === seq);
    }
    publish("complete");
    const events = await fast.done;
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: seq - initial.seq + 1 }, (_, i) => initial.seq + i));

    // Reading again, the paused client gets what the kernel held, then the close frame.
    slow.ws.resume();
    expect(await slow.closed).toBe(SLOW_CONSUMER_CLOSE_CODE);
    expect(slow.received()).toBeLessThan(steps + 2);
    await reader.dispose();
  });
});
