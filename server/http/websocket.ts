// GraphQL over WebSocket (graphql-ws, on our bounded adapter: graphql-ws-server.ts) on the HTTP server's /graphql path. Each operation goes
// through yoga's envelope, so limits, plugins and context are the same as over HTTP; the
// connection follows its viewer and closes (4401) when the viewer is gone.
import type { Server } from "node:http";
import { type DocumentNode, type ExecutionArgs, GraphQLError } from "graphql";
import type { YogaServerInstance } from "graphql-yoga";
import { WebSocketServer } from "ws";
import type { Config } from "../config.ts";
import { type ResultSender, SEND_RESULT } from "../live/shared-results.ts";
import type { ViewerWatches } from "../live-auth.ts";
import type { Logger } from "../logger.ts";
import type { Services } from "../services/index.ts";
import type { Viewer } from "../viewer.ts";
import { sendNext, serveGraphqlWs } from "./graphql-ws-server.ts";
import { isLimitError, withCode } from "./guards.ts";
import type { Metrics } from "./metrics.ts";
import { resultWithRequestId } from "./request-id.ts";
import { connectionToken } from "./request-info.ts";

export function serveWebSocket(deps: {
  server: Server;
  // biome-ignore lint/suspicious/noExplicitAny: yoga's server and user context types do not matter here
  yoga: YogaServerInstance<any, any>;
  config: Config;
  services: Services;
  viewerWatches: ViewerWatches;
  metrics: Metrics;
  logger: Logger;
}) {
  const { server, yoga, config, services, viewerWatches, metrics, logger } = deps;
  const wsServer = new WebSocketServer({ server, path: "/graphql", maxPayload: config.MAX_BODY_BYTES });
  const wsCleanup = serveGraphqlWs<
    Record<string, unknown>,
    { viewer?: Viewer; stopWatch?: () => void; operations?: Set<string> }
  >(
    {
      // Yoga's enveloped execute/subscribe travel in rootValue (see onSubscribe), as in Yoga's graphql-ws example.
      execute: (args: ExecutionArgs) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args: ExecutionArgs) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onConnect: async (ctx) => {
        const token = connectionToken(ctx.connectionParams);
        const viewer = await services.sessions.resolveViewer(token);
        ctx.extra.viewer = viewer;
        // A connection whose viewer is gone (signed out, session or key revoked or expired, membership
        // ended) closes; each operation on it re-authorizes itself (live-auth.ts).
        ctx.extra.stopWatch = viewerWatches.watch(token, viewer, (v) => {
          ctx.extra.viewer = v;
          if (v.kind === "anonymous") ctx.extra.socket.close(4401, "Authorization ended");
        });
        return true;
      },
      onClose: (ctx) => ctx.extra.stopWatch?.(),
      onNext: (ctx, _id, _payload, args, result) => {
        metrics.countSubscriptionMessage(ctx.extra.socket, args);
        const requestId = (args.contextValue as { requestId?: string }).requestId;
        return requestId && result.errors?.length ? resultWithRequestId(result, requestId) : undefined;
      },
      onComplete: (ctx, id) => {
        ctx.extra.operations?.delete(id);
      },
      onSubscribe: async (ctx, id, params) => {
        const operations = ctx.extra.operations ?? new Set<string>();
        ctx.extra.operations = operations;
        if (operations.size >= config.WS_MAX_SUBSCRIPTIONS)
          return [
            new GraphQLError(`At most ${config.WS_MAX_SUBSCRIPTIONS} operations may run at once on one connection.`, {
              extensions: { code: "QUERY_TOO_COMPLEX", limit: "subscriptions" },
            }),
          ];
        const {
          schema: s,
          execute,
          subscribe,
          contextFactory,
          parse,
          validate,
        } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        // The enveloped parse, so token limits apply over WebSocket as over HTTP.
        let document: DocumentNode;
        try {
          document = parse(params.query);
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          const code = isLimitError(message) ? "QUERY_TOO_COMPLEX" : "GRAPHQL_PARSE_FAILED";
          return [new GraphQLError(message, { extensions: { code } })];
        }
        const errors = validate(s, document);
        if (errors.length) return errors.map(withCode);
        operations.add(id);
        // A subscription's results without errors are sent from the stream itself (shared-results.ts),
        // by the root's SEND_RESULT: on the root, not the context, where one more property cost 0.8 KB
        // of heap per subscription (bench:fanout at 3,000).
        const rootValue: ResultSender & { execute: typeof execute; subscribe: typeof subscribe } = {
          execute,
          subscribe,
          [SEND_RESULT]: undefined,
        };
        const args = {
          schema: s,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue,
        };
        // Counted as graphql-ws's onNext (above) counts the others. Unnamed: see graphql-ws-server.ts.
        rootValue[SEND_RESULT] = (result) => {
          // Not after the client completed the operation (graphql-ws forgets it then).
          if (!(id in ctx.subscriptions)) return;
          metrics.countSubscriptionMessage(ctx.extra.socket, args);
          sendNext(ctx.extra, id, result);
        };
        return args;
      },
    },
    wsServer,
    { maxBufferedBytes: config.WS_MAX_BUFFERED_BYTES, logger },
  );
  return { wsServer, wsCleanup };
}

type EnvelopedRoot = {
  execute: (args: ExecutionArgs) => ReturnType<NonNullable<Parameters<typeof serveGraphqlWs>[0]["execute"]>>;
  subscribe: (args: ExecutionArgs) => ReturnType<NonNullable<Parameters<typeof serveGraphqlWs>[0]["subscribe"]>>;
};
