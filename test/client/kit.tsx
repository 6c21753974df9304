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

/** Stubs fetch: each operation name answers with its handler's result; unknown operations fail the test loudly. */
export function mockApi(handlers: Record<string, Answer>) {
  const requests: GqlRequest[] = [];
  const fetchMock = vi.fn(async (_url: RequestInfo | URL, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body ?? "{}"));
    const operationName = body.operationName ?? /(?:query|mutation)\s+(\w+)/.exec(body.query)?.[1] ?? "";
    requests.push({
      operationName,
      query: body.query,
      variables: body.variables ?? {},
      headers: new Headers(init?.headers),
    });
    const handler = handlers[operationName];
    if (!handler) throw new Error(`mockApi: no handler for operation ${operationName}`);
    const raw = typeof handler === "function" ? handler(body.variables ?? {}) : handler;
    let result: ReturnType<typeof asServer>;
    try {
      result = asServer(body.query, body.variables ?? {}, raw);
    } catch (e) {
      console.error(e);
      throw e;
    }
    return new Response(JSON.stringify(result), { status: 200, headers: { "content-type": "application/json" } });
  });
  vi.stubGlobal("fetch", fetchMock);
  return {
    requests,
    /** Requests of one operation, oldest first. */
    calls: (name: string) => requests.filter((r) => r.operationName === name),
    set(name: string, answer: Answer) {
      handlers[name] = answer;
    },
  };
}

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
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
  setLocation("/");
});
