// A subscription's results without errors go straight to the transport's SEND_RESULT, not through
// the yielded chain (live-auth's guard, envelop's hooks, graphql-ws's loop); a result with errors
// is yielded, and the order of all of them is kept: nothing is sent while a yielded result waits
// for its consumer. Turns of the event loop are counted, not timed.
import { buildSchema, type ExecutionArgs, type ExecutionResult, parse } from "graphql";
import { describe, expect, it } from "vitest";
import { SEND_RESULT, SharedResults } from "../../server/live/shared-results.ts";

const schema = buildSchema("type Query { ok: Boolean } type Subscription { tick: Int }");

/** A source whose events are pushed by the test. */
function source() {
  const queued: unknown[] = [];
  let waiting: ((r: IteratorResult<unknown>) => void) | null = null;
  let ended = false;
  return {
    push(event: unknown) {
      if (waiting) {
        const w = waiting;
        waiting = null;
        w({ value: event, done: false });
      } else queued.push(event);
    },
    end() {
      ended = true;
      waiting?.({ value: undefined, done: true });
    },
    iterator: {
      next: () =>
        queued.length
          ? Promise.resolve({ value: queued.shift(), done: false })
          : ended
            ? Promise.resolve({ value: undefined, done: true as const })
            : new Promise<IteratorResult<unknown>>((resolve) => {
                waiting = resolve;
              }),
      return: async () => ({ value: undefined, done: true as const }),
    } as AsyncIterator<unknown>,
  };
}

const tick = (n: number) => ({ tick: n });
const failing = () => ({
  get tick(): number {
    throw new Error("refused");
  },
});
const label = (r: ExecutionResult) => (r.errors ? "error" : String(r.data?.tick));
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

function stream() {
  const log: string[] = [];
  const src = source();
  const args = {
    schema,
    document: parse("subscription { tick }"),
    contextValue: { viewer: { kind: "anonymous" }, transport: "ws" },
    rootValue: { [SEND_RESULT]: (r: ExecutionResult) => log.push(`sent ${label(r)}`) },
  } as unknown as ExecutionArgs;
  return { log, src, results: new SharedResults(src.iterator, args) };
}

describe("shared subscription results sent by the transport", () => {
  it("sends results without errors at once, yields one with errors, and keeps their order", async () => {
    const { log, src, results } = stream();
    // The consumer (graphql-ws's loop behind the chain) asks for a result and, once given one, sends
    // it a turn later, then asks again.
    const consumed = (async () => {
      for (;;) {
        const r = await results.next();
        if (r.done) return;
        await turns(1);
        log.push(`yielded ${label(r.value)}`);
      }
    })();
    src.push(tick(1));
    src.push(tick(2));
    await turns(1);
    expect(log).toEqual(["sent 1", "sent 2"]);
    // An error, then results while it waits for its consumer: they wait behind it.
    src.push(failing());
    src.push(tick(3));
    src.push(tick(4));
    await turns(2);
    expect(log).toEqual(["sent 1", "sent 2", "yielded error"]);
    // Once the consumer has sent them all and asks again, results are sent at once again.
    await turns(4);
    src.push(tick(5));
    src.end();
    await consumed;
    expect(log).toEqual(["sent 1", "sent 2", "yielded error", "yielded 3", "yielded 4", "sent 5"]);
  });

  it("yields every result when the transport sends none itself", async () => {
    const { src, results } = stream();
    (results as unknown as { send: undefined }).send = undefined;
    src.push(tick(1));
    src.end();
    expect(await results.next()).toEqual({ done: false, value: { data: { tick: 1 } } });
    expect(await results.next()).toEqual({ done: true, value: undefined });
  });
});
