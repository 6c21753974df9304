// One id per GraphQL request (per operation on a WebSocket): every log line of the request carries
// it through a pino child logger, every error the client sees carries it in extensions.requestId,
// and the response echoes it in X-Request-Id, so a user's report leads straight to the log lines.
import { randomUUID } from "node:crypto";
import {
  type DocumentNode,
  type ExecutionResult,
  GraphQLError,
  type GraphQLFormattedError,
  getOperationAST,
} from "graphql";
import { handleStreamOrSingleExecutionResult, isAsyncIterable, mapAsyncIterator, type Plugin } from "graphql-yoga";
import type { Logger } from "../logger.ts";
import { withCode } from "./guards.ts";

export interface RequestIdContext {
  requestId: string;
  logger: Logger;
}

/** Codes that mean someone was refused: each is logged as a security event. */
const SECURITY_CODES = new Set(["UNAUTHENTICATED", "FORBIDDEN", "RATE_LIMITED"]);
/** What a proxy's X-Request-Id may look like before we adopt it. */
const INCOMING_ID = /^[A-Za-z0-9._:-]{8,128}$/;

function withId<E extends GraphQLError | GraphQLFormattedError>(e: E, requestId: string): E {
  const extensions = { ...e.extensions, requestId };
  if (e instanceof GraphQLError) {
    return new GraphQLError(e.message, {
      nodes: e.nodes,
      source: e.source,
      positions: e.positions,
      path: e.path,
      originalError: e.originalError,
      extensions,
    }) as E;
  }
  return { ...e, extensions };
}

/** The result with requestId in each error's extensions. */
export function resultWithRequestId<R extends ExecutionResult>(result: R, requestId: string): R {
  if (!result.errors?.length) return result;
  return { ...result, errors: result.errors.map((e) => withId(e, requestId)) };
}

export function errorsWithRequestId(errors: readonly GraphQLError[], requestId: string): GraphQLFormattedError[] {
  return errors.map((e) => withId(e.toJSON(), requestId));
}

type ViewerLike = { kind?: string; userId?: string; tenantId?: string; apiKeyId?: string };
type RequestLike = { ip?: string | null; userAgent?: string | null };

/** Security events (refusals) as warnings, unexpected errors with their cause; the rest is the client's. */
function logErrors(
  context: Partial<RequestIdContext> & { viewer?: ViewerLike; request?: RequestLike | Request },
  args: { document: DocumentNode; operationName?: string | null },
  result: ExecutionResult,
) {
  const log = context.logger;
  if (!log || !result.errors?.length) return;
  const operationName = getOperationAST(args.document, args.operationName)?.name?.value;
  // The app's context replaces yoga's fetch Request with its own RequestInfo.
  const request = context.request && "ip" in context.request ? (context.request as RequestLike) : undefined;
  for (const error of result.errors) {
    // The code the client is shown (errorCodesPlugin gives it to errors raised before execution,
    // such as a variable of the wrong type, whichever plugin's hook runs first): without it, every
    // client's bad input was logged as an unexpected error, among the server's real faults.
    const code = withCode(error).extensions?.code;
    const path = error.path?.join(".");
    if (typeof code === "string" && SECURITY_CODES.has(code)) {
      const v = context.viewer;
      log.warn(
        {
          event: "security",
          kind: code.toLowerCase(),
          operation: operationName ?? null,
          path,
          viewer: v ? { kind: v.kind, userId: v.userId, tenantId: v.tenantId, apiKeyId: v.apiKeyId } : undefined,
          ip: request?.ip ?? null,
          userAgent: request?.userAgent ?? null,
        },
        error.message,
      );
    } else if (code === undefined || code === "INTERNAL_SERVER_ERROR") {
      log.error({ err: error.originalError ?? error, operation: operationName ?? null, path }, "unexpected error");
    }
  }
}

export interface RequestIdOptions {
  /** Adopt X-Request-Id from the incoming request (only behind a proxy that sets it). */
  trustIncoming: boolean;
}

export function requestIdPlugin(logger: Logger, options: RequestIdOptions): Plugin<RequestIdContext> {
  return {
    onRequest({ request, serverContext }) {
      const incoming = options.trustIncoming ? request.headers.get("x-request-id") : null;
      // The server context becomes the GraphQL context, and later hooks of the request see it too.
      (serverContext as Partial<RequestIdContext>).requestId =
        incoming && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    },
    onContextBuilding({ context, extendContext }) {
      // WebSocket operations have no HTTP request: each gets an id of its own.
      const requestId = (context as Partial<RequestIdContext>).requestId ?? randomUUID();
      extendContext({ requestId, logger: logger.child({ reqId: requestId }) });
    },
    onExecute({ args }) {
      return {
        onExecuteDone: (payload) =>
          handleStreamOrSingleExecutionResult(payload, ({ result }) =>
            logErrors(args.contextValue as never, args, result),
          ),
      };
    },
    onSubscribe({ args }) {
      // A method, not a named arrow: tsx gives each named closure 256 bytes more, per subscription.
      return {
        onSubscribeResult(payload) {
          return handleStreamOrSingleExecutionResult(payload, ({ result }) =>
            logErrors(args.contextValue as never, args, result),
          );
        },
      };
    },
    onResultProcess({ serverContext, result, setResult }) {
      const requestId = (serverContext as Partial<RequestIdContext>).requestId;
      if (!requestId) return;
      if (Array.isArray(result)) setResult(result.map((r) => resultWithRequestId(r, requestId)));
      else if (isAsyncIterable(result)) setResult(mapAsyncIterator(result, (r) => resultWithRequestId(r, requestId)));
      else setResult(resultWithRequestId(result, requestId));
    },
    onResponse({ serverContext, response }) {
      const requestId = (serverContext as Partial<RequestIdContext>).requestId;
      if (requestId) response.headers.set("x-request-id", requestId);
    },
  };
}
