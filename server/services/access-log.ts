// The privacy transparency log's writer. Reads of a user's data by someone else (another member,
// an admin, any API key) are noted while the request runs (schema/access-log-plugin.ts calls
// note() where each object's type rule has just granted it), merged per request into one entry
// per actor, subject and operation that lists the types read (a listing of 50 members with their
// profiles is 50 rows, not 100), and written in batches by a timer, never on the request path.
// stop() drains what is left before the database closes; a batch that fails (the database is
// unreachable) goes back to the queue for the next flush, and the reads of a user or tenant
// deleted meanwhile are skipped, not failed.

import type { Database } from "../db/client.ts";
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

/** What the reads of one request share (one actor, operation and root field): kept once, not per read. */
type ReadGroup = Omit<AccessRead, "subjectUserId" | "resource" | "createdAt">;

/** A queued entry: the reads of one subject in one request, its types, and the request's shared columns by reference. */
interface QueuedEntry {
  subjectUserId: string;
  /** The types read so far, sorted; a few at most. */
  resources: string[];
  /** When the first of them was read, in epoch milliseconds (a number: nothing to allocate or format). */
  at: number;
  group: ReadGroup;
  /**
   * Set once a flush has taken the entry: a type noted after that goes into a new entry (a second
   * row) rather than into a list that may already be in the database.
   */
  taken: boolean;
  /** The types of this subject's earlier entries in the request, taken by a flush (null for its first). */
  earlier: readonly string[] | null;
}

