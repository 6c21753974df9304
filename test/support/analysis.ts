// Helpers for the analysis tests: a real graphql-ws client, seeded content, and config that keeps
// each test file's jobs on a queue of its own (files share one PostgreSQL and run in parallel).
import { randomUUID } from "node:crypto";
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import type { App } from "../../server/app.ts";
import { dbId, type Execute, ok, type TestUser } from "../kit.ts";

/** Settings for analysis tests: jobs seen at once, crashes found within seconds, a queue of this file's own. */
export function analysisConfig(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ANALYSIS_QUEUE: `analysis-test-${randomUUID().slice(0, 8)}`,
    ANALYSIS_BATCH_SIZE: "1",
    ANALYSIS_CANCEL_POLL_MS: "100",
    JOB_POLL_SECONDS: "0.5",
    JOB_SUPERVISE_SECONDS: "1",
    JOB_HEARTBEAT_SECONDS: "10",
    ...overrides,
  };
}

export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, "ws");
}

export interface WsClient {
  client: Client;
  /** Resolves with the close code once the server closes the socket. */
  closed: Promise<number>;
  dispose(): Promise<void>;
}

export function connect(url: string, token: string | null): WsClient {
  let onClosed: (code: number) => void = () => {};
  const closed = new Promise<number>((r) => {
    onClosed = r;
  });
  const client = createClient({
    url: wsUrl(url),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
    on: { closed: (e) => onClosed((e as { code: number }).code) },
  });
  return { client, closed, dispose: () => client.dispose() as Promise<void> };
}

export interface ProgressEvent {
  runId: string;
  seq: number;
  status: string;
  stage: string;
  percent: number;
  itemsDone: number;
  itemsTotal: number;
  done: boolean;
}

export const PROGRESS = /* GraphQL */ `
  subscription Progress($runId: ID!) {
    analysisProgress(runId: $runId) { runId seq status stage percent itemsDone itemsTotal done }
  }
`;

export interface Watch<T> {
  events: T[];
  /** Resolves when the server completes the subscription; rejects with its error. */
  done: Promise<T[]>;
  /** Resolves with the first event matching `pred` (already received or later). */
  until(pred: (e: T) => boolean): Promise<T>;
  stop(): void;
}

/** Subscribes and records every event, in the order received. */
export function watch<T = ProgressEvent>(c: WsClient, query: string, variables: Record<string, unknown>): Watch<T> {
  const events: T[] = [];
  const waiters: { pred: (e: T) => boolean; resolve: (e: T) => void; reject: (e: unknown) => void }[] = [];
  let finished: unknown = null;
  let stopFn = () => {};
  const done = new Promise<T[]>((resolve, reject) => {
    const unsubscribe = c.client.subscribe<Record<string, T>>(
      { query, variables },
      {
        next: (r) => {
          if (r.errors?.length) return fail(new Error(JSON.stringify(r.errors)));
          const e = Object.values(r.data ?? {})[0] as T;
          events.push(e);
          for (const w of [...waiters]) {
            if (w.pred(e)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(e);
            }
          }
        },
        error: (err) => fail(err),
        complete: () => {
          finished = true;
          for (const w of waiters.splice(0)) w.reject(new Error("subscription completed before the awaited event"));
          resolve(events);
        },
      },
    );
    stopFn = unsubscribe;
    function fail(err: unknown) {
      finished = err;
      for (const w of waiters.splice(0)) w.reject(err);
      // A socket closed under the subscription: its close code is what tests assert on.
      const close = err as { code?: unknown; reason?: unknown };
      const message =
        typeof close?.code === "number" ? `closed with ${close.code}: ${close.reason}` : JSON.stringify(err);
      reject(err instanceof Error ? err : new Error(message));
    }
  });
  done.catch(() => {});
  return {
    events,
    done,
    until(pred) {
      const hit = events.find(pred);
      if (hit) return Promise.resolve(hit);
      if (finished) return Promise.reject(new Error("subscription already finished"));
      return new Promise((resolve, reject) => waiters.push({ pred, resolve, reject }));
    },
    stop: () => stopFn(),
  };
}

export const POSTS = {
  twitter: ["I overstayed my visa last year lol", "Lovely sunset at the beach", "We got so wasted last night"],
  linkedin: [
    "Proud to join Acme as a data engineer",
    "Hiring: backend developers, DM me",
    "Conference talk on GraphQL",
  ],
  instagram: ["Brunch with friends", "New rifle day at the range", "Never tried coke, never will"],
};

/** Imports POSTS for `user` (optionally fewer sources). */
export async function seedContent(
  exec: Execute,
  user: TestUser,
  sources: readonly (keyof typeof POSTS)[] = ["twitter", "linkedin", "instagram"],
): Promise<void> {
  for (const source of sources) {
    await ok(
      exec,
      `mutation($source: ContentSource!, $items: [ContentItemInput!]!) { importContent(source: $source, items: $items) { imported } }`,
      { source, items: POSTS[source].map((text) => ({ text })) },
      user.token,
    );
  }
}

export async function startRun(
  exec: Execute,
  user: TestUser,
  variables: Record<string, unknown> = {},
): Promise<{ id: string; status: string; seq: number }> {
  const d = await ok(
    exec,
    `mutation($userAgentId: ID, $sources: [ContentSource!]) {
      startAnalysis(userAgentId: $userAgentId, sources: $sources) { id status seq }
    }`,
    variables,
    user.token,
  );
  return d.startAnalysis;
}

export const RUN = /* GraphQL */ `
  query Run($id: ID!) {
    analysisRun(id: $id) {
      id status stage percent seq attempts tokensUsed errorCode errorMessage overallGrade overallScore
      results { source grade riskScore itemCount summary flaggedItems { contentItemId excerpt score reasons { rule term why } } }
    }
  }
`;

/** Waits for a run to be finished by reading the database through the app (no subscription). */
export async function waitFinished(app: App, runGlobalId: string) {
  const id = dbId(runGlobalId);
  for (;;) {
    const r = await app.db.prisma.analysisRun.findUniqueOrThrow({ where: { id } });
    if (["complete", "failed", "cancelled"].includes(r.status)) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
}
