// graphql-ws over `ws`: graphql-ws's own protocol (makeServer) on a socket adapter of ours, because
// graphql-ws's adapter (graphql-ws/use/ws) waits for each message to be flushed to the kernel before
// its operation takes the next result. A client that stops reading then holds every later event of
// its operations in server memory, without bound and without anyone noticing. Here a message is
// handed to the socket at once, and a connection holding more than `maxBufferedBytes` unsent is
// closed with SLOW_CONSUMER_CLOSE_CODE: its memory is bounded, and the other subscribers never wait
// for it. graphql-ws clients reconnect after that code (it is not one of their fatal ones), and a
// subscription's first result is a fresh read, so nothing is lost for a client that catches up.
import type { IncomingMessage } from "node:http";
import type { ExecutionResult, FormattedExecutionResult } from "graphql";
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from "graphql-ws";
import type { WebSocket, WebSocketServer } from "ws";
import { oncePerObject } from "../live/once-per-object.ts";
import type { Logger } from "../logger.ts";

/** The close code of a connection that fell `WS_MAX_BUFFERED_BYTES` behind (README, "Subscriptions"). */
export const SLOW_CONSUMER_CLOSE_CODE = 4413;

export interface WsExtra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
}

// A result without errors is sent here, as its JSON made once per result object with only the
// operation's id put in front of it, and graphql-ws is handed PRE_SENT instead to send, which the
// socket adapter drops. graphql-ws makes each message itself: a copy of the result and a
// JSON.stringify per subscriber, though the subscribers of one run with the same viewer all get the
// same result object (live/shared-results.ts), so 1,000 subscribers serialized the same payload
// 1,000 times. A result with errors takes graphql-ws's own way (its errors are formatted there).
// The cache keys on the object: a result is not changed after it is sent (a new one is made).
const PRE_SENT: FormattedExecutionResult = Object.freeze({ extensions: { "userplane:preSent": true } });
/** How the message graphql-ws makes with PRE_SENT ends; a real result's payload never does. */
const PRE_SENT_END = `"payload":${JSON.stringify(PRE_SENT)}}`;
const resultJson = oncePerObject((result: ExecutionResult) => JSON.stringify(result));
const nextMessage = (id: string, result: ExecutionResult) =>
  `{"id":${JSON.stringify(id)},"type":"next","payload":${resultJson(result)}}`;
/** The connection's send, the same checks as graphql-ws's sends (slow consumer, closed socket). */
const SEND = Symbol("send");

/**
 * Sends `result` (without errors) as operation `id`'s next message on the connection of `extra`,
 * now, as graphql-ws would: for a result sent outside graphql-ws's loop (live/shared-results.ts).
 */
export function sendNext(extra: WsExtra, id: string, result: ExecutionResult) {
  (extra as unknown as { [SEND]: (data: string) => void })[SEND](nextMessage(id, result));
}

/** A connection with messages held for the rest of this turn. */
interface Held {
  flush(): void;
}
const held: Held[] = [];
const flushHeld = () => {
  // splice first: a flush that closes a slow consumer may send (its close frame) and hold again.
  for (const h of held.splice(0)) h.flush();
};

export interface WsServeOptions {
  /** Unsent bytes a connection may hold before it is closed as too slow. */
  maxBufferedBytes: number;
  /** Ping interval; a connection that has not answered the last ping by the next one is dropped. */
  keepAliveMs?: number;
  logger: Logger;
  onSlowConsumer?: () => void;
}

