// Live queries in tests: real graphql-ws clients that keep every result of a live query, and a
// count of each viewer's executions on the server, so a test can show that a change did not run
// someone's query at all.
import type { Context } from "../../server/context.ts";
import { isSignedIn } from "../../server/viewer.ts";
import { type Execute, ok, type TestUser } from "../kit.ts";
import type { WsClient } from "./analysis.ts";

/** Executions of live queries per user id (the first execution included). */
export function executionCounter() {
  const counts = new Map<string, number>();
  return {
    onLiveExecute: (ctx: Context) => {
      if (isSignedIn(ctx.viewer)) counts.set(ctx.viewer.userId, (counts.get(ctx.viewer.userId) ?? 0) + 1);
    },
    of: (user: TestUser) => counts.get(user.userId) ?? 0,
  };
}

type Data = any;

export interface Live {
  results: Data[];
  /** The first result (already received or later) for which `pred` holds. */
  until(pred: (data: Data) => boolean): Promise<Data>;
  /** How the stream ended: the code of its last error, or of the socket's close. */
  ended: Promise<string>;
  stop(): void;
}

/** Runs a live query and keeps every result; a result with errors is the stream's last. */
export function live(ws: WsClient, query: string, variables: Record<string, unknown> = {}): Live {
  const results: Data[] = [];
  const waiters: { pred: (d: Data) => boolean; resolve: (d: Data) => void; reject: (e: Error) => void }[] = [];
  let end: (code: string) => void = () => {};
  const ended = new Promise<string>((r) => {
    end = r;
  });
  let finished = false;
  const finish = (code: string) => {
    finished = true;
    for (const w of waiters.splice(0)) w.reject(new Error(`live query ended (${code}) before the awaited result`));
    end(code);
  };
  const stop = ws.client.subscribe<Data>(
    { query, variables },
    {
      next: (r) => {
        if (r.errors?.length) return finish(String(r.errors[0]?.extensions?.code));
        results.push(r.data);
        for (const w of [...waiters])
          if (w.pred(r.data)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(r.data);
          }
      },
      error: (e) =>
        finish(Array.isArray(e) ? String(e[0]?.extensions?.code) : `close ${(e as { code?: number }).code}`),
      complete: () => finish("complete"),
    },
  );
  return {
    results,
    ended,
    stop,
    until(pred) {
      const hit = results.find(pred);
      if (hit) return Promise.resolve(hit);
      if (finished) return Promise.reject(new Error("live query already ended"));
      return new Promise((resolve, reject) => waiters.push({ pred, resolve, reject }));
    },
  };
}

export const nodes = <T = Data>(connection: { edges: { node: T }[] }): T[] => connection.edges.map((e) => e.node);

export const addMemory = (exec: Execute, token: string, key: string) =>
  ok(
    exec,
    `mutation($input: MemoryInput!) { createMemory(input: $input) { id } }`,
    { input: { memoryType: "fact", memoryKey: key, content: `about ${key}` } },
    token,
  );
