// Prometheus metrics: GraphQL operations through yoga's maintained plugin, live-event flow,
// job queue, database pool and the process (event-loop delay, memory) through prom-client.
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createCounter, usePrometheus as prometheusPlugin } from "@graphql-yoga/plugin-prometheus";
import { type ExecutionArgs, getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { QueueResult } from "pg-boss";
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { WebSocket } from "ws";
import type { Config } from "../config.ts";
import type { Database } from "../db/client.ts";
import type { Jobs } from "../jobs/jobs.ts";
import type { Logger } from "../logger.ts";
import type { PubSub } from "../pubsub.ts";

export interface MetricsSources {
  jobs: Jobs;
  /** Open graphql-ws connections. */
  websockets: { clients: Set<unknown> };
}

export interface Metrics {
  registry: Registry;
  /** Operations by name, duration histograms and errors by code. */
  plugin: Plugin;
  /** Counts publishes, deliveries to local subscribers and live subscribers, per topic. */
  instrumentPubSub<T extends { pubsub: PubSub }>(created: T): T;
  /** Called by graphql-ws before each result is sent to a subscriber. */
  countSubscriptionMessage(socket: WebSocket, args: ExecutionArgs): void;
  watch(sources: MetricsSources): void;
  /** Serves /metrics on the main port when configured to; false when the request is not for it. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** The separate metrics port, once listening (METRICS_PORT). */
  port(): number | null;
  start(): Promise<void>;
  stop(): Promise<void>;
}

type MetricsConfig = Pick<Config, "metrics" | "METRICS_TOKEN" | "METRICS_PORT" | "HOST" | "ANALYSIS_QUEUE">;

const sha256 = (s: string) => createHash("sha256").update(s).digest();

export function createMetrics(config: MetricsConfig, db: Database, logger: Logger): Metrics {
  // One registry per app: tests run several apps in one process.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let sources: MetricsSources | null = null;

  const published = new Counter({
    name: "userplane_events_published_total",
    help: "Live events published by this instance, by topic",
    labelNames: ["topic"],
    registers: [registry],
  });
  const delivered = new Counter({
    name: "userplane_events_delivered_total",
    help: "Live events handed to a pub/sub subscription on this instance, by topic (analysis:run: one per run and instance, shared by its subscribers)",
    labelNames: ["topic"],
    registers: [registry],
  });
  const sent = new Counter({
    name: "userplane_subscription_messages_sent_total",
    help: "Subscription results sent to graphql-ws clients",
    registers: [registry],
  });
  const dropped = new Counter({
    name: "userplane_events_dropped_total",
    help: "Subscription results not sent because the subscriber's WebSocket had already closed",
    labelNames: ["reason"],
    registers: [registry],
  });
  const subscribers = new Gauge({
    name: "userplane_pubsub_subscribers",
    help: "Live pub/sub subscriptions on this instance, by topic (analysis:run: one per run watched here)",
    labelNames: ["topic"],
    registers: [registry],
  });
  new Gauge({
    name: "userplane_websocket_connections",
    help: "Open graphql-ws connections (subscribers connected)",
    registers: [registry],
    collect() {
      this.set(sources?.websockets.clients.size ?? 0);
    },
  });
  new Gauge({
    name: "userplane_db_pool_connections",
    help: "PostgreSQL pool connections by state (waiting: queries queued for a connection)",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      const pool = db.pool;
      if (!pool) return;
      this.set({ state: "total" }, pool.totalCount);
      this.set({ state: "idle" }, pool.idleCount);
      this.set({ state: "in_use" }, pool.totalCount - pool.idleCount);
      this.set({ state: "waiting" }, pool.waitingCount);
      this.set({ state: "max" }, pool.options.max ?? 10);
    },
  });
  // Both queue gauges come from one getQueue() per scrape: prom-client collects them concurrently.
  let queueRead: Promise<QueueResult | null> | null = null;
  const readQueue = () => {
    queueRead ??= (async () => {
      // Only a started queue: a scrape must not start pg-boss in an instance that never used it.
      const queue = sources?.jobs.started();
      if (!queue) return null;
      return queue.boss.getQueue(config.ANALYSIS_QUEUE).catch((err: unknown) => {
        logger.warn({ err }, "metrics: reading the job queue failed");
        return null;
      });
    })().finally(() => {
      queueRead = null;
    });
    return queueRead;
  };
  const queue = config.ANALYSIS_QUEUE;
  new Gauge({
    name: "userplane_job_queue_jobs",
    help: "Jobs in the analysis queue by state, as of the queue's last supervise pass",
    labelNames: ["queue", "state"],
    registers: [registry],
    async collect() {
      const q = await readQueue();
      if (!q) return;
      this.set({ queue, state: "ready" }, q.readyCount);
      this.set({ queue, state: "deferred" }, q.deferredCount);
      this.set({ queue, state: "active" }, q.activeCount);
      this.set({ queue, state: "failed" }, q.failedCount);
    },
  });
  new Gauge({
    name: "userplane_job_queue_oldest_ready_seconds",
    help: "How long the oldest job ready to run had waited, as of the queue's last supervise pass",
    labelNames: ["queue"],
    registers: [registry],
    async collect() {
      const q = await readQueue();
      if (q) this.set({ queue }, q.readyOldestSeconds ?? 0);
    },
  });

  const plugin = prometheusPlugin({
    registry,
    endpoint: false, // served below, behind the token or on its own port
    // A URL label would make a series per query string.
    labels: { url: false },
    metrics: {
      graphql_envelop_request: true,
      graphql_envelop_request_duration: true,
      graphql_envelop_phase_execute: true,
      graphql_envelop_phase_subscribe: true,
      graphql_yoga_http_duration: true,
      // The plugin's own error counter labels by path; the stable code is what alerts need.
      graphql_envelop_error_result: createCounter({
        registry,
        counter: {
          name: "graphql_envelop_error_result",
          help: "GraphQL errors by phase and extensions.code",
          labelNames: ["operationName", "operationType", "phase", "code"],
        },
        fillLabelsFn: (params) => ({
          operationName: params.operationName ?? "",
          operationType: params.operationType ?? "",
          phase: params.errorPhase ?? "",
          code: String(
            (params.error as { extensions?: { code?: unknown } } | undefined)?.extensions?.code ??
              "INTERNAL_SERVER_ERROR",
          ),
        }),
      }),
    },
  }) as Plugin;

  function countDeliveries<T>(topic: string, source: AsyncIterable<T>): AsyncIterableIterator<T> {
    const it = source[Symbol.asyncIterator]();
    subscribers.inc({ topic });
    let open = true;
    const state = {
      end() {
        if (open) subscribers.dec({ topic });
        open = false;
      },
    };
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next() {
        try {
          const r = await it.next();
          if (r.done) state.end();
          else delivered.inc({ topic });
          return r;
        } catch (err) {
          state.end();
          throw err;
        }
      },
      async return(value?: unknown) {
        state.end();
        return (await it.return?.(value)) ?? { done: true, value: undefined };
      },
      async throw(err?: unknown) {
        state.end();
        if (it.throw) return it.throw(err);
        throw err;
      },
    };
  }

  const authorized = (req: IncomingMessage): boolean => {
    if (!config.METRICS_TOKEN) return true;
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
    // Hashing first gives equal lengths, which timingSafeEqual needs.
    return !!m?.[1] && timingSafeEqual(sha256(m[1]), sha256(config.METRICS_TOKEN));
  };

  const serve = (req: IncomingMessage, res: ServerResponse) => {
    if (!authorized(req)) {
      logger.warn(
        { event: "security", kind: "metrics_unauthorized", ip: req.socket.remoteAddress ?? null },
        "metrics request without a valid token",
      );
      res.writeHead(401, { "content-type": "application/json", "www-authenticate": "Bearer" });
      res.end(JSON.stringify({ error: "unauthorized" }));
      return;
    }
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
        res.end(body);
      },
      (err: unknown) => {
        logger.error({ err }, "metrics: collection failed");
        res.writeHead(500, { "content-type": "text/plain" });
        res.end("metrics collection failed\n");
      },
    );
  };

  const isMetricsPath = (req: IncomingMessage) => (req.url ?? "/").split("?")[0] === "/metrics";
  let server: Server | null = null;

  return {
    registry,
    // With metrics off nobody reads them: timing every phase of every operation would be work
    // for nothing (it was ~5% of a small query's CPU).
    plugin: config.metrics ? plugin : {},
    instrumentPubSub(created) {
      // Untyped on purpose: it forwards whatever topic and arguments the typed PubSub accepts.
      const pubsub = created.pubsub as unknown as {
        publish(topic: string, ...args: unknown[]): void;
        subscribe(topic: string, ...args: unknown[]): AsyncIterable<unknown>;
      };
      const instrumented = {
        publish: (topic: string, ...args: unknown[]) => {
          published.inc({ topic });
          pubsub.publish(topic, ...args);
        },
        subscribe: (topic: string, ...args: unknown[]) => countDeliveries(topic, pubsub.subscribe(topic, ...args)),
      };
      return { ...created, pubsub: instrumented as unknown as PubSub };
    },
    countSubscriptionMessage(socket, args) {
      if (getOperationAST(args.document, args.operationName)?.operation !== "subscription") return;
      // graphql-ws's send resolves without sending once the socket is not open.
      if (socket.readyState === socket.OPEN) sent.inc();
      else dropped.inc({ reason: "socket_closed" });
    },
    watch(s) {
      sources = s;
    },
    handle(req, res) {
      if (!isMetricsPath(req)) return false;
      if (config.metrics && config.METRICS_PORT === undefined) serve(req, res);
      else {
        // Answered here, or the client's single-page fallback would serve index.html.
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "not found" }));
      }
      return true;
    },
    port: () => (server?.listening ? (server.address() as AddressInfo).port : null),
    async start() {
      if (!config.metrics || config.METRICS_PORT === undefined) return;
      const s = createServer((req, res) => {
        if (isMetricsPath(req)) return serve(req, res);
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "not found" }));
      });
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.listen(config.METRICS_PORT, config.HOST, () => resolve());
      });
      server = s;
      logger.info({ port: (s.address() as AddressInfo).port }, "metrics listening");
    },
    async stop() {
      const s = server;
      server = null;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}
