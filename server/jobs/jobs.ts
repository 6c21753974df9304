import type { Clock } from "pg-boss";
import type { Config } from "../config.ts";
import type { Database } from "../db/client.ts";
import type { Logger } from "../logger.ts";
import { createJobQueue, type JobQueue } from "./queue.ts";

/** pg-boss refuses shorter heartbeats. */
export const MIN_HEARTBEAT_SECONDS = 10;

export interface Jobs {
  /** The queue, started on first use: apps that never enqueue or work never pay pg-boss's start-up. */
  queue(): Promise<JobQueue>;
  readonly heartbeatSeconds: number;
  /** The queue if it has started, without starting it (metrics must not start pg-boss). */
  started(): JobQueue | null;
  /** Lets running handlers finish or fail (they are retried elsewhere); before the database closes. */
  stop(timeoutMs: number): Promise<void>;
}

export function createJobs(config: Config, db: Database, logger: Logger, clock?: Clock): Jobs {
  let pending: Promise<JobQueue> | null = null;
  let current: JobQueue | null = null;
  let stopped = false;
  const heartbeatSeconds = Math.max(MIN_HEARTBEAT_SECONDS, config.JOB_HEARTBEAT_SECONDS);
  return {
    heartbeatSeconds,
    started: () => (stopped ? null : current),
    queue() {
      if (stopped) return Promise.reject(new Error("the job queue is stopped"));
      pending ??= createJobQueue({
        // The app's own engine: one process owns a PGlite directory, so pg-boss must share it.
        ...(db.pglite ? { pglite: db.pglite } : { connectionString: db.connectionString }),
        logger,
        schema: config.JOB_SCHEMA,
        heartbeatSeconds,
        superviseIntervalSeconds: config.JOB_SUPERVISE_SECONDS,
        pollingIntervalSeconds: config.JOB_POLL_SECONDS,
        maxConnections: Math.max(2, Math.min(10, config.WORKER_CONCURRENCY + 2)),
        // Only workers send what schedules owe (retention, storage clean-up, the webhook sweep,
        // the purge of deleted accounts).
        schedule:
          config.RUN_WORKER &&
          [
            config.RETENTION_CRON,
            config.STORAGE_CLEANUP_CRON,
            config.WEBHOOK_SWEEP_CRON,
            config.ACCOUNT_PURGE_CRON,
          ].some((c) => c !== "off"),
        cronSeconds: config.JOB_CRON_SECONDS,
        clock,
      });
      pending.then(
        (q) => {
          current = q;
        },
        () => {
          pending = null;
        },
      );
      return pending;
    },
    async stop(timeoutMs) {
      stopped = true;
      const queue = await pending?.catch(() => null);
      await queue?.stop({ graceful: true, timeoutMs });
    },
  };
}
