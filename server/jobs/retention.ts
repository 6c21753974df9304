// The retention pass as a durable job: pg-boss's cron (RETENTION_CRON, UTC) files one job per
// occurrence for all instances together, and whichever worker takes it runs the pass. A retried job
// keeps its id as the pass's key, so tenants it already finished are not passed over twice.
import type { Config } from "../config.ts";
import type { RetentionService } from "../services/retention.ts";
import type { Jobs } from "./jobs.ts";

export const RETENTION_QUEUE = "retention-run";

export async function startRetentionJobs(jobs: Jobs, retention: RetentionService, config: Config): Promise<void> {
  const queue = await jobs.queue();
  await queue.ensureQueue(RETENTION_QUEUE);
  await queue.work(RETENTION_QUEUE, (job) => retention.run({ jobKey: job.id, trigger: "schedule" }));
  if (config.RETENTION_CRON === "off") await queue.boss.unschedule(RETENTION_QUEUE);
  else await queue.boss.schedule(RETENTION_QUEUE, config.RETENTION_CRON, {}, { tz: "UTC", retryLimit: 5 });
}
