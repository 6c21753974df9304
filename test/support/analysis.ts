// Helpers for the analysis tests: a real graphql-ws client, seeded content, and config that keeps
// each test file's jobs on a queue of its own (files share one PostgreSQL and run in parallel).
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type Client, createClient } from "graphql-ws";
import { expect } from "vitest";
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

/** Subscriptions to `topic` open on this app now (the metrics' gauge). */
export async function openSubscriptions(app: App, topic: string): Promise<number> {
  const gauge = app.metrics.registry.getSingleMetric("userplane_pubsub_subscribers");
  const { values } = (await gauge?.get()) ?? { values: [] };
  return values.filter((v) => v.labels.topic === topic).reduce((n, v) => n + v.value, 0);
}

/**
 * Waits until `count` subscriptions to `topic` are open: a stream that replays nothing misses what
 * is published before its subscription reaches the pub/sub, and graphql-ws acknowledges none.
 */
export async function subscriptionsOpen(app: App, topic: string, count: number): Promise<void> {
  while ((await openSubscriptions(app, topic)) < count) await new Promise((r) => setTimeout(r, 10));
}

/** A chat completions answer, as an OpenAI-compatible scorer sends it: `content` as its JSON text. */
export function chatCompletion(model: string, content: unknown, totalTokens: number) {
  return {
    id: "chatcmpl-test",
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: "assistant", content: JSON.stringify(content) }, finish_reason: "stop" }],
    usage: { prompt_tokens: totalTokens - 12, completion_tokens: 12, total_tokens: totalTokens },
  };
}

/**
 * An OpenAI-compatible scorer (a real HTTP server) whose answers a test can hold and let through
 * one at a time: a run then stands between two batches for as long as the test needs, however
 * loaded the machine is, instead of for a step delay the test hopes is long enough.
 */
export async function heldScorer() {
  let holding = false;
  let passes = 0;
  const waiting: (() => void)[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { model: string };
    const answer = () =>
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(chatCompletion(body.model, { items: [] }, 12)));
    if (!holding) return answer();
    if (passes > 0) {
      passes--;
      return answer();
    }
    waiting.push(answer);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return {
    config: { SCORER_PROVIDER: "openai", SCORER_URL: url, SCORER_MODEL: "held", SCORER_API_KEY: "sk-test" },
    /** From now on, answers wait for step() or open(). */
    hold() {
      holding = true;
    },
    /** Lets one answer through: one waiting, or else the next to come. */
    step() {
      const next = waiting.shift();
      if (next) next();
      else passes++;
    },
    /** Answers everything waiting, and from now on at once. */
    open() {
      holding = false;
      passes = 0;
      for (const answer of waiting.splice(0)) answer();
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Every event follows the one before: seq +1, percent never lower. */
export function expectOrdered(events: ProgressEvent[]) {
  for (let i = 1; i < events.length; i++) {
    const [prev, cur] = [events[i - 1] as ProgressEvent, events[i] as ProgressEvent];
    expect(cur.seq, `event ${i} after seq ${prev.seq}`).toBe(prev.seq + 1);
    expect(cur.percent).toBeGreaterThanOrEqual(prev.percent);
  }
}