export function serveGraphqlWs<P extends Record<string, unknown> | undefined, E extends Record<PropertyKey, unknown>>(
  options: ServerOptions<P, WsExtra & Partial<E>>,
  wss: WebSocketServer,
  { maxBufferedBytes, keepAliveMs = 12_000, logger, onSlowConsumer }: WsServeOptions,
): { dispose(): Promise<void> } {
  // The wait for connection_init is ours (below), judged as the keep-alive is.
  const { connectionInitWaitTimeout = 3_000 } = options;
  if (options.jsonMessageReplacer) throw new Error("pre-serialized results cannot apply jsonMessageReplacer");
  const { onNext } = options;
  const server = makeServer({
    ...options,
    connectionInitWaitTimeout: Number.POSITIVE_INFINITY,
    onNext(ctx, id, payload, args, result) {
      const replaced = onNext?.(ctx, id, payload, args, result);
      if (replaced || result.errors) return replaced;
      sendNext(ctx.extra, id, result);
      return PRE_SENT;
    },
  });
  wss.options.handleProtocols = handleProtocols;
  wss.on("error", (err) => logger.error({ err }, "websocket server error"));

  wss.on("connection", (socket, request) => {
    let closed: ((code?: number, reason?: string) => Promise<void>) | null = null;
    // The operations end once, whichever comes first: our own close of a slow client (whose close
    // frame waits behind its backlog) or the socket's close event. Functions made per connection
    // are methods or unnamed: tsx (esbuild's keepNames) gives every named closure a property
    // table of its own when it is made, 256 bytes each, per connection.
    const operations = {
      end(code: number, reason: string) {
        const c = closed;
        closed = null;
        void c?.(code, reason);
      },
    };
    socket.once("error", (err) => {
      logger.warn({ err }, "websocket error");
      socket.close(CloseCode.InternalServerError, "Internal server error");
    });

    // The timeouts below (connection_init, keep-alive) give their verdict only after this turn's
    // poll phase (setImmediate runs after it): after a long event-loop turn, timers run before the
    // sockets are read, so a message the client sent in time would still be unread in the kernel.
    // Judged in the timer itself, a stall of the server's own (GC, a CPU-bound neighbour) closed
    // subscribers that had done nothing wrong: 4408 for connections whose connection_init waited
    // unread, 1006 for those pinged before it; their later events were lost.
    let heard = false;
    const initWait =
      connectionInitWaitTimeout > 0 && Number.isFinite(connectionInitWaitTimeout)
        ? setTimeout(() => {
            setImmediate(() => {
              // Any first message counts: graphql-ws closes a connection whose first is not connection_init.
              if (!heard && socket.readyState === socket.OPEN)
                socket.close(CloseCode.ConnectionInitialisationTimeout, "Connection initialisation timeout");
            });
          }, connectionInitWaitTimeout)
        : null;

    // Keep-alive: a connection that has not answered the last ping by the next one is dropped.
    let alive = true;
    const ping =
      keepAliveMs > 0
        ? setInterval(() => {
            setImmediate(() => {
              if (socket.readyState !== socket.OPEN) return;
              if (!alive) {
                logger.warn({ ip: request.socket.remoteAddress }, "dropping a connection that missed its ping");
                return socket.terminate();
              }
              alive = false;
              socket.ping();
            });
          }, keepAliveMs)
        : null;
    socket.on("pong", () => {
      alive = true;
    });

    // Messages sent in one turn go out in one write: the TCP socket under the WebSocket (the
    // upgrade's, request.socket) is corked at the turn's first send and uncorked once the turn's
    // promise jobs are done (process.nextTick runs after them). A subscriber of a run gets its
    // three sources' events in one turn (fan-out.ts), and a write is a system call that cost more
    // than everything else a delivery does. The slow-consumer check runs then, on what the kernel
    // did not take, not on what this turn is still holding.
    const tcp = request.socket;
    const connection: Held & { holding: boolean } = {
      holding: false,
      flush() {
        connection.holding = false;
        tcp.uncork();
        if (socket.readyState !== socket.OPEN || socket.bufferedAmount <= maxBufferedBytes) return;
        onSlowConsumer?.();
        logger.warn({ buffered: socket.bufferedAmount, ip: tcp.remoteAddress }, "closing a slow consumer");
        socket.close(SLOW_CONSUMER_CLOSE_CODE, "Subscriber too slow");
        operations.end(SLOW_CONSUMER_CLOSE_CODE, "Subscriber too slow");
      },
    };
    const transport = {
      protocol: socket.protocol,
      send(data: string) {
        if (socket.readyState !== socket.OPEN || data.endsWith(PRE_SENT_END)) return;
        if (!connection.holding) {
          connection.holding = true;
          tcp.cork();
          if (held.push(connection) === 1) process.nextTick(flushHeld);
        }
        socket.send(data);
      },
      close(code: number, reason: string) {
        socket.close(code, reason);
      },
      onMessage(cb: (data: string) => Promise<void>) {
        socket.on("message", (data) => {
          heard = true;
          cb(String(data)).catch((err: unknown) => {
            logger.error({ err }, "graphql-ws message failed");
            socket.close(CloseCode.InternalServerError, "Internal server error");
          });
        });
      },
    };
    closed = server.opened(transport, { socket, request, [SEND]: transport.send } as unknown as WsExtra & Partial<E>);

    socket.once("close", (code, reason) => {
      if (ping) clearInterval(ping);
      if (initWait) clearTimeout(initWait);
      operations.end(code, String(reason));
    });
  });

  return {
    async dispose() {
      for (const client of wss.clients) client.close(1001, "Going away");
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
