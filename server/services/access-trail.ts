// A user's trail as they read it (myDataAccessLog): reads of their data by others, from
// data_access_log, and changes to it by others, from the audit log (entries whose subject is the
// user and whose actor is not), merged newest first. Changes are not copied into a second table:
// the audit entry is the record of the change, and both sources are kept by retention.
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import { isUuid } from "../ids.ts";

export type TrailKind = "read" | "change";

export interface TrailEntry {
  id: string;
  kind: TrailKind;
  subjectUserId: string;
  actorKind: "user" | "api_key" | "system";
  actorDisplay: string;
  /**
   * The types read (Session, Memory …; sorted, one entry per actor, subject and operation per
   * request), or the resource changed (RoleAssignment …; none when the change named none).
   */
  resources: string[];
  /** For a read, the operation's root field (sessions, node …) of its first read; for a change, the audit action. */
  action: string;
  operationName: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: Date;
}

export interface TrailFilter {
  kind?: TrailKind | null;
  since?: Date | null;
  until?: Date | null;
}

interface Cursor {
  at: Date;
  id: string;
}

export const trailCursor = (e: Pick<TrailEntry, "createdAt" | "id">) =>
  Buffer.from(`${e.createdAt.toISOString()}|${e.id}`).toString("base64url");

/** The position a cursor names, or null when it is not one of ours. */
export function parseTrailCursor(cursor: string): Cursor | null {
  const [at, id] = Buffer.from(cursor, "base64url").toString().split("|");
  const date = new Date(at ?? "");
  return id && isUuid(id) && !Number.isNaN(date.getTime()) ? { at: date, id } : null;
}

type Row = Omit<TrailEntry, "createdAt"> & { createdAt: Date | string };

const reads = (where: Prisma.Sql) => Prisma.sql`
  SELECT d.id AS rid, 'read' AS kind, d.subject_user_id::text AS "subjectUserId",
         d.actor_kind::text AS "actorKind", d.actor_display AS "actorDisplay", d.resources,
         d.field AS action, d.operation_name AS "operationName", d.ip_address AS "ipAddress",
         d.user_agent AS "userAgent", d.created_at AS "createdAt"
    FROM data_access_log d WHERE ${where}`;

// A change whose actor is gone (or a job's) shows as the system.
const changes = (where: Prisma.Sql) => Prisma.sql`
  SELECT a.id AS rid, 'change' AS kind, a.subject_user_id::text AS "subjectUserId",
         CASE WHEN a.user_id IS NULL THEN 'system' ELSE 'user' END AS "actorKind",
         COALESCE(u.display_name, 'System') AS "actorDisplay",
         CASE WHEN a.resource IS NULL THEN '{}'::text[] ELSE ARRAY[a.resource] END AS resources,
         a.action, NULL::text AS "operationName", a.ip_address AS "ipAddress", a.user_agent AS "userAgent",
         a.created_at AS "createdAt"
    FROM audit_logs a LEFT JOIN users u ON u.id = a.user_id
   WHERE a.user_id IS DISTINCT FROM a.subject_user_id AND ${where}`;

// Ids stay uuid inside, so pages are ordered and cut the way the indexes and cursors compare them.
const COLUMNS = Prisma.sql`rid::text AS id, kind, "subjectUserId", "actorKind", "actorDisplay", resources, action,
  "operationName", "ipAddress", "userAgent", "createdAt"`;

const toEntry = (r: Row): TrailEntry => ({ ...r, createdAt: new Date(r.createdAt) });

/** One page of the user's trail; `inverted` reads oldest first (a `last`/`before` page). */
export async function listTrail(
  prisma: PrismaClient,
  subjectUserId: string,
  filter: TrailFilter,
  page: { after?: Cursor | null; before?: Cursor | null; limit: number; inverted: boolean },
): Promise<TrailEntry[]> {
  const where = (alias: "d" | "a") => {
    const col = (name: string) => Prisma.raw(`${alias}.${name}`);
    const parts = [Prisma.sql`${col("subject_user_id")} = ${subjectUserId}::uuid`];
    if (filter.since) parts.push(Prisma.sql`${col("created_at")} >= ${filter.since}::timestamptz`);
    if (filter.until) parts.push(Prisma.sql`${col("created_at")} < ${filter.until}::timestamptz`);
    if (page.after)
      parts.push(
        Prisma.sql`(${col("created_at")}, ${col("id")}) < (${page.after.at}::timestamptz, ${page.after.id}::uuid)`,
      );
    if (page.before)
      parts.push(
        Prisma.sql`(${col("created_at")}, ${col("id")}) > (${page.before.at}::timestamptz, ${page.before.id}::uuid)`,
      );
    return Prisma.join(parts, " AND ");
  };
  const sources = [
    ...(filter.kind !== "change" ? [reads(where("d"))] : []),
    ...(filter.kind !== "read" ? [changes(where("a"))] : []),
  ];
  const order = page.inverted ? Prisma.sql`ASC` : Prisma.sql`DESC`;
  const rows = await prisma.$queryRaw<Row[]>`
    SELECT ${COLUMNS} FROM (${Prisma.join(sources, " UNION ALL ")}) t
    ORDER BY "createdAt" ${order}, rid ${order} LIMIT ${page.limit}`;
  return rows.map(toEntry);
}

/** Entries by id, in the order asked (null where none): node(id) and nodes(ids). */
export async function loadTrailEntries(prisma: PrismaClient, ids: readonly string[]): Promise<(TrailEntry | null)[]> {
  const valid = ids.filter((id) => isUuid(id));
  if (!valid.length) return ids.map(() => null);
  const list = Prisma.join(valid.map((id) => Prisma.sql`${id}::uuid`));
  const rows = await prisma.$queryRaw<Row[]>`
    SELECT ${COLUMNS} FROM (${reads(Prisma.sql`d.id IN (${list})`)} UNION ALL
      ${changes(Prisma.sql`a.id IN (${list}) AND a.subject_user_id IS NOT NULL`)}) t`;
  const byId = new Map(rows.map((r) => [r.id, toEntry(r)]));
  return ids.map((id) => byId.get(id) ?? null);
}
