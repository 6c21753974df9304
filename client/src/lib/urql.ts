// The one urql client module: normalized cache (lib/cache.ts), HTTP for queries and mutations,
// graphql-ws for subscriptions and live queries (`@live`). The WebSocket connects eagerly and
// reconnects by itself, reports its state so the UI can say when live updates are paused, and
// after a reconnect re-reads every query on screen once, so nothing missed while down stays missing.
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import { Client, fetchExchange, makeOperation, mapExchange, type Operation, subscriptionExchange } from "urql";
import { createCacheExchange } from "./cache.ts";

export type LiveStatus = "connecting" | "connected" | "down";

export interface LiveConnection {
  readonly status: LiveStatus;
  /** How many times the screen caught up after a reconnect: every query on it answered again. */
  readonly caughtUp: number;
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

/** A query marked `@live`: the server pushes its new result whenever what it read changes. */
export function isLiveQuery(operation: Pick<Operation, "kind" | "query">): boolean {
  return (
    operation.kind === "query" &&
    operation.query.definitions.some(
      (d) => d.kind === "OperationDefinition" && d.directives?.some((x) => x.name.value === "live"),
    )
  );
}

function createLive(): LiveConnection & { set(s: LiveStatus): void; markCaughtUp(): void } {
  let status: LiveStatus = "connecting";
  let caughtUp = 0;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of listeners) l();
  };
  return {
    get status() {
      return status;
    },
    get caughtUp() {
      return caughtUp;
    },
    set(next) {
      if (next === status) return;
      status = next;
      notify();
    },
    markCaughtUp() {
      caughtUp++;
      notify();
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

  // Queries on screen, and those whose last answer was a network error. When the server is
  // reachable again (the live connection coming back is the signal) the failed ones re-run, so a
  // page reached during an outage fills in by itself; after a reconnect every one re-runs, since
  // pushes sent while the connection was down are lost. Live queries are restarted by graphql-ws
  // itself (it subscribes again on the new socket) and answer with a whole new result.
  const active = new Map<number, Operation>();
  const failed = new Map<number, Operation>();
  const awaiting = new Set<number>();
  let client: Client | null = null;
  const rerun = (op: Operation) =>
    client?.reexecuteOperation(makeOperation(op.kind, op, { ...op.context, requestPolicy: "network-only" }));
  const retryFailed = () => {
    const ops = [...failed.values()];
    failed.clear();
    for (const op of ops) rerun(op);
  };
  const catchUp = () => {
    failed.clear();
    awaiting.clear();
    for (const op of active.values()) {
      awaiting.add(op.key);
      if (!isLiveQuery(op)) rerun(op);
    }
    if (awaiting.size === 0) live.markCaughtUp();
  };
  const answered = (key: number) => {
    if (awaiting.delete(key) && awaiting.size === 0) live.markCaughtUp();
  };

  // Reads on their way to the server, and those to run again once their answer has landed. A read
  // that began before a write was stored may answer without it, and nothing would ask again: the
  // write's cache rule finds the list already dropped for re-reading, and urql drops a re-read of
  // a query whose read is in flight (two uploads in quick succession: the second file stored, the
  // list without it). So every read in flight when a mutation answers runs once more, from the
  // network, after it lands. (The cache does the same by itself for writes pushed by subscriptions.)
  const inFlight = new Map<number, Operation>();
  const rereadAfter = new Map<number, Operation>();
  const landed = (key: number) => {
    inFlight.delete(key);
    const next = rereadAfter.get(key);
    if (!next) return;
    rereadAfter.delete(key);
    rerun(next);
  };

  const exchanges = [
    createCacheExchange(),
    mapExchange({
      onOperation(operation) {
        if (operation.kind === "query") {
          active.set(operation.key, operation);
          // A live query is answered again by the server after every change it read.
          if (!isLiveQuery(operation)) inFlight.set(operation.key, operation);
        }
        if (operation.kind === "teardown") {
          active.delete(operation.key);
          inFlight.delete(operation.key);
          rereadAfter.delete(operation.key);
          failed.delete(operation.key);
          answered(operation.key);
        }
      },
      onResult(result) {
        if (result.operation.kind === "mutation") for (const [key, op] of inFlight) rereadAfter.set(key, op);
        if (result.operation.kind !== "query") return;
        landed(result.operation.key);
        if (result.error?.networkError) failed.set(result.operation.key, result.operation);
        else {
          failed.delete(result.operation.key);
          answered(result.operation.key);
        }
      },
      onError(error) {
        if (token && hasCode(error, "UNAUTHENTICATED")) sessionEnded();
      },
    }),
  ];

  // The WebSocket opens on start() (or on the first subscription) and closes on dispose(), and may
  // open again after that: React's StrictMode mounts, unmounts and remounts in development, and a
  // client disposed for good there would sit with a dead connection that reports nothing.
  // Events of a connection already disposed (a remount, a token change) must not touch `live`.
  let generation = 0;
  const connect = (): WsClient => {
    if (ws) return ws;
    const gen = ++generation;
    // The first connection of this socket finds nothing missed; a later one is a reconnect.
    let connectedBefore = false;
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
          if (connectedBefore) catchUp();
          else retryFailed();
          connectedBefore = true;
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

  // The running live query of each operation. urql's subscriptionExchange starts a new stream for
  // every execution of an operation and ends none until the screen lets go of it; the cache
  // re-executes a live query when its data went missing (a list marked stale), so the new stream
  // replaces the old one here: one server-side live query per query on screen.
  const liveStreams = new Map<number, () => void>();
  if (token) {
    exchanges.push(
      subscriptionExchange({
        // Live queries go over the WebSocket like subscriptions; other queries go over HTTP.
        isSubscriptionOperation: (op) => op.kind === "subscription" || isLiveQuery(op),
        forwardSubscription(request, operation) {
          const input = { ...request, query: request.query || "" };
          const live = isLiveQuery(operation);
          return {
            subscribe(sink) {
              if (live) liveStreams.get(operation.key)?.();
              const unsubscribe = connect().subscribe(input, sink);
              if (live) liveStreams.set(operation.key, unsubscribe);
              return {
                unsubscribe() {
                  unsubscribe();
                  if (liveStreams.get(operation.key) === unsubscribe) liveStreams.delete(operation.key);
                },
              };
            },
          };
        },
      }),
    );
  } else {
    live.set("connected");
  }
  // Last: what the WebSocket did not take (queries without @live, mutations) goes over HTTP.
  exchanges.push(fetchExchange);
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
