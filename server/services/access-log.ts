// The privacy transparency log's writer. Reads of a user's data by someone else (another member,
// an admin, any API key) are noted while the request runs (schema/access-log-plugin.ts calls
// note() where each object's type rule has just granted it), deduplicated per request, and
// written in batches by a timer, never on the request path. stop() drains what is left before the
// database closes; a batch that fails goes back to the queue for the next flush.

import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logger.ts";
import type { RequestInfo, SignedInViewer } from "../viewer.ts";
import { backgroundFlush } from "./background-flush.ts";

/** One read, as noted on the request path: nothing here needs the database. */
export interface AccessRead {
  tenantId: string;
  subjectUserId: string;
  actorUserId: string;
  apiKeyId: string | null;
  resource: string;
  field: string;
  operationType: string;
  operationName: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: Date;
}

export interface AccessLogWriter {
  /**
   * Notes that `viewer` read a `resource` row of `subjectUserId` during the request `scope` (any
   * object that lives exactly as long as the request: its context). The first note of each
   * (actor, subject, resource, operation) in a scope is kept, the rest are dropped. `field` is
   * asked for only when an entry is kept (working it out walks the response path).
   */
  note(
    scope: object,
    viewer: SignedInViewer,
    request: RequestInfo,
    read: Pick<AccessRead, "subjectUserId" | "resource" | "operationType" | "operationName">,
    field: () => string,
  ): void;
  /** Writes what was noted so far; concurrent calls run one after another. */
  flush(): Promise<void>;
  start(): void;
  /** Stops the timer and writes everything still queued (before the database closes). */
  stop(): Promise<void>;
  /** Entries noted and not yet written (tests, metrics). */
  pending(): number;
}

/** What a database outage may hold in memory before new entries are dropped (and counted in the log). */
const MAX_PENDING = 200_000;
/** Rows per INSERT (13 array parameters whatever the size; bounds one statement's work). */
const BATCH_ROWS = 1_000;

export function createAccessLog(prisma: PrismaClient, logger: Logger, options: { flushMs: number }): AccessLogWriter {
  let queue: AccessRead[] = [];
  const seen = new WeakMap<object, Set<string>>();
  let dropped = 0;

  async function write(batch: AccessRead[]): Promise<void> {
    // Names as they are now, kept with the entry: a later rename or a deleted key does not change it.
    const userIds = [...new Set(batch.map((r) => r.actorUserId))];
    const keyIds = [...new Set(batch.flatMap((r) => (r.apiKeyId ? [r.apiKeyId] : [])))];
    const [users, keys] = await Promise.all([
      prisma.user.findMany({ where: { id: { in: userIds } }, select: { id: true, displayName: true } }),
      keyIds.length
        ? prisma.apiKey.findMany({ where: { id: { in: keyIds } }, select: { id: true, name: true } })
        : Promise.resolve([]),
    ]);
    const userName = new Map(users.map((u) => [u.id, u.displayName]));
    const keyName = new Map(keys.map((k) => [k.id, k.name]));
    const col = <T>(f: (r: AccessRead) => T) => batch.map(f);
    // One statement per batch, column by column: Prisma does not cache the plan of a createMany
    // and compiled one for every batch, which cost more CPU than the reads being logged.
    await prisma.$executeRaw`
      INSERT INTO data_access_log (id, tenant_id, subject_user_id, actor_kind, actor_user_id, api_key_id,
        actor_display, resource, field, operation_type, operation_name, ip_address, user_agent, created_at)
      SELECT gen_random_uuid(), t.tenant_id, t.subject_user_id, t.actor_kind::access_actor_kind, t.actor_user_id,
        t.api_key_id, t.actor_display, t.resource, t.field, t.operation_type, t.operation_name, t.ip_address,
        t.user_agent, t.created_at
      FROM unnest(
        ${col((r) => r.tenantId)}::uuid[], ${col((r) => r.subjectUserId)}::uuid[],
        ${col((r) => (r.apiKeyId ? "api_key" : "user"))}::text[], ${col((r) => r.actorUserId)}::uuid[],
        ${col((r) => r.apiKeyId)}::uuid[],
        ${col((r) => (r.apiKeyId ? keyName.get(r.apiKeyId) : userName.get(r.actorUserId)) ?? "(deleted)")}::text[],
        ${col((r) => r.resource)}::text[], ${col((r) => r.field)}::text[], ${col((r) => r.operationType)}::text[],
        ${col((r) => r.operationName)}::text[], ${col((r) => r.ipAddress)}::text[], ${col((r) => r.userAgent)}::text[],
        ${col((r) => r.createdAt.toISOString())}::timestamptz[]
      ) AS t(tenant_id, subject_user_id, actor_kind, actor_user_id, api_key_id, actor_display, resource, field,
        operation_type, operation_name, ip_address, user_agent, created_at)`;
  }

  async function flushOnce(): Promise<void> {
    if (dropped && queue.length < MAX_PENDING) {
      logger.error({ dropped }, "access log: entries dropped while the queue was full");
      dropped = 0;
    }
    while (queue.length) {
      // splice, not slice twice: a queue that grew under load is not copied once per batch.
      const batch = queue.splice(0, BATCH_ROWS);
      try {
        await write(batch);
      } catch (err) {
        queue = batch.concat(queue);
        logger.error({ err, entries: queue.length }, "access log: flush failed, kept for the next one");
        throw err;
      }
    }
  }

  const background = backgroundFlush(flushOnce, options);
  const log: AccessLogWriter = {
    note(scope, viewer, request, read, field) {
      let keys = seen.get(scope);
      if (!keys) {
        keys = new Set();
        seen.set(scope, keys);
      }
      const apiKeyId = viewer.kind === "apiKey" ? viewer.apiKeyId : null;
      const key = `${viewer.userId}|${apiKeyId}|${read.subjectUserId}|${read.resource}|${read.operationType}|${read.operationName}`;
      if (keys.has(key)) return;
      keys.add(key);
      if (queue.length >= MAX_PENDING) {
        // O(1) and logged once per outage: a full queue must not make every request slower.
        if (dropped++ === 0)
          logger.error({ max: MAX_PENDING }, "access log: queue full (database unreachable?), new entries dropped");
        return;
      }
      queue.push({
        ...read,
        field: field(),
        tenantId: viewer.tenantId,
        actorUserId: viewer.userId,
        apiKeyId,
        ipAddress: request.ip,
        userAgent: request.userAgent,
        createdAt: new Date(),
      });
    },
    ...background,
    pending: () => queue.length,
  };
  return log;
}
