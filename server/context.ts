import { initContextCache } from "@pothos/core";
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

/**
 * Drops what Pothos cached for the operation on this context (scope results, loaded rows), so the
 * next execution on it authorizes and loads afresh: a stream's next event, a live query's re-run, a
 * viewer whose rights changed. The caches hang off symbols of their own (http/graphql.ts).
 */
export function forgetRequestCaches(ctx: object): void {
  Object.assign(ctx, initContextCache());
}
