import type { PGlite, Results } from "@electric-sql/pglite";
import type { Clock, ConstructorOptions, Db, Job, PgBoss, Queue, SendOptions } from "pg-boss";
import { requireOnUse } from "../require-on-use.ts";

export interface JobQueueLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Per-queue policy. Applied when the queue is first used by this process. */
export interface JobQueuePolicy {
  /**
   * Hard cap on one attempt. An `active` job older than this is failed (and retried if retries
   * remain), which is also how a job orphaned by a killed process gets picked up again when no
   * heartbeat is configured. Min 1.
   */
  expireInSeconds?: number;
  /**
   * Crash detection that does not depend on how long a job may legitimately run: workers refresh
   * it every heartbeatSeconds/2, and a job that misses it is failed and retried. pg-boss requires >= 10.
   */
  heartbeatSeconds?: number | null;
  retryLimit?: number;
  retryDelay?: number;
  retryBackoff?: boolean;
  /** Completed/failed jobs older than this are deleted by maintenance. */
  deleteAfterSeconds?: number;
}

export interface JobQueueOptions extends JobQueuePolicy {
  /** Embedded mode: pg-boss shares the app's PGlite instance. The caller owns its lifecycle. */
  pglite?: PGlite;
  /** Scaled mode: pg-boss owns a pg pool on this database. */
  connectionString?: string;
  schema?: string;
  logger?: JobQueueLogger;
  /**
   * How often expired / heartbeat-lost jobs are swept. Orphaned jobs come back after roughly
   * expireInSeconds (or heartbeatSeconds) plus up to this long plus one polling interval.
   */
  superviseIntervalSeconds?: number;
  /** Fallback poll when no NOTIFY arrives; also how soon retried/expired jobs are seen. Min 0.5. */
  pollingIntervalSeconds?: number;
  /** Pool size in scaled mode. */
  maxConnections?: number;
  /**
   * Runs pg-boss's cron passes in this instance, every cronSeconds: each pass is claimed by one
   * instance per interval and files each due occurrence once (a singleton slot), so a schedule sends
   * one job per occurrence however many instances run this. Off: schedules are stored, never sent.
   */
  schedule?: boolean;
  cronSeconds?: number;
  /** pg-boss's time and timers; the system clock unless a test drives a TestClock. */
  clock?: Clock;
  /** Policy overrides per queue name, on top of the defaults above. */
  queues?: Record<string, JobQueuePolicy>;
}

export interface JobSendOptions {
  /** Deduplicates while a job with the same key is queued or active. */
  singletonKey?: string;
  startAfter?: Date | number | string;
  priority?: number;
  /** Enqueue inside the caller's transaction, e.g. `pgliteTransactionDb(tx)`. */
  db?: Db;
  /** Per-job policy, over the queue's: a queue created by an older deploy keeps its heartbeat otherwise. */
  heartbeatSeconds?: number;
  expireInSeconds?: number;
  retryLimit?: number;
  retryDelay?: number;
  retryBackoff?: boolean;
  /** Jobs of one group (e.g. a tenant) share that group's concurrency, across all instances. */
  groupId?: string;
}

export type JobHandler<T> = (job: Job<T>) => Promise<unknown>;

export interface JobWorkOptions {
  /** Jobs this process runs in parallel for this queue. */
  concurrency?: number;
  /**
   * Jobs of one group running at once across every instance: a group at its limit waits while
   * other groups' jobs are fetched, so one busy tenant cannot starve the others.
   */
  groupConcurrency?: number;
}

