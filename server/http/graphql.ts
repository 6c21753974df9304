// The GraphQL handler: yoga with the plugins every request passes, in the order they must run, the
// context each request (HTTP or WebSocket) gets, and how unexpected errors are masked.
import type { IncomingMessage } from "node:http";
import { useCSRFPrevention as csrfPreventionPlugin } from "@graphql-yoga/plugin-csrf-prevention";
import { initContextCache } from "@pothos/core";
import { GraphQLError } from "graphql";
import { createGraphQLError, createYoga } from "graphql-yoga";
import type { Config } from "../config.ts";
import type { Context } from "../context.ts";
import type { Database } from "../db/client.ts";
import type { LiveQueries } from "../live/queries.ts";
import { sharedSubscriptionResultsPlugin } from "../live/shared-results.ts";
import { liveAuthorizationPlugin, type ViewerWatches } from "../live-auth.ts";
import type { Logger } from "../logger.ts";
import { schema } from "../schema/index.ts";
import type { Services } from "../services/index.ts";
import type { RequestInfo, Viewer } from "../viewer.ts";
import { apiMeterPlugin, retryAfterPlugin } from "./api-meter-plugin.ts";
import { armorPlugin, errorCodesPlugin, inputShapePlugin, introspectionPlugin } from "./guards.ts";
import type { Metrics } from "./metrics.ts";
import { mfaEnrollmentPlugin } from "./mfa-enrollment.ts";
import { streamingMultipartPlugin } from "./multipart.ts";
import { requestIdPlugin } from "./request-id.ts";
import { bearer, connectionToken, requestInfo } from "./request-info.ts";

/** Largest `operations` or `map` field of a multipart request. */
export const MULTIPART_FIELD_BYTES = 256 * 1024;

export function createGraphQLHandler({
  config,
  db,
  logger,
  metrics,
  services,
  live,
  viewerWatches,
}: {
  config: Config;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  services: Services;
  live: LiveQueries;
  viewerWatches: ViewerWatches;
}) {
  const makeContext = (
    viewer: Viewer,
    request: RequestInfo,
    bearer: string | null,
    transport: Context["transport"],
  ): Context => ({
    // Pothos keys its per-request caches (scope results, loaded rows) on this object, not on the
    // context: a stream renews them per event (live/shared-results.ts) by replacing it, and the
    // ones keyed on a context itself lived as long as its subscription (2 KB each).
    ...initContextCache(),
    config,
    db,
    prisma: db.prisma,
    logger,
    services,
    viewer,
    request,
    bearer,
    transport,
  });

  return createYoga<{ req?: IncomingMessage; connectionParams?: Record<string, unknown> }>({
    schema,
    graphqlEndpoint: "/graphql",
    // Off: yoga enforces its limit by piping every body through a TransformStream, and the
    // @whatwg-node ponyfill's ignores backpressure, so the socket was read as fast as the client sent
    // and an upload piled up in memory while storage took it (hundreds of MB for 1 GB). The HTTP
    // handler bounds every body before yoga sees it instead (refuseLargeBody: a Content-Length is
    // required and capped, and Node's parser never reads past it).
    maxRequestBodySize: false,
    plugins: [
      requestIdPlugin(logger, { trustIncoming: config.proxyHops > 0 }),
      metrics.plugin,
      // Browsers send forms and multipart without a preflight; a request the API accepts must
      // carry JSON, a bearer token or the CSRF header, none of which a cross-site form can send.
      csrfPreventionPlugin({ requestHeaders: ["x-graphql-yoga-csrf", "authorization"] }),
      streamingMultipartPlugin({ maxFieldBytes: MULTIPART_FIELD_BYTES, maxFileBytes: config.UPLOAD_MAX_BYTES }),
      armorPlugin(config),
      introspectionPlugin(config.introspection),
      mfaEnrollmentPlugin(),
      inputShapePlugin(),
      errorCodesPlugin(),
      liveAuthorizationPlugin(viewerWatches, live.rerun),
      sharedSubscriptionResultsPlugin(),
      ...live.plugins,
      apiMeterPlugin(services.apiMeter, services.rateLimits),
      retryAfterPlugin(),
    ],
    // Same origin only, unless CORS_ORIGINS names the browsers' origins that may call the API.
    cors: config.CORS_ORIGINS.length
      ? { origin: config.CORS_ORIGINS, credentials: true, methods: ["GET", "POST"], maxAge: 600 }
      : false,
    graphiql: config.graphiql ? { subscriptionsProtocol: "WS", title: "Userplane GraphiQL" } : false,
    landingPage: false,
    // Unexpected errors are masked in every mode: their messages, stacks and paths stay in the log.
    maskedErrors: {
      isDev: false,
      maskError: (error, message) => {
        // Errors the app raised on purpose (AppError and graphql-js' own) pass; anything else
        // (Prisma, a bug) is logged whole and reaches the client as one generic message.
        if (error instanceof GraphQLError && (!error.originalError || error.originalError instanceof GraphQLError))
          return error;
        logger.error({ err: error instanceof GraphQLError ? error.originalError : error }, "unexpected error");
        return createGraphQLError(message, { extensions: { code: "INTERNAL_SERVER_ERROR" } });
      },
    },
    logging: {
      debug: (...a) => logger.debug(a.map(String).join(" ")),
      info: (...a) => logger.info(a.map(String).join(" ")),
      warn: (...a) => logger.warn(a.map(String).join(" ")),
      error: (...a) => logger.error(a.map(String).join(" ")),
    },
    context: (initial) => {
      const token = initial.connectionParams
        ? connectionToken(initial.connectionParams)
        : bearer(initial.request.headers.get("authorization"));
      const info = initial.req
        ? requestInfo(initial.req.headers, initial.req.socket.remoteAddress ?? null, config.proxyHops)
        : requestInfo(initial.request.headers, null, config.proxyHops);
      const transport = initial.connectionParams
        ? "websocket"
        : initial.request.headers.get("accept")?.includes("text/event-stream")
          ? "sse"
          : "http";
      // A kept viewer builds the context synchronously: yoga then goes on without waiting a promise.
      const viewer = services.sessions.viewerOf(token);
      return viewer instanceof Promise
        ? viewer.then((v) => makeContext(v, info, token, transport))
        : makeContext(viewer, info, token, transport);
    },
  });
}
