// Maintenance jobs (storage clean-up, stale workspaces): durable pg-boss jobs that any instance may
// run, scheduled once for the whole fleet (pg-boss keeps the schedule in the database), and queued
// by hand as singletons so that two passes never overlap.
import type { Jobs } from "./jobs.ts";

export interface ScheduledJob<R> {
  queue: string;
  /** Five-field cron (UTC), or `off`: run only when queued. */
  cron: string;
  run: () => Promise<R>;
}

/** Works the job's queue in this instance and (re)writes its schedule. */
export async function workScheduled<R>(jobs: Jobs, job: ScheduledJob<R>): Promise<void> {
  const queue = await jobs.queue();
  await queue.ensureQueue(job.queue);
  // The handler's answer is kept as the job's output (getJobById), for whoever queued it.
  await queue.work(job.queue, () => job.run());
  if (job.cron === "off") await queue.boss.unschedule(job.queue).catch(() => undefined);
  else await queue.boss.schedule(job.queue, job.cron, {}, { tz: "UTC" });
}

/** Queues one pass now; null while another is still queued or running. */
export async function enqueueScheduled(jobs: Jobs, queueName: string): Promise<string | null> {
  const queue = await jobs.queue();
  await queue.ensureQueue(queueName);
  return queue.send(queueName, {}, { singletonKey: queueName, retryLimit: 2 });
}