export interface JobQueue {
  readonly mode: "embedded" | "scaled";
  send<T extends object>(name: string, data: T, options?: JobSendOptions): Promise<string | null>;
  /**
   * Creates the queue if needed. Call it before a `send` inside a PGlite transaction: creating the
   * queue there would run on the root instance and deadlock.
   */
  ensureQueue(name: string): Promise<void>;
  work<T extends object>(name: string, handler: JobHandler<T>, options?: JobWorkOptions): Promise<void>;
  stop(options?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
  /** Escape hatch for the rarer pg-boss features (schedules, getJobById, ...). */
  readonly boss: PgBoss;
}

const DEFAULTS = {
  expireInSeconds: 15 * 60,
  heartbeatSeconds: 60,
  retryLimit: 3,
  retryDelay: 5,
  retryBackoff: true,
  superviseIntervalSeconds: 10,
  pollingIntervalSeconds: 2,
} as const;

// pg-boss wraps every multi-statement write it sends (migrations, locked() maintenance, createQueue)
// in its own literal `BEGIN; ... COMMIT;`, always without parameters.
const EXPLICIT_TRANSACTION = /^\s*BEGIN\b/i;

/**
 * How often a worker refreshes its jobs' heartbeats (pg-boss: heartbeatSeconds / 2 by default). A
 * job is failed once its heartbeat is heartbeatSeconds old, so with the default an event loop busy
 * for half of that (a stall under a CPU-bound neighbour, 15 s at the default 30) had the supervisor,
 * in the same process, fail and restart runs that were alive. Every 2 s, only a loop stalled for
 * nearly the whole heartbeat does; the refresh is one indexed UPDATE.
 */
const HEARTBEAT_REFRESH_SECONDS = 2;

const flatten = (results: Results[]): { rows: unknown[] } => ({ rows: results.flatMap((r) => r.rows) });

/**
 * pg-boss's `db` option on top of a shared PGlite. Not `fromPglite` from pg-boss: that one rolls an
 * aborted `BEGIN ... COMMIT` block back in a separate call, after PGlite has released its lock, so
 * whatever the app had queued on the same instance runs first inside the dead transaction and
 * fails with 25P02.
 */
export function pgliteDb(pglite: PGlite): Db {
  return {
    async executeSql(text, values) {
      // query() is the extended protocol: one statement, with parameters.
      if (values && values.length > 0) return await pglite.query(text, values);
      if (EXPLICIT_TRANSACTION.test(text)) {
        // transaction() holds PGlite's lock for the whole block and rolls back on error before
        // releasing it. Its own BEGIN/COMMIT around pg-boss's only raise silent warnings.
        return flatten(await pglite.transaction(async (tx) => await tx.exec(text)));
      }
      // exec() is the simple protocol: several statements run as one implicit transaction that
      // Postgres rolls back itself on error. Kept outside transaction() so anything that must not
      // run in a transaction block (CREATE INDEX CONCURRENTLY from pg-boss's BAM) still can.
      return flatten(await pglite.exec(text));
    },
    // PGlite is one session: statements pg-boss needs on every session (a TestClock's opt-in) run once.
    async setSessionStatements(statements) {
      for (const statement of statements) await pglite.exec(statement);
    },
    async listen(channel, onNotification, onReconnect) {
      const unsubscribe = await pglite.listen(channel, onNotification);
      // Nothing to reconnect in-process, but pg-boss uses this to fetch what it missed while subscribing.
      onReconnect();
      return { close: async () => await unsubscribe() };
    },
  };
}

/**
 * Lets `send(..., { db })` enqueue inside an app-level `pglite.transaction()`. Required there, not
 * just atomic: a send on the root instance from inside that callback waits for PGlite's lock, which
 * the callback holds, and deadlocks.
 */
export function pgliteTransactionDb(tx: Pick<PGlite, "query" | "exec">): Db {
  return {
    async executeSql(text, values) {
      if (values && values.length > 0) return await tx.query(text, values);
      return flatten(await tx.exec(text));
    },
  };
}

function policyOf(policy: JobQueuePolicy): Omit<Queue, "name"> {
  const out: Omit<Queue, "name"> = {};
  if (policy.expireInSeconds !== undefined) out.expireInSeconds = policy.expireInSeconds;
  if (policy.retryLimit !== undefined) out.retryLimit = policy.retryLimit;
  if (policy.retryDelay !== undefined) out.retryDelay = policy.retryDelay;
  if (policy.retryBackoff !== undefined) out.retryBackoff = policy.retryBackoff;
  if (policy.deleteAfterSeconds !== undefined) out.deleteAfterSeconds = policy.deleteAfterSeconds;
  // null turns heartbeats off; pg-boss reads an absent key the same way.
  if (policy.heartbeatSeconds != null) out.heartbeatSeconds = policy.heartbeatSeconds;
  return out;
}

export async function createJobQueue(opts: JobQueueOptions): Promise<JobQueue> {
  const { pglite, connectionString, logger } = opts;
  if (pglite && connectionString) {
    throw new Error("createJobQueue: pass pglite or connectionString, not both");
  }

  const base: ConstructorOptions = {
    schema: opts.schema ?? "pgboss",
    superviseIntervalSeconds: opts.superviseIntervalSeconds ?? DEFAULTS.superviseIntervalSeconds,
    // Expiry and heartbeat sweeps only run for queues whose monitor slot is due, so this gates
    // crash recovery as much as superviseIntervalSeconds does (pg-boss default: 60s).
    monitorIntervalSeconds: opts.superviseIntervalSeconds ?? DEFAULTS.superviseIntervalSeconds,
    useListenNotify: true,
    // Off unless asked: the scheduler polls, which on PGlite competes for the one connection.
    schedule: opts.schedule ?? false,
    ...(opts.cronSeconds ? { cronMonitorIntervalSeconds: opts.cronSeconds } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
  };
  // Loaded with the queue, which starts after the server listens (pg-boss and the pg driver under it).
  const { PgBoss } = requireOnUse("pg-boss") as typeof import("pg-boss");
  const boss = pglite
    ? new PgBoss({ ...base, db: pgliteDb(pglite), backend: "pglite" })
    : connectionString
      ? new PgBoss({ ...base, connectionString, max: opts.maxConnections ?? 10 })
      : undefined;
  if (!boss) throw new Error("createJobQueue: pass pglite or connectionString");

  // An 'error' event without a listener would throw and take the process down.
  boss.on("error", (err) => logger?.error({ err }, "job queue error"));
  boss.on("warning", (warning) => logger?.warn({ warning }, "job queue warning"));
  await boss.start();

  const defaults: JobQueuePolicy = {
    expireInSeconds: opts.expireInSeconds ?? DEFAULTS.expireInSeconds,
    heartbeatSeconds: opts.heartbeatSeconds === undefined ? DEFAULTS.heartbeatSeconds : opts.heartbeatSeconds,
    retryLimit: opts.retryLimit ?? DEFAULTS.retryLimit,
    retryDelay: opts.retryDelay ?? DEFAULTS.retryDelay,
    retryBackoff: opts.retryBackoff ?? DEFAULTS.retryBackoff,
    ...(opts.deleteAfterSeconds !== undefined ? { deleteAfterSeconds: opts.deleteAfterSeconds } : {}),
  };
  const pollingIntervalSeconds = opts.pollingIntervalSeconds ?? DEFAULTS.pollingIntervalSeconds;

  // pg-boss 12 rejects send/work on a queue that was never created; create lazily, once per process.
  const ready = new Map<string, Promise<void>>();
  const ensureQueue = (name: string): Promise<void> => {
    let pending = ready.get(name);
    if (!pending) {
      const policy = policyOf({ ...defaults, ...opts.queues?.[name] });
      pending = (async () => {
        if (await boss.getQueue(name)) {
          // Keeps a changed config effective for queues created by an older deploy.
          // heartbeatSeconds is fixed at creation in pg-boss and cannot be updated.
          const { heartbeatSeconds: _fixed, ...mutable } = policy;
          await boss.updateQueue(name, mutable);
        } else {
          await boss.createQueue(name, { ...policy, notify: true });
        }
      })();
      pending.catch(() => ready.delete(name));
      ready.set(name, pending);
    }
    return pending;
  };

  return {
    mode: pglite ? "embedded" : "scaled",
    boss,
    ensureQueue,
    async send(name, data, options = {}) {
      await ensureQueue(name);
      const sendOptions: SendOptions = {};
      if (options.singletonKey !== undefined) sendOptions.singletonKey = options.singletonKey;
      if (options.startAfter !== undefined) sendOptions.startAfter = options.startAfter;
      if (options.priority !== undefined) sendOptions.priority = options.priority;
      if (options.db !== undefined) sendOptions.db = options.db;
      if (options.heartbeatSeconds !== undefined) sendOptions.heartbeatSeconds = options.heartbeatSeconds;
      if (options.expireInSeconds !== undefined) sendOptions.expireInSeconds = options.expireInSeconds;
      if (options.retryLimit !== undefined) sendOptions.retryLimit = options.retryLimit;
      if (options.retryDelay !== undefined) sendOptions.retryDelay = options.retryDelay;
      if (options.retryBackoff !== undefined) sendOptions.retryBackoff = options.retryBackoff;
      if (options.groupId !== undefined) sendOptions.group = { id: options.groupId };
      return await boss.send(name, data, sendOptions);
    },
    async work<T extends object>(name: string, handler: JobHandler<T>, options: JobWorkOptions = {}) {
      await ensureQueue(name);
      await boss.work<T>(
        name,
        {
          batchSize: 1,
          localConcurrency: options.concurrency ?? 1,
          ...(options.groupConcurrency ? { groupConcurrency: options.groupConcurrency } : {}),
          pollingIntervalSeconds,
          heartbeatRefreshSeconds: HEARTBEAT_REFRESH_SECONDS,
          // NOTIFY only fires for new jobs. Retries and jobs recovered from a crash are found by
          // this poll alone, whose pg-boss default with notify on is 30s.
          notifyPollingIntervalSeconds: pollingIntervalSeconds,
        },
        async ([job]) => {
          if (!job) return;
          try {
            return await handler(job);
          } catch (err) {
            logger?.warn({ err, queue: name, jobId: job.id, retryCount: job.retryCount }, "job failed");
            throw err;
          }
        },
      );
    },
    async stop({ graceful = true, timeoutMs = 30_000 } = {}) {
      // close: true ends the pool in scaled mode; a PGlite passed in is left open for its owner.
      await boss.stop({ graceful, timeout: timeoutMs, close: true });
    },
  };
}