export interface AccessLogWriter {
  /**
   * Notes that `viewer` read a `resource` row of `subjectUserId` during the request `scope` (any
   * object that lives exactly as long as the request: its context). The notes of each (actor,
   * subject, operation) in a scope make one entry listing their types, with the time and root
   * field of the first; a type already listed is dropped. A type noted after its entry was taken
   * by a flush starts a second entry. `field` is asked for only when an entry is made (working it
   * out walks the response path).
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
/** Rows per INSERT (bounds one statement's work and its JSON text). */
const BATCH_ROWS = 1_000;

/**
 * One actor in one operation, within a request: its entries (by subject) and the groups they share
 * (by root field). A request has one, or a few when signIn/signUp change the viewer in the middle
 * of it.
 */
interface ActorReads {
  viewer: SignedInViewer;
  operationType: string;
  operationName: string | null;
  subjects: Map<string, QueuedEntry>;
  groups: Map<string, ReadGroup>;
}

/** Per request: its actors, by who and what operation, and the one that noted last. */
interface RequestReads {
  actors: Map<string, ActorReads>;
  last: ActorReads | null;
}

/**
 * `types` with `type` added in its sorted place, as a new array. Not push, then sort when written:
 * V8's Array.prototype.sort allocates its merge state on every call (about 0.7 KB; 37 KB per
 * listing of 50 members), and growing a one-element array by push cost more CPU than making one
 * of two.
 */
function withType(types: readonly string[], type: string): string[] {
  // The common case: a second type (User, then its Profile).
  if (types.length === 1) return type < types[0]! ? [type, types[0]!] : [types[0]!, type];
  const at = types.findIndex((t) => t > type);
  return at < 0 ? [...types, type] : [...types.slice(0, at), type, ...types.slice(at)];
}

export function createAccessLog(
  db: Pick<Database, "query">,
  logger: Logger,
  options: { flushMs: number },
): AccessLogWriter {
  let queue: QueuedEntry[] = [];
  const seen = new WeakMap<object, RequestReads>();
  let dropped = 0;

  /**
   * The reads so far of this actor and operation in `scope`. A listing notes every row of one
   * actor and operation, so the last one found answers without building its key: a key of six ids
   * per read, built and hashed for every row, was most of note()'s cost.
   */
  function actorReads(scope: object, viewer: SignedInViewer, operationType: string, operationName: string | null) {
    let state = seen.get(scope);
    if (!state) {
      state = { actors: new Map(), last: null };
      seen.set(scope, state);
    }
    const last = state.last;
    if (last && last.viewer === viewer && last.operationType === operationType && last.operationName === operationName)
      return last;
    // A new viewer object for the same actor (the context is renewed) keeps the reads noted so far.
    const apiKeyId = viewer.kind === "apiKey" ? viewer.apiKeyId : null;
    const key = `${viewer.userId}|${apiKeyId}|${operationType}|${operationName}`;
    let actor = state.actors.get(key);
    if (!actor) {
      actor = { viewer, operationType, operationName, subjects: new Map(), groups: new Map() };
      state.actors.set(key, actor);
    }
    actor.viewer = viewer;
    state.last = actor;
    return actor;
  }

  async function write(batch: QueuedEntry[]): Promise<void> {
    // A listing of 50 members is 50 entries of one request: its shared columns go once per group
    // and each entry sends only its subject, types, time and group. Both go as JSON text, which
    // JSON.stringify writes natively: as arrays, the driver escaped 4,000 elements per batch one by
    // one in JavaScript. A JSON array becomes the text[] column as it is (json_to_recordset).
    const index = new Map<ReadGroup, number>();
    const groups: ReadGroup[] = [];
    const reads = batch.map((r) => {
      let n = index.get(r.group);
      if (n === undefined) {
        groups.push(r.group);
        n = groups.length;
        index.set(r.group, n);
      }
      return { subject_user_id: r.subjectUserId, resources: r.resources, at_ms: r.at, n };
    });
    const shared = groups.map((g, i) => ({
      n: i + 1,
      tenant_id: g.tenantId,
      actor_user_id: g.actorUserId,
      api_key_id: g.apiKeyId,
      field: g.field,
      operation_type: g.operationType,
      operation_name: g.operationName,
      ip_address: g.ipAddress,
      user_agent: g.userAgent,
    }));
    // One statement per batch, on the driver: Prisma compiled a createMany's plan for every batch,
    // and even a raw statement cost more of its own CPU than the driver's work. Names are taken
    // as they are now and kept with the entry: a later rename or a deleted key does not change it.
    // The log has no foreign keys (they checked every row on its own, about half of this
    // statement's CPU): the subjects and tenants are locked here once each, FOR KEY SHARE as a
    // foreign key would, so a deletion under way waits for this statement or this statement for
    // it, and the triggers on their delete (see the migration access_log_cascade_by_trigger) take
    // whatever this wrote. The reads of a subject or tenant already gone are skipped: with the
    // foreign keys, one such read failed its whole batch at every flush. Names are looked up once
    // per group, not per read.
    await db.query(
      `WITH r AS (
        SELECT * FROM json_to_recordset($1::json) AS r(subject_user_id uuid, resources text[], at_ms float8, n int)
      ), s AS MATERIALIZED (
        SELECT id FROM users WHERE id IN (SELECT subject_user_id FROM r) FOR KEY SHARE
      ), g AS MATERIALIZED (
        SELECT g.*, coalesce(CASE WHEN g.api_key_id IS NULL THEN u.display_name ELSE k.name END, '(deleted)') AS actor_display
        FROM json_to_recordset($2::json) AS g(n int, tenant_id uuid, actor_user_id uuid, api_key_id uuid,
          field text, operation_type text, operation_name text, ip_address text, user_agent text)
        JOIN tenants t ON t.id = g.tenant_id
        LEFT JOIN users u ON u.id = g.actor_user_id
        LEFT JOIN api_keys k ON k.id = g.api_key_id
        FOR KEY SHARE OF t
      )
      INSERT INTO data_access_log (id, tenant_id, subject_user_id, actor_kind, actor_user_id, api_key_id,
        actor_display, resources, field, operation_type, operation_name, ip_address, user_agent, created_at)
      SELECT gen_random_uuid(), g.tenant_id, r.subject_user_id,
        (CASE WHEN g.api_key_id IS NULL THEN 'user' ELSE 'api_key' END)::access_actor_kind, g.actor_user_id,
        g.api_key_id, g.actor_display, r.resources, g.field, g.operation_type, g.operation_name, g.ip_address,
        g.user_agent, to_timestamp(r.at_ms / 1000.0)
      FROM r JOIN g USING (n) JOIN s ON s.id = r.subject_user_id`,
      [JSON.stringify(reads), JSON.stringify(shared)],
    );
  }

  async function flushOnce(): Promise<void> {
    if (dropped && queue.length < MAX_PENDING) {
      logger.error({ dropped }, "access log: entries dropped while the queue was full");
      dropped = 0;
    }
    while (queue.length) {
      // splice, not slice twice: a queue that grew under load is not copied once per batch.
      const batch = queue.splice(0, BATCH_ROWS);
      // Before any await: a note from now on starts a new entry instead of adding to one of these.
      for (const entry of batch) entry.taken = true;
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
      const actor = actorReads(scope, viewer, read.operationType, read.operationName);
      const entry = actor.subjects.get(read.subjectUserId);
      // A few types per subject at most: a scan of the list is cheaper than a Set per entry.
      if (entry && (entry.resources.includes(read.resource) || entry.earlier?.includes(read.resource))) return;
      if (entry && !entry.taken) {
        entry.resources = withType(entry.resources, read.resource);
        return;
      }
      if (queue.length >= MAX_PENDING) {
        // O(1) and logged once per outage: a full queue must not make every request slower.
        if (dropped++ === 0)
          logger.error({ max: MAX_PENDING }, "access log: queue full (database unreachable?), new entries dropped");
        return;
      }
      const at = field();
      let group = actor.groups.get(at);
      if (!group) {
        group = {
          tenantId: viewer.tenantId,
          actorUserId: viewer.userId,
          apiKeyId: viewer.kind === "apiKey" ? viewer.apiKeyId : null,
          field: at,
          operationType: read.operationType,
          operationName: read.operationName,
          ipAddress: request.ip,
          userAgent: request.userAgent,
        };
        actor.groups.set(at, group);
      }
      const next: QueuedEntry = {
        subjectUserId: read.subjectUserId,
        resources: [read.resource],
        at: Date.now(),
        group,
        taken: false,
        // A second entry of a subject lists only the types not already in its first.
        earlier: entry ? [...(entry.earlier ?? []), ...entry.resources] : null,
      };
      actor.subjects.set(read.subjectUserId, next);
      queue.push(next);
    },
    ...background,
    pending: () => queue.length,
  };
  return log;
}
