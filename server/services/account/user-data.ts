// The user data map: every table that holds a user's rows, how to select them, and which columns
// are secrets that never leave the database. "Export my data" reads through it; the purge of a
// deleted account is meant to walk the same list, so a table is either here or in
// USER_DATA_EXCLUDED with its reason (test/unit/user-data-map.test.ts checks every Prisma model
// with a userId column against both, from the generated DMMF).
import type { Prisma } from "../../generated/prisma/client.ts";

/** Prisma's model names (PascalCase), as the DMMF lists them. */
export type ModelName = Prisma.ModelName;

export interface UserTable {
  model: ModelName;
  /** The key of the rows in the export document. */
  section: string;
  /** The user's rows. */
  where: (userId: string) => Record<string, unknown>;
  /** A unique key to page by (keyset pagination, ascending). */
  key: readonly string[];
  /** Columns never exported: secrets and their hashes, internal keys, derived data. */
  omit?: readonly string[];
  /** One row per user: written as an object (or null) rather than a list. */
  single?: boolean;
  /**
   * What erasing the account does to these rows: `delete` them, or `detach` (keep the row, a
   * record of the tenant's, without the person: audit entries lose the user's id, usage totals move
   * to the nil user; services/account/purge.ts).
   */
  onPurge: "delete" | "detach";
}

const own = (userId: string) => ({ userId });

/** In document order: the account first, then what the user made, then what was recorded about them. */
export const USER_DATA: readonly UserTable[] = [
  {
    model: "User",
    section: "account",
    where: (userId) => ({ id: userId }),
    key: ["id"],
    omit: ["passwordHash", "totpSecret", "totpLastStep"],
    single: true,
    onPurge: "delete",
  },
  // Privacy preferences (consentGiven, dataRetentionDays, marketingEmails) are columns of the profile.
  { model: "Profile", section: "profile", where: own, key: ["userId"], single: true, onPurge: "delete" },
  { model: "RoleAssignment", section: "roles", where: own, key: ["id"], onPurge: "delete" },
  { model: "Session", section: "sessions", where: own, key: ["id"], omit: ["tokenHash"], onPurge: "delete" },
  { model: "ApiKey", section: "apiKeys", where: own, key: ["id"], omit: ["keyHash"], onPurge: "delete" },
  {
    model: "AccountToken",
    section: "accountTokens",
    where: own,
    key: ["id"],
    omit: ["tokenHash"],
    onPurge: "delete",
  },
  {
    model: "RecoveryCode",
    section: "recoveryCodes",
    where: own,
    key: ["id"],
    omit: ["codeHash"],
    onPurge: "delete",
  },
  { model: "UserAgent", section: "userAgents", where: own, key: ["id"], onPurge: "delete" },
  { model: "Favorite", section: "favorites", where: own, key: ["id"], onPurge: "delete" },
  { model: "Rating", section: "ratings", where: own, key: ["id"], onPurge: "delete" },
  {
    model: "RatingHelpfulVote",
    section: "helpfulVotes",
    where: own,
    key: ["ratingId", "userId"],
    onPurge: "delete",
  },
  // The embedding is derived from the content (and large): the content is what the user wrote.
  { model: "Memory", section: "memories", where: own, key: ["id"], omit: ["embedding"], onPurge: "delete" },
  { model: "ContentItem", section: "contentItems", where: own, key: ["id"], onPurge: "delete" },
  { model: "AnalysisRun", section: "analysisRuns", where: own, key: ["id"], onPurge: "delete" },
  { model: "AnalysisResult", section: "analysisResults", where: own, key: ["id"], onPurge: "delete" },
  { model: "Workspace", section: "workspaces", where: own, key: ["id"], onPurge: "delete" },
  // Metadata only: the bytes are downloadable one by one (File.downloadUrl); the key is internal.
  { model: "File", section: "files", where: own, key: ["id"], omit: ["storageKey"], onPurge: "delete" },
  { model: "Conversation", section: "conversations", where: own, key: ["id"], onPurge: "delete" },
  { model: "Message", section: "messages", where: own, key: ["id"], omit: ["requestHash"], onPurge: "delete" },
  { model: "Notification", section: "notifications", where: own, key: ["id"], onPurge: "delete" },
  { model: "UsageLog", section: "usageLogs", where: own, key: ["id"], onPurge: "delete" },
  // Totals per month and day (kept by a trigger on usage_logs); the purge folds them under the nil
  // user, so the tenant's totals stay whole.
  {
    model: "UsageMonthly",
    section: "usageMonthly",
    where: own,
    key: ["tenantId", "userId", "model", "month", "agentKey"],
    onPurge: "detach",
  },
  {
    model: "UsageDaily",
    section: "usageDaily",
    where: own,
    key: ["tenantId", "userId", "model", "day", "agentKey"],
    onPurge: "detach",
  },
  { model: "ApiCallCount", section: "apiCallCounts", where: own, key: ["apiKeyId", "day"], onPurge: "delete" },
  { model: "RateLimitViolation", section: "rateLimitViolations", where: own, key: ["id"], onPurge: "delete" },
  // Entries the user caused, and entries about the user (an admin changed their role, ...).
  {
    model: "AuditLog",
    section: "auditEntries",
    where: (userId) => ({ OR: [{ userId }, { subjectUserId: userId }, { resource: "User", resourceId: userId }] }),
    key: ["id"],
    onPurge: "detach",
  },
  // Who read the user's data (the privacy transparency log), as myDataAccessLog shows it.
  {
    model: "DataAccessLog",
    section: "dataAccessLog",
    where: (userId) => ({ subjectUserId: userId }),
    key: ["id"],
    onPurge: "delete",
  },
  { model: "DataExport", section: "dataExports", where: own, key: ["id"], omit: ["storageKey"], onPurge: "delete" },
];

/** Models with a userId column that are not the user's data, and why. */
export const USER_DATA_EXCLUDED: Readonly<Partial<Record<ModelName, string>>> = {
  MemoryVersion: "an internal counter the memory index reads to notice writes; holds nothing about the user",
  RateLimitConfig:
    "a limit a tenant admin set on the user: the tenant's configuration, removed with the user by the foreign key",
};

/** The section's rows are the user's alone (written as a JSON value, never with a secret column). */
export function sectionSelect(table: UserTable): { omit?: Record<string, true> } {
  return table.omit?.length ? { omit: Object.fromEntries(table.omit.map((c) => [c, true])) } : {};
}
