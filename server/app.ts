import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Clock } from "pg-boss";
import type { Config } from "./config.ts";
import type { Context } from "./context.ts";
import { type Database, openDatabase } from "./db/client.ts";
import { createDevMailHandler } from "./http/dev-mail.ts";
import { createDownloadHandler, createExportDownloadHandler } from "./http/downloads.ts";
import { createGraphQLHandler, MULTIPART_FIELD_BYTES } from "./http/graphql.ts";
import { refuseLargeBody } from "./http/guards.ts";
import { createMetrics, type Metrics } from "./http/metrics.ts";
import { createClientHandler } from "./http/static.ts";
import { serveWebSocket } from "./http/websocket.ts";
import { startRetentionJobs } from "./jobs/retention.ts";
import { bindChanges } from "./live/changes.ts";
import { createLiveQueries } from "./live/queries.ts";
import { createViewerWatches } from "./live-auth.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createAppPubSub } from "./pubsub.ts";
import { ROOT } from "./root.ts";
import { assertMailConfigured } from "./services/account/mail.ts";
import {
  createSecretBox,
  PLAIN_SECRETS_SQL,
  sealLegacyTotpSecrets,
  sealLegacyWebhookSecrets,
} from "./services/account/secret-box.ts";
import { createServices, type Services } from "./services/index.ts";
import { startupMark } from "./startup-trace.ts";

export interface BuildOptions {
  /** In-memory PGlite instead of DATA_DIR (tests). */
  memoryDatabase?: boolean;
  /** A migrated PGlite data directory the in-memory database starts from (tests; see openDatabase). */
  pgliteTemplate?: Blob;
  onQuery?: (sql: string) => void;
  /** Every execution of a live query (tests and benches count them). */
  onLiveExecute?: (ctx: Context) => void;
  logger?: Logger;
  /** pg-boss's time and timers (tests drive schedules with pg-boss's TestClock instead of waiting). */
  jobClock?: Clock;
}

export interface App {
  config: Config;
  db: Database;
  services: Services;
  logger: Logger;
  metrics: Metrics;
  /** In-process GraphQL over the real HTTP handler (tests, scripts). */
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /** serve(), then startWorkers(): everything runs when it resolves. */
  start(): Promise<{ port: number; url: string }>;
  /**
   * Listens and answers requests (`/readyz` says "ready" from then on). The job queue is not
   * started here: what enqueues or works starts it on first use (Jobs.queue()).
   */
  serve(): Promise<{ port: number; url: string }>;
  /** With RUN_WORKER, starts pg-boss and the workers (`npm start` runs it after serve(), unawaited). */
  startWorkers(): Promise<void>;
  stop(): Promise<void>;
}

