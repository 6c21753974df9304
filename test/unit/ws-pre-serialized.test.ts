// A subscription result sent over graphql-ws is serialized once per result object, however many
// operations send it, and the frames are the ones graphql-ws itself makes: the operation's id, type
// "next" and the result as payload. A result with errors still goes through graphql-ws's own
// formatting. Each subscriber here gets the very same result objects, as the subscribers of one
// run with the same viewer do (live/shared-results.ts).
import { buildSchema, type ExecutionResult, GraphQLError } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { listenGraphqlWs } from "../support/graphql-ws.ts";

const SUBSCRIBERS = 5;
let serialized = 0;
/** Counts its serializations: JSON.stringify calls toJSON each time it meets the object. */
const counted = { toJSON: () => ++serialized && 7 };
const shared: ExecutionResult[] = [
  { data: { tick: counted } },
  { data: { tick: 8 }, extensions: { note: "x" } },
  { data: null, errors: [new GraphQLError("refused", { extensions: { code: "FORBIDDEN" } })] },
];

let server: Awaited<ReturnType<typeof listenGraphqlWs>>;
let url: string;

beforeAll(async () => {
  server = await listenGraphqlWs({
    schema: buildSchema("type Query { ok: Boolean } type Subscription { tick: Int }"),
    // Every operation yields the same result objects.
    subscribe: async function* () {
      yield* shared;
    },
  });
  url = server.url;
});
afterAll(() => server?.close());

/** One connection's raw frames for operation `id`, up to its complete. */
async function frames(id: string): Promise<string[]> {
  const ws = new WebSocket(url, "graphql-transport-ws");
  const got: string[] = [];
  const done = new Promise<void>((resolve) =>
    ws.on("message", (data) => {
      const text = String(data);
      const message = JSON.parse(text) as { type: string };
      if (message.type === "connection_ack")
        ws.send(JSON.stringify({ id, type: "subscribe", payload: { query: "subscription { tick }" } }));
      else got.push(text);
      if (message.type === "complete") resolve();
    }),
  );
  ws.once("open", () => ws.send(JSON.stringify({ type: "connection_init" })));
  await done;
  ws.close();
  return got;
}

describe("graphql-ws results serialized once", () => {
  it("sends graphql-ws's frames, serializing each shared result once for all its subscribers", async () => {
    const all = await Promise.all(Array.from({ length: SUBSCRIBERS }, (_, i) => frames(`op "${i}"`)));
    for (const [i, got] of all.entries()) {
      const id = JSON.stringify(`op "${i}"`);
      expect(got).toEqual([
        `{"id":${id},"type":"next","payload":{"data":{"tick":7}}}`,
        `{"id":${id},"type":"next","payload":{"data":{"tick":8},"extensions":{"note":"x"}}}`,
        `{"id":${id},"type":"next","payload":{"data":null,"errors":[{"message":"refused","extensions":{"code":"FORBIDDEN"}}]}}`,
        `{"id":${id},"type":"complete"}`,
      ]);
    }
    expect(serialized).toBe(1);
  });
});
