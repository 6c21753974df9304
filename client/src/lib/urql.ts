// The one urql client module: document cache, HTTP for queries and mutations, graphql-ws for
// subscriptions. The WebSocket connects eagerly and reconnects by itself, and reports its state
// so the UI can say when live updates are down.
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import {
  Client,
  cacheExchange,
  fetchExchange,
  makeOperation,
  mapExchange,
  type Operation,
  subscriptionExchange,
} from "urql";

export type LiveStatus = "connecting" | "connected" | "down";

export interface LiveConnection {
  readonly status: LiveStatus;
  subscribe(listener: () => void): () => void;
}

export interface UrqlSetup {
  client: Client;
  live: LiveConnection;
  /** Opens the live connection; may follow dispose() (a remount). */
  start(): void;
  dispose(): void;
}

export interface UrqlOptions {
  token: string | null;
  /** The server said the session is no longer valid (UNAUTHENTICATED, or WebSocket close 4401). */
  onSessionEnded?: () => void;
  httpUrl?: string;
  wsUrl?: string;
}

const MAX_RETRY_WAIT_MS = 8_000;

/** Exponential back-off with jitter, capped so an outage of any length recovers within seconds. */
export function retryWaitMs(retries: number, random = Math.random): number {
  const base = Math.min(MAX_RETRY_WAIT_MS, 500 * 2 ** retries);
  return Math.round(base / 2 + random() * (base / 2));
}

function defaultWsUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === "https:" ? "wss:" : "ws:"}//${host}/graphql`;
}

function createLive(): LiveConnection & { set(s: LiveStatus): void } {
  let status: LiveStatus = "connecting";
  const listeners = new Set<() => void>();
  return {
    get status() {
      return status;
    },
    set(next) {
      if (next === status) return;
      status = next;
      for (const l of listeners) l();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function hasCode(error: { graphQLErrors?: readonly { extensions?: Record<string, unknown> }[] }, code: string) {
  return (error.graphQLErrors ?? []).some((e) => e.extensions?.code === code);
}

export function createUrqlClient(options: UrqlOptions): UrqlSetup {
  const { token, onSessionEnded } = options;
  const live = createLive();
  let ws: WsClient | null = null;
  let ended = false;
  const sessionEnded = () => {
    if (ended) return;
    ended = true;
    onSessionEnded?.();
  };

  // Queries on screen whose last answer was a network error, re-run when the server is reachable
  // again (the live connection coming back is the signal), so a page reached during an outage
  // fills in by itself instead of waiting for a click on "Try again".
  const failed = new Map<number, Operation>();
  let client: Client | null = null;
  const retryFailed = () => {
    const ops = [...failed.values()];
    failed.clear();
    for (const op of ops)
      client?.reexecuteOperation(makeOperation(op.kind, op, { ...op.context, requestPolicy: "network-only" }));
  };

  const exchanges = [
    cacheExchange,
    mapExchange({
      onOperation(operation) {
        if (operation.kind === "teardown") failed.delete(operation.key);
      },
      onResult(result) {
        if (result.operation.kind !== "query") return;
        if (result.error?.networkError) failed.set(result.operation.key, result.operation);
        else failed.delete(result.operation.key);
      },
      onError(error) {
        if (token && hasCode(error, "UNAUTHENTICATED")) sessionEnded();
      },
    }),
    fetchExchange,
  ];

  // The WebSocket opens on start() (or on the first subscription) and closes on dispose(), and may
  // open again after that: React's StrictMode mounts, unmounts and remounts in development, and a
  // client disposed for good there would sit with a dead connection that reports nothing.
  // Events of a connection already disposed (a remount, a token change) must not touch `live`.
  let generation = 0;
  const connect = (): WsClient => {
    if (ws) return ws;
    const gen = ++generation;
    const current = () => gen === generation;
    ws = createWsClient({
      url: options.wsUrl ?? defaultWsUrl(),
      lazy: false,
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: () => true,
      retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, retryWaitMs(retries))),
      keepAlive: 15_000,
      connectionParams: () => ({ authorization: `Bearer ${token}` }),
      on: {
        connecting: () => {
          if (current() && live.status !== "down") live.set("connecting");
        },
        connected: () => {
          if (!current()) return;
          live.set("connected");
          retryFailed();
        },
        closed: (event) => {
          if (!current() || ended) return;
          live.set("down");
          // 4401: the server ended the session (sign-out elsewhere, revoked, expired).
          if ((event as { code?: number } | undefined)?.code === 4401) sessionEnded();
        },
        error: () => {
          if (current()) live.set("down");
        },
      },
      onNonLazyError: () => {
        if (current()) live.set("down");
      },
    });
    return ws;
  };

  if (token) {
    exchanges.push(
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return {
            subscribe(sink) {
              const unsubscribe = connect().subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    );
  } else {
    live.set("connected");
  }
  // Signed out there is no live connection to signal the way back: the browser's own does.
  const onOnline = () => retryFailed();

  client = new Client({
    url: options.httpUrl ?? "/graphql",
    exchanges,
    preferGetMethod: false,
    requestPolicy: "cache-and-network",
    fetchOptions: () => (token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });

  return {
    client,
    live,
    start() {
      window.addEventListener("online", onOnline);
      if (token) connect();
    },
    dispose() {
      window.removeEventListener("online", onOnline);
      generation++;
      const closing = ws;
      ws = null;
      void closing?.dispose();
    },
  };
}
