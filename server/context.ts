import type { Config } from "./config.ts";
import type { Database } from "./db/client.ts";
import type { Logger } from "./logger.ts";
import type { Services } from "./services/index.ts";
import type { RequestInfo, SignedInViewer, Viewer } from "./viewer.ts";

/** What every resolver gets: the app's parts and who is asking. */
export interface Context {
  config: Config;
  db: Database;
  prisma: Database["prisma"];
  logger: Logger;
  services: Services;
  viewer: Viewer;
  /** The token the viewer was resolved from, to resolve it again when rights change (live-auth.ts). */
  bearer: string | null;
  request: RequestInfo;
  /** How the operation came: only a stream (WebSocket or server-sent events) may be live. */
  transport: "http" | "sse" | "websocket";
}

/** The context of a field whose rule admits only signed-in viewers (`t.withAuth(...)`). */
export type SignedInContext = Context & { viewer: SignedInViewer };
/** The context of a field for interactive sessions only. */
export type SessionContext = Context & { viewer: Extract<SignedInViewer, { kind: "session" }> };
