import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { type ExecutionArgs, parse as parseDocument } from "graphql";
import { useServer as serveGraphqlWs } from "graphql-ws/use/ws";
import { createYoga } from "graphql-yoga";
import { WebSocketServer } from "ws";
import type { Config } from "./config.ts";
import type { Context, RequestInfo, Viewer } from "./context.ts";
import { type Database, openDatabase } from "./db/client.ts";
import { inputErrorCodesPlugin } from "./error-codes.ts";
import { createMetrics, type Metrics } from "./http/metrics.ts";
import { requestIdPlugin, resultWithRequestId } from "./http/request-id.ts";
import { createClientHandler } from "./http/static.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createAppPubSub } from "./pubsub.ts";
import { schema } from "./schema/index.ts";
import { createServices, type Services } from "./services/index.ts";

export interface BuildOptions {
  /** In-memory PGlite instead of DATA_DIR (tests). */
  memoryDatabase?: boolean;
  onQuery?: (sql: string) => void;
  logger?: Logger;
}

export interface App {
  config: Config;
  db: Database;
  services: Services;
  logger: Logger;
  metrics: Metrics;
  /** In-process GraphQL over the real HTTP handler (tests, scripts). */
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  start(): Promise<{ port: number; url: string }>;
  stop(): Promise<void>;
}

const clientDist = fileURLToPath(new URL("../client/dist", import.meta.url));

function bearer(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const m = /^Bearer\s+(.+)$/i.exec(value.trim());
  return m?.[1] ?? null;
}

/** The bearer token a graphql-ws client sent in its connection params. */
function connectionToken(params: Record<string, unknown> | undefined): string | null {
  return bearer(params?.authorization ?? params?.Authorization);
}

