// Who is asking: viewer kinds, API-key scopes, role checks and the dates roles are read on. Every
// rule in the schema and every service reads the viewer through this module; it imports nothing
// of the app, so nothing here can form an import circle.
import type { Prisma, Role } from "./generated/prisma/client.ts";

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
  | "write:usage"
  | "analysis:read"
  | "analysis:run"
  | "read:files"
  | "write:files"
  | "read:conversations"
  | "write:conversations"
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
  "write:usage",
  "analysis:read",
  "analysis:run",
  "read:files",
  "write:files",
  "read:conversations",
  "write:conversations",
  "admin",
];

interface SignedIn {
  userId: string;
  tenantId: string;
  /** Roles in `tenantId` in effect today. */
  roles: Role[];
  /**
   * The tenant requires a second factor and the user has not enrolled one: such a viewer may only
   * enrol (http/mfa-enrollment.ts refuses everything else with MFA_ENROLLMENT_REQUIRED).
   */
  mfaEnrollmentRequired?: boolean;
}

export type Viewer =
  | { kind: "anonymous" }
  | (SignedIn & { kind: "session"; sessionId: string; expiresAt: Date })
  | (SignedIn & { kind: "apiKey"; apiKeyId: string; scopes: ApiScope[]; expiresAt: Date | null });

export type SignedInViewer = Exclude<Viewer, { kind: "anonymous" }>;

export interface RequestInfo {
  ip: string | null;
  userAgent: string | null;
  referrer: string | null;
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

/** Today at 00:00 UTC: roles start and end on whole UTC days. */
export function todayUtc(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/** A UTC day as YYYY-MM-DD, as DATE columns hold it. */
export const ymd = (d: Date): string => d.toISOString().slice(0, 10);

/** Role assignments in effect on `day`: the seed's effective_from/to rule, both ends inclusive. */
export function inEffectOn(day = todayUtc()): Prisma.RoleAssignmentWhereInput {
  return { effectiveFrom: { lte: day }, OR: [{ effectiveTo: null }, { effectiveTo: { gte: day } }] };
}

/** The same rule for one assignment already loaded. */
export function isInEffect(ra: { effectiveFrom: Date; effectiveTo: Date | null }, day = todayUtc()): boolean {
  return ra.effectiveFrom <= day && (!ra.effectiveTo || ra.effectiveTo >= day);
}
