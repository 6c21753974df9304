// A stand-in for graphql-ws's createClient: records the options (to fire `on` events) and the
// subscriptions (to push results), so tests drive the live connection by hand.
import type { Client, ClientOptions, ExecutionResult, Sink, SubscribePayload } from "graphql-ws";

export interface FakeSubscription {
  payload: SubscribePayload;
  sink: Sink<ExecutionResult>;
  active: boolean;
}

export const wsFake = {
  options: [] as ClientOptions[],
  subscriptions: [] as FakeSubscription[],
  /** Answers a live query (`@live`) when it starts, as the server does at once (kit.tsx's mockApi). */
  onLive: null as ((sub: FakeSubscription) => void) | null,
  reset() {
    this.options.length = 0;
    this.subscriptions.length = 0;
  },
  /** The options of the latest client created. */
  get last(): ClientOptions {
    const o = this.options.at(-1);
    if (!o) throw new Error("no graphql-ws client was created");
    return o;
  },
  active(operationName?: string) {
    return this.subscriptions.filter(
      (s) =>
        s.active &&
        (!operationName || s.payload.operationName === operationName || s.payload.query.includes(operationName)),
    );
  },
};

export function createClient(options: ClientOptions): Client {
  wsFake.options.push(options);
  return {
    subscribe(payload: SubscribePayload, sink: Sink<ExecutionResult>) {
      const sub: FakeSubscription = { payload, sink, active: true };
      wsFake.subscriptions.push(sub);
      if (/@live\b/.test(payload.query)) wsFake.onLive?.(sub);
      return () => {
        sub.active = false;
      };
    },
    iterate() {
      throw new Error("not used");
    },
    on() {
      return () => {};
    },
    async dispose() {},
    terminate() {},
  } as unknown as Client;
}