function requestInfo(
  headers: Pick<Headers, "get"> | IncomingMessage["headers"],
  ip: string | null,
  trustProxy: boolean,
): RequestInfo {
  // Duck-typed: yoga's in-process fetch brings its own Headers class.
  const get = (name: string): string | null =>
    typeof headers.get === "function"
      ? (headers as Pick<Headers, "get">).get(name)
      : (((headers as IncomingMessage["headers"])[name] as string | undefined) ?? null);
  // A client can send any X-Forwarded-For; only a proxy we were told about sets it truthfully.
  const forwarded = trustProxy ? get("x-forwarded-for")?.split(",")[0]?.trim() : undefined;
  return { ip: forwarded || ip, userAgent: get("user-agent"), referrer: get("referer") };
}

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config);
  const db = await openDatabase(config, { memory: options.memoryDatabase, onQuery: options.onQuery, logger });
  const metrics = createMetrics(config, db, logger);
  const { pubsub, close: closePubSub } = metrics.instrumentPubSub(createAppPubSub(config.REDIS_URL));
  const services = createServices({ config, db, logger, pubsub });
  let ready = true;

  const makeContext = (viewer: Viewer, request: RequestInfo): Context => ({
    config,
    db,
    prisma: db.prisma,
    logger,
    services,
    viewer,
    request,
  });

  const yoga = createYoga<{ req?: IncomingMessage; connectionParams?: Record<string, unknown> }>({
    schema,
    graphqlEndpoint: "/graphql",
    plugins: [inputErrorCodesPlugin(), requestIdPlugin(logger, { trustIncoming: config.TRUST_PROXY }), metrics.plugin],
    graphiql: config.graphiql ? { subscriptionsProtocol: "WS", title: "Userplane GraphiQL" } : false,
    landingPage: false,
    maskedErrors: config.NODE_ENV === "production" ? true : { isDev: config.NODE_ENV === "development" },
    logging: {
      debug: (...a) => logger.debug(a.map(String).join(" ")),
      info: (...a) => logger.info(a.map(String).join(" ")),
      warn: (...a) => logger.warn(a.map(String).join(" ")),
      error: (...a) => logger.error(a.map(String).join(" ")),
    },
    context: async (initial) => {
      const token = initial.connectionParams
        ? connectionToken(initial.connectionParams)
        : bearer(initial.request.headers.get("authorization"));
      const info = initial.req
        ? requestInfo(initial.req.headers, initial.req.socket.remoteAddress ?? null, config.TRUST_PROXY)
        : requestInfo(initial.request.headers, null, config.TRUST_PROXY);
      return makeContext(await services.auth.resolveViewer(token), info);
    },
  });

  const serveClient = config.SERVE_CLIENT && existsSync(clientDist) ? createClientHandler(clientDist, config) : null;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "/";
    if (url === "/healthz") return json(res, 200, { status: "ok" });
    if (url === "/readyz") {
      void db.prisma.$queryRaw`SELECT 1`
        .then(() => json(res, ready ? 200 : 503, { status: ready ? "ready" : "stopping", migrations: "applied" }))
        .catch(() => json(res, 503, { status: "database unreachable" }));
      return;
    }
    if (metrics.handle(req, res)) return;
    if (url.startsWith("/graphql")) return yoga(req, res, { req });
    if (serveClient) return serveClient(req, res, () => json(res, 404, { error: "not found" }));
    return json(res, 404, { error: "not found" });
  });

  const wsServer = new WebSocketServer({ server, path: "/graphql" });
  const wsCleanup = serveGraphqlWs<Record<string, unknown>, { viewer?: Viewer; stopWatch?: () => void }>(
    {
      // Yoga's enveloped execute/subscribe travel in rootValue (see onSubscribe), as in Yoga's graphql-ws example.
      execute: (args: ExecutionArgs) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args: ExecutionArgs) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onConnect: async (ctx) => {
        const viewer = await services.auth.resolveViewer(connectionToken(ctx.connectionParams));
        ctx.extra.viewer = viewer;
        if (viewer.kind === "session") {
          // A signed-out, revoked or expired session must not keep streaming.
          const close = () => ctx.extra.socket.close(4401, "Session ended");
          const timer = setTimeout(close, Math.max(0, viewer.expiresAt.getTime() - Date.now()));
          timer.unref();
          const iterator = pubsub.subscribe("session:ended", viewer.sessionId);
          void (async () => {
            for await (const _ of iterator) return close();
          })();
          ctx.extra.stopWatch = () => {
            clearTimeout(timer);
            void iterator.return?.();
          };
        }
        return true;
      },
      onClose: (ctx) => ctx.extra.stopWatch?.(),
      onNext: (ctx, _id, _payload, args, result) => {
        metrics.countSubscriptionMessage(ctx.extra.socket, args);
        const requestId = (args.contextValue as { requestId?: string }).requestId;
        return requestId && result.errors?.length ? resultWithRequestId(result, requestId) : undefined;
      },
      onSubscribe: async (ctx, _id, params) => {
        const {
          schema: s,
          execute,
          subscribe,
          contextFactory,
          validate,
        } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        const args = {
          schema: s,
          operationName: params.operationName,
          document: parseDocument(params.query),
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
      },
    },
    wsServer,
  );
  metrics.watch({ jobs: services.jobs, websockets: wsServer });

  let started = false;
  return {
    config,
    db,
    services,
    logger,
    metrics,
    fetch: async (input, init) => yoga.fetch(input as URL, init ?? {}),
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.PORT, config.HOST, () => resolve());
      });
      started = true;
      await metrics.start();
      if (config.RUN_WORKER) await services.analysis.startWorker();
      const { port } = server.address() as AddressInfo;
      const url = `http://localhost:${port}/graphql`;
      logger.info({ port, url }, "userplane listening");
      return { port, url };
    },
    async stop() {
      ready = false;
      // Stop accepting; in-flight HTTP requests finish, idle keep-alive sockets close now.
      const closed = started ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
      server.closeIdleConnections();
      await wsCleanup.dispose();
      for (const client of wsServer.clients) client.close(1001, "Server shutting down");
      const timeout = setTimeout(() => server.closeAllConnections(), config.SHUTDOWN_TIMEOUT_MS);
      timeout.unref();
      await closed;
      clearTimeout(timeout);
      await metrics.stop();
      // Runs in flight are handed back to the queue (another worker resumes them) before the database closes.
      services.analysis.interruptRuns();
      await services.jobs.stop(config.SHUTDOWN_TIMEOUT_MS);
      await closePubSub();
      await db.close();
      logger.info("userplane stopped");
    },
  };
}

type EnvelopedRoot = {
  execute: (args: ExecutionArgs) => ReturnType<NonNullable<Parameters<typeof serveGraphqlWs>[0]["execute"]>>;
  subscribe: (args: ExecutionArgs) => ReturnType<NonNullable<Parameters<typeof serveGraphqlWs>[0]["subscribe"]>>;
};

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
