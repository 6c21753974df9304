// The graphql-ws server of server/http/graphql-ws-server.ts alone, on a loopback port: for the tests
// of what it does itself (timeouts, frames), without an app around it.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { ServerOptions } from "graphql-ws";
import pino from "pino";
import { WebSocketServer } from "ws";
import { serveGraphqlWs, type WsExtra, type WsServeOptions } from "../../server/http/graphql-ws-server.ts";

export async function listenGraphqlWs(
  options: ServerOptions<Record<string, unknown> | undefined, WsExtra>,
  serve: Partial<WsServeOptions> = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  const { dispose } = serveGraphqlWs(options, wss, {
    maxBufferedBytes: 1 << 20,
    logger: pino({ level: "silent" }),
    ...serve,
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await dispose();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
