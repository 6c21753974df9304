// Test kit for the client's screens: a real urql client over a stubbed fetch (answers by operation
// name, records every request), and a fake graphql-ws client that tests drive by hand.
import { readFileSync } from "node:fs";
import { cleanup, render } from "@testing-library/react";
import { buildSchema, execute, type GraphQLSchema, parse } from "graphql";
import type { ReactElement } from "react";
import { Provider } from "urql";
import { afterEach, vi } from "vitest";
import { ConfirmProvider } from "../../client/src/components/ConfirmDialog.tsx";
import { PreferencesProvider } from "../../client/src/lib/preferences.tsx";
import { createUrqlClient } from "../../client/src/lib/urql.ts";
import { type FakeSubscription, wsFake } from "./ws-fake.ts";

export interface GqlRequest {
  operationName: string;
  query: string;
  variables: Record<string, unknown>;
  headers: Headers;
}

type Answer =
  | { data?: unknown; errors?: unknown[] }
  | ((variables: Record<string, unknown>) => { data?: unknown; errors?: unknown[] });

let schema: GraphQLSchema | undefined;

/**
 * The handler's data run through the operation against the client's schema, as the server would
 * answer it: a mock with a field the schema no longer has, a wrong enum value or a missing
 * non-null field fails the test, and every object gets its `__typename` for the normalized cache.
 */
export function asServer(
  query: string,
  variables: Record<string, unknown>,
  result: { data?: unknown; errors?: unknown[] },
) {
  if (!result.data) return result;
  schema ??= buildSchema(readFileSync(`${process.cwd()}/client/schema.graphql`, "utf8"));
  const executed = execute({ schema, document: parse(query), rootValue: result.data, variableValues: variables });
  if (executed instanceof Promise) throw new Error("mockApi: the schema answered asynchronously");
  if (executed.errors?.length && !result.errors?.length)
    throw new Error(
      `mockApi: the mock does not fit the schema: ${executed.errors.map((e) => `${e.message} at ${e.path?.join(".")}`).join("; ")}`,
    );
  return { ...result, data: executed.data };
}

/**
 * Stubs the server: each operation name answers with its handler's result, over HTTP (fetch) or,
 * for live queries, over the fake WebSocket (ws-fake.ts), where `push(name)` sends the handler's
 * current answer again as the server does after a change. Unknown operations fail the test loudly.
 */
export function mockApi(handlers: Record<string, Answer>) {
  const requests: GqlRequest[] = [];
  // Operations whose next HTTP answer waits for the test: the answer is computed when the request
  // arrives (what the server read then), and delivered on release.
  const holds = new Map<string, Promise<void>>();
  const answer = (query: string, variables: Record<string, unknown>, name: string | undefined, headers: Headers) => {
    const operationName = name ?? /(?:query|mutation)\s+(\w+)/.exec(query)?.[1] ?? "";
    requests.push({ operationName, query, variables, headers });
    const handler = handlers[operationName];
    if (!handler) throw new Error(`mockApi: no handler for operation ${operationName}`);
    const raw = typeof handler === "function" ? handler(variables) : handler;
    try {
      return asServer(query, variables, raw);
    } catch (e) {
      console.error(e);
      throw e;
    }
  };
  const fetchMock = vi.fn(async (_url: RequestInfo | URL, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body ?? "{}"));
    const result = answer(body.query, body.variables ?? {}, body.operationName, new Headers(init?.headers));
    const name = requests.at(-1)?.operationName ?? "";
    const held = holds.get(name);
    if (held) {
      holds.delete(name);
      await held;
    }
    return new Response(JSON.stringify(result), { status: 200, headers: { "content-type": "application/json" } });
  });
  vi.stubGlobal("fetch", fetchMock);
  const sendLive = (sub: FakeSubscription) => {
    const { query, variables, operationName } = sub.payload;
    try {
      sub.sink.next(answer(query, variables ?? {}, operationName ?? undefined, new Headers()) as never);
    } catch (e) {
      sub.sink.error(e);
    }
  };
  wsFake.onLive = (sub) => queueMicrotask(() => sub.active && sendLive(sub));
  return {
    requests,
    /** Requests of one operation, oldest first. */
    calls: (name: string) => requests.filter((r) => r.operationName === name),
    set(name: string, answer: Answer) {
      handlers[name] = answer;
    },
    /** The next request of this operation answers only when the returned function is called. */
    hold(name: string): () => void {
      let release = () => {};
      holds.set(name, new Promise<void>((resolve) => (release = resolve)));
      return () => release();
    },
    /** The server saw a change: every live query of this name gets its handler's answer again. */
    push(name: string) {
      for (const sub of wsFake.active(name)) if (/@live\b/.test(sub.payload.query)) sendLive(sub);
    },
  };
}

/** A run's progress fields (AnalysisProgressFields) as the server answers them for a run just queued. */
export const queuedProgress = {
  seq: 1,
  status: "queued",
  stage: "queued",
  percent: 0,
  itemsDone: 0,
  itemsTotal: 0,
  done: false,
};

/** A dynamic answer computed from the operation's variables. */
export function reply(fn: (variables: Record<string, unknown>) => { data?: unknown; errors?: unknown[] }): Answer {
  return fn;
}

export function gqlError(code: string, message: string, extensions: Record<string, unknown> = {}) {
  return { data: null, errors: [{ message, extensions: { code, ...extensions } }] };
}

/** Renders a screen inside an urql Provider (signed in with `token`) and the preferences provider. */
export function renderScreen(ui: ReactElement, options: { token?: string | null; preferences?: unknown } = {}) {
  const setup = createUrqlClient({ token: options.token === undefined ? "test-token" : options.token });
  const utils = render(
    <Provider value={setup.client}>
      <ConfirmProvider>
        <PreferencesProvider preferences={options.preferences ?? null}>{ui}</PreferencesProvider>
      </ConfirmProvider>
    </Provider>,
  );
  return { ...utils, setup };
}

export function setLocation(path: string) {
  window.history.replaceState(null, "", path);
}

afterEach(() => {
  wsFake.onLive = null;
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
  setLocation("/");
});
