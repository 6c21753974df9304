// The fan-out (server/fan-out.ts) on the app's own in-process pub/sub: one pub/sub subscription per
// run whatever the number of listeners, every event to every listener in order, and no more than
// one slice of listeners called per turn of the event loop. Turns are counted with setImmediate,
// never timed.
import { describe, expect, it } from "vitest";
import { createFanOut, FAN_OUT_SLICE } from "../../server/fan-out.ts";
import { type AnalysisEvent, createAppPubSub, type PubSub } from "../../server/pubsub.ts";

const event = (runId: string, seq: number): AnalysisEvent => ({
  runId,
  userId: "u",
  seq,
  status: "running",
  stage: "scoring",
  percent: seq,
  itemsDone: seq,
  itemsTotal: 10,
  message: null,
});

/** The app's pub/sub, counting the subscriptions open on it. */
function countingPubSub() {
  const { pubsub } = createAppPubSub(undefined);
  let open = 0;
  const counted = {
    publish: pubsub.publish.bind(pubsub),
    subscribe(topic: string, id: string) {
      const it = (pubsub.subscribe as (t: string, id: string) => AsyncIterable<unknown>)(topic, id)[
        Symbol.asyncIterator
      ]();
      open++;
      let ended = false;
      const end = () => {
        if (!ended) open--;
        ended = true;
      };
      return {
        [Symbol.asyncIterator]() {
          return this;
        },
        next: () => it.next(),
        return: async () => {
          end();
          return (await it.return?.()) ?? { done: true, value: undefined };
        },
      };
    },
  } as unknown as PubSub;
  return { pubsub: counted, open: () => open };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Settles what the pub/sub's promises started, without letting a turn of the event loop pass. */
const microtasks = async () => {
  for (let i = 0; i < 50; i++) await Promise.resolve();
};

describe("fan-out", () => {
  it("holds one pub/sub subscription per run for all its listeners, and gives it back with the last", async () => {
    const { pubsub, open } = countingPubSub();
    const fan = createFanOut(pubsub, "analysis:run");
    const got: number[][] = [[], [], []];
    const stops = got.map((seen) => fan.listen("r1", { event: (e) => seen.push(e.seq), end: () => {} }));
    expect(open()).toBe(1);
    pubsub.publish("analysis:run", "r1", event("r1", 1));
    pubsub.publish("analysis:run", "r2", event("r2", 1)); // another run's: nobody here listens
    pubsub.publish("analysis:run", "r1", event("r1", 2));
    await microtasks();
    expect(got).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    stops[0]?.();
    stops[1]?.();
    expect(open()).toBe(1);
    pubsub.publish("analysis:run", "r1", event("r1", 3));
    await microtasks();
    expect(got.map((g) => g.length)).toEqual([2, 2, 3]);
    stops[2]?.();
    expect(open()).toBe(0);
  });

  it("calls one slice of listeners per turn of the event loop, in order, the same event to each", async () => {
    const { pubsub } = countingPubSub();
    const fan = createFanOut(pubsub, "analysis:run");
    const n = FAN_OUT_SLICE * 2 + 1;
    const seen: (AnalysisEvent | undefined)[][] = Array.from({ length: n }, () => []);
    for (const s of seen) fan.listen("r1", { event: (e) => s.push(e), end: () => {} });
    const published = event("r1", 1);
    pubsub.publish("analysis:run", "r1", published);
    await microtasks();
    expect(seen.filter((s) => s.length === 1).length).toBe(FAN_OUT_SLICE);
    await turn();
    await microtasks();
    expect(seen.filter((s) => s.length === 1).length).toBe(FAN_OUT_SLICE * 2);
    // The next event waits for the last slice of this one.
    pubsub.publish("analysis:run", "r1", event("r1", 2));
    await turn();
    await microtasks();
    expect(seen.every((s) => s.length >= 1 && s[0] === published)).toBe(true);
    for (let i = 0; i < 3; i++) {
      await turn();
      await microtasks();
    }
    expect(seen.every((s) => s.map((e) => e?.seq).join() === "1,2")).toBe(true);
  });

  it("gives a listener every event published since the sweep last passed it, together and in order", async () => {
    const { pubsub } = countingPubSub();
    const fan = createFanOut(pubsub, "analysis:run");
    const n = FAN_OUT_SLICE * 2;
    // Per listener, its events by the turn it got them in.
    let t = 0;
    const seen: { seq: number; turn: number }[][] = Array.from({ length: n }, () => []);
    for (const s of seen) fan.listen("r1", { event: (e) => s.push({ seq: e.seq, turn: t }), end: () => {} });
    pubsub.publish("analysis:run", "r1", event("r1", 1));
    await microtasks();
    // The first slice has event 1; two more come before the sweep reaches the second.
    pubsub.publish("analysis:run", "r1", event("r1", 2));
    pubsub.publish("analysis:run", "r1", event("r1", 3));
    await microtasks();
    for (t = 1; t < 6; t++) {
      await turn();
      await microtasks();
    }
    expect(seen.every((s) => s.map((e) => e.seq).join() === "1,2,3")).toBe(true);
    const second = seen.slice(FAN_OUT_SLICE);
    expect(second.every((s) => s.every((e) => e.turn === s[0]?.turn))).toBe(true);
    expect(seen.slice(0, FAN_OUT_SLICE).every((s) => s[0]?.turn === 0 && s[1]?.turn === s[2]?.turn)).toBe(true);
  });

  it("takes every event from the pub/sub while a slow fan-out is behind, past the pub/sub's 1,024 unread", async () => {
    const { pubsub } = countingPubSub();
    const fan = createFanOut(pubsub, "analysis:run");
    const seen: number[][] = Array.from({ length: FAN_OUT_SLICE + 1 }, () => []);
    for (const s of seen) fan.listen("r1", { event: (e) => s.push(e.seq), end: () => {} });
    // One event per microtask drain, no turn of the event loop between: the last slice of the
    // first event is still waiting for its turn when the last is published.
    for (let seq = 1; seq <= 1_100; seq++) {
      pubsub.publish("analysis:run", "r1", event("r1", seq));
      await microtasks();
    }
    // A bounded number of turns (a slice of deliveries each); an event lost never comes.
    for (let t = 0; t < 2_400 && !seen.every((s) => s.length === 1_100); t++) await turn();
    expect(seen.every((s) => s.length === 1_100 && s.every((seq, i) => seq === i + 1))).toBe(true);
  });

  it("ends every listener when the pub/sub's stream ends", async () => {
    const { pubsub } = createAppPubSub(undefined);
    let ends = 0;
    let source: AsyncIterator<unknown> | undefined;
    const wrapped = {
      publish: pubsub.publish.bind(pubsub),
      subscribe(topic: string, id: string) {
        source = (pubsub.subscribe as (t: string, id: string) => AsyncIterable<unknown>)(topic, id)[
          Symbol.asyncIterator
        ]();
        return { [Symbol.asyncIterator]: () => source };
      },
    } as unknown as PubSub;
    const fan = createFanOut(wrapped, "analysis:run");
    fan.listen("r1", { event: () => {}, end: () => ends++ });
    fan.listen("r1", { event: () => {}, end: () => ends++ });
    await source?.return?.();
    await microtasks();
    expect(ends).toBe(2);
  });
});
