import type { Config } from "./config.ts";
import type { Database } from "./db/client.ts";
import type { Role } from "./generated/prisma/client.ts";
import type { Logger } from "./logger.ts";
import type { Services } from "./services/index.ts";

export type ApiScope =
  | "read:profile"
  | "write:profile"
  | "read:agents"
  | "write:agents"
  | "read:memories"
  | "write:memories"
  | "read:ratings"
  | "write:ratings"
  | "read:usage"
  | "analysis:read"
  | "analysis:run"
  | "admin";

export const API_SCOPES: readonly ApiScope[] = [
  "read:profile",
  "write:profile",
  "read:agents",
  "write:agents",
  "read:memories",
  "write:memories",
  "read:ratings",
  "write:ratings",
  "read:usage",
  "analysis:read",
  "analysis:run",
  "admin",
];

interface SignedIn {
  userId: string;
  tenantId: string;
  /** Roles in `tenantId` in effect today. */
  roles: Role[];
}

export type Viewer =
  | { kind: "anonymous" }
  | (SignedIn & { kind: "session"; sessionId: string; expiresAt: Date })
  | (SignedIn & { kind: "apiKey"; apiKeyId: string; scopes: ApiScope[] });

export type SignedInViewer = Exclude<Viewer, { kind: "anonymous" }>;

export interface RequestInfo {
  ip: string | null;
  userAgent: string | null;
  referrer: string | null;
}

export interface Context {
  config: Config;
  db: Database;
  prisma: Database["prisma"];
  logger: Logger;
  services: Services;
  viewer: Viewer;
  request: RequestInfo;
}

export function isSignedIn(viewer: Viewer): viewer is SignedInViewer {
  return viewer.kind !== "anonymous";
}

export function isTenantAdmin(viewer: Viewer): boolean {
  if (!isSignedIn(viewer)) return false;
  if (viewer.kind === "apiKey" && !viewer.scopes.includes("admin")) return false;
  return viewer.roles.includes("admin") || viewer.roles.includes("superadmin");
}

/** Sessions carry all of their user's rights; an API key only those it was given. */
export function hasApiScope(viewer: Viewer, scope: ApiScope): boolean {
  if (viewer.kind === "session") return true;
  if (viewer.kind === "apiKey") return viewer.scopes.includes(scope);
  return false;
}