const clientDist = path.join(ROOT, "client/dist");

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<App> {
  assertMailConfigured(config);
  const logger = options.logger ?? createLogger(config);
  const db = await openDatabase(config, {
    memory: options.memoryDatabase,
    pgliteTemplate: options.pgliteTemplate,
    onQuery: options.onQuery,
    logger,
  });
  const metrics = createMetrics(config, db, logger);
  const { pubsub, close: closePubSub } = metrics.instrumentPubSub(createAppPubSub(config.REDIS_URL));
  const services = createServices({ config, db, logger, pubsub, jobClock: options.jobClock });
  bindChanges(db.prisma, pubsub);
  const live = createLiveQueries({
    pubsub,
    throttleMs: config.LIVE_THROTTLE_MS,
    logger,
    onExecute: options.onLiveExecute,
  });
  const viewerWatches = createViewerWatches(pubsub, services.sessions.resolveViewer);
  startupMark("services");
  // Ready once serve() has sealed what start-up seals: until then /readyz says "starting".
  let ready = false;
  let stopping = false;

  const yoga = createGraphQLHandler({ config, db, logger, metrics, services, live, viewerWatches });

  const download = createDownloadHandler({
    prisma: db.prisma,
    storage: services.files.storage,
    secret: config.fileUrlSecret,
    logger,
  });
  const exportDownload = createExportDownloadHandler({
    prisma: db.prisma,
    storage: services.files.storage,
    secret: config.fileUrlSecret,
    logger,
  });
  const devMail = createDevMailHandler(services.mailer, db.prisma);
  const serveClient = config.SERVE_CLIENT && existsSync(clientDist) ? createClientHandler(clientDist, config) : null;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "/";
    if (url === "/healthz") return json(res, 200, { status: "ok" });
    if (url === "/readyz") {
      void db
        .ping()
        .then(() =>
          json(res, ready ? 200 : 503, {
            status: ready ? "ready" : stopping ? "stopping" : "starting",
            migrations: "applied",
          }),
        )
        .catch(() => json(res, 503, { status: "database unreachable" }));
      return;
    }
    if (metrics.handle(req, res)) return;
    if (devMail(req, res)) return;
    if (url.startsWith("/files/") || url.startsWith("/exports/")) {
      (url.startsWith("/files/") ? download : exportDownload)(req, res).catch((err) => {
        logger.error({ err }, "download failed");
        if (!res.headersSent) json(res, 500, { error: "internal error" });
        else res.destroy();
      });
      return;
    }
    if (url.startsWith("/graphql")) {
      // Uploads have their own, larger ceiling; each tenant's lower limit is enforced while the file streams.
      const multipart = /^multipart\/form-data/i.test(req.headers["content-type"] ?? "");
      const maxBytes = multipart ? config.UPLOAD_MAX_BYTES + 2 * MULTIPART_FIELD_BYTES + 65_536 : config.MAX_BODY_BYTES;
      if (refuseLargeBody(req, res, maxBytes)) return;
      return yoga(req, res, { req });
    }
    if (serveClient) return serveClient(req, res, () => json(res, 404, { error: "not found" }));
    return json(res, 404, { error: "not found" });
  });

  const { wsServer, wsCleanup } = serveWebSocket({ server, yoga, config, services, viewerWatches, metrics, logger });
  metrics.watch({ jobs: services.jobs, websockets: wsServer });
  startupMark("http handlers");

  let started = false;
  let workers: Promise<void> | null = null;
  const app: App = {
    config,
    db,
    services,
    logger,
    metrics,
    fetch: async (input, init) => yoga.fetch(input as URL, init ?? {}),
    async serve() {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.PORT, config.HOST, () => resolve());
      });
      started = true;
      startupMark("listen");
      // Asked on the driver first: sealing goes through Prisma, whose first query loads its query
      // compiler (a second of CPU, 100 MB), and there is almost never anything to seal.
      if ((await db.query(PLAIN_SECRETS_SQL, [])).length > 0) {
        const box = createSecretBox(config.totpKey);
        const sealed = await sealLegacyTotpSecrets(db.prisma, box);
        if (sealed) logger.info({ sealed }, "sealed TOTP secrets stored in plain text");
        const sealedHooks = await sealLegacyWebhookSecrets(db.prisma, box);
        if (sealedHooks) logger.info({ sealed: sealedHooks }, "sealed webhook secrets stored in plain text");
      }
      await metrics.start();
      services.apiMeter.start();
      services.accessLog.start();
      services.memoryAccess.start();
      startupMark("seal secrets, meters");
      ready = !stopping;
      const { port } = server.address() as AddressInfo;
      const url = `http://localhost:${port}/graphql`;
      logger.info({ port, url }, "userplane listening");
      return { port, url };
    },
    startWorkers() {
      if (!config.RUN_WORKER) return Promise.resolve();
      workers ??= (async () => {
        await services.jobs.queue();
        startupMark("pg-boss start");
        await services.analysis.startWorker();
        await services.files.startCleanupWorker();
        await startRetentionJobs(services.jobs, services.retention, config);
        await services.workspaces.startWorker();
        await services.notifications.startWorker();
        await services.account.purge.startWorker();
        await services.exports.startWorker();
        startupMark("workers");
      })();
      return workers;
    },
    async start() {
      const address = await app.serve();
      await app.startWorkers();
      return address;
    },
    async stop() {
      ready = false;
      stopping = true;
      // Stop accepting; in-flight HTTP requests finish, idle keep-alive sockets close now.
      const closed = started ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
      server.closeIdleConnections();
      await wsCleanup.dispose();
      for (const client of wsServer.clients) client.close(1001, "Server shutting down");
      const timeout = setTimeout(() => server.closeAllConnections(), config.SHUTDOWN_TIMEOUT_MS);
      timeout.unref();
      await closed;
      clearTimeout(timeout);
      // Every request has finished: what the meter counted is added before the database closes.
      await services.apiMeter.stop().catch((err: unknown) => logger.error({ err }, "api_calls not flushed"));
      await services.accessLog
        .stop()
        .catch((err: unknown) =>
          logger.error({ err, entries: services.accessLog.pending() }, "access log not flushed"),
        );
      await services.memoryAccess
        .stop()
        .catch((err: unknown) =>
          logger.error({ err, memories: services.memoryAccess.pending() }, "memory access counts not written"),
        );
      await metrics.stop();
      // Workers still starting finish starting (or fail), so what they started is stopped below.
      await workers?.catch(() => undefined);
      // Runs in flight are handed back to the queue (another worker resumes them) before the database closes.
      services.analysis.interruptRuns();
      services.exports.interrupt();
      services.notifications.stop();
      await services.jobs.stop(config.SHUTDOWN_TIMEOUT_MS);
      await services.analysis.close();
      await live.close();
      await services.sessions.close();
      await services.rateLimits.close();
      await services.mailer.close();
      await closePubSub();
      services.files.storage.close();
      await db.close();
      logger.info("userplane stopped");
    },
  };
  return app;
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
