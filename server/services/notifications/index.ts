// Notifications and webhooks: reading and marking a user's notifications, the tenant's webhook
// endpoints, and the worker that mails notifications and delivers webhook events. Events are
// written by the transaction that caused them (events.ts); once it has committed, its change
// events (live/changes.ts) reach every instance, and a worker instance queues a durable job per
// new notification (mail) and per new delivery (HTTP, retried with back-off by pg-boss). Each job
// claims its row first, so a job queued twice (several instances heard the change) acts once.
import { filter, map, pipe } from "graphql-yoga";
import type { Config } from "../../config.ts";
import { notFound } from "../../errors.ts";
import type { Notification, PrismaClient } from "../../generated/prisma/client.ts";
import { isUuid } from "../../ids.ts";
import type { Jobs } from "../../jobs/jobs.ts";
import { workScheduled } from "../../jobs/scheduled.ts";
import { type Change, changeOf, publishChange } from "../../live/changes.ts";
import type { Logger } from "../../logger.ts";
import type { PubSub } from "../../pubsub.ts";
import type { SignedInViewer } from "../../viewer.ts";
import type { Mailer } from "../account/mail.ts";
import { createSecretBox, webhookSecretContext } from "../account/secret-box.ts";
import { postJson } from "./http-post.ts";
import { SIGNATURE_HEADER, sign } from "./signing.ts";
import { createWebhookAdmin } from "./webhooks.ts";

export const MAIL_QUEUE = "notification-mail";
export const WEBHOOK_QUEUE = "webhook-delivery";
export const SWEEP_QUEUE = "webhook-sweep";
/** How far past its next attempt a pending delivery must be before the sweep calls it lost. */
export const SWEEP_GRACE_SECONDS = 120;
const SWEEP_BATCH = 500;

interface RowJob {
  id: string;
}

export interface NotificationDeps {
  config: Config;
  prisma: PrismaClient;
  pubsub: PubSub;
  jobs: Jobs;
  mailer: Mailer;
  logger: Logger;
}

/** Whether the user's notification settings (Profile.notificationSettings) allow mail; on unless said off. */
export function wantsMail(settings: unknown): boolean {
  return !(settings && typeof settings === "object" && (settings as Record<string, unknown>).email === false);
}

export function createNotificationService({ config, prisma, pubsub, jobs, mailer, logger }: NotificationDeps) {
  // Signing secrets are sealed at rest with the key of TOTP secrets (one key to keep and rotate).
  const box = createSecretBox(config.totpKey);
  let working = false;
  let stopKicks: (() => void) | null = null;

  async function mail(id: string): Promise<void> {
    // Claimed before sending: a second job for the same notification finds it taken.
    const [claimed] = await prisma.$queryRaw<{ user_id: string; title: string; body: string }[]>`
      UPDATE notifications SET mailed_at = now() WHERE id = ${id}::uuid AND mailed_at IS NULL
      RETURNING user_id, title, body`;
    if (!claimed) return;
    const user = await prisma.user.findUnique({
      where: { id: claimed.user_id },
      select: { email: true, deletedAt: true, profile: { select: { notificationSettings: true } } },
    });
    if (!user || user.deletedAt || !wantsMail(user.profile?.notificationSettings)) return;
    const link = new URL("/notifications", config.APP_URL).toString();
    await mailer.send({
      to: user.email,
      subject: claimed.title,
      text: `${claimed.body}\n\nSee your notifications: ${link}\n\nYou get these mails while email notifications are on in your profile.`,
      links: [link],
    });
  }

  // How long one attempt may hold its delivery: the POST's timeout and a margin for recording it.
  const leaseSeconds = Math.ceil(config.WEBHOOK_TIMEOUT_MS / 1000) + 60;

  async function deliver(id: string): Promise<void> {
    // The claim: a pending delivery that is due (the queue's retries come at or after the wait
    // written below; a few seconds allow for clocks) is moved a lease ahead, so a second job for it
    // (queued twice, or by the sweep) finds it not due and leaves it, and an attempt whose instance
    // died is due again once the lease has run out.
    const [claimed] = await prisma.$queryRaw<{ id: string }[]>`
      UPDATE webhook_deliveries SET next_attempt_at = now() + make_interval(secs => ${leaseSeconds})
      WHERE id = ${id}::uuid AND status = 'pending'
        AND (next_attempt_at IS NULL OR next_attempt_at <= now() + interval '5 seconds')
      RETURNING id`;
    if (!claimed) return;
    const d = await prisma.webhookDelivery.findUnique({ where: { id }, include: { endpoint: true } });
    if (d?.status !== "pending") return;
    const publish = (status: "update") => publishChange(prisma, changeOf("WebhookDelivery", status, d));
    if (!d.endpoint.active) {
      await prisma.webhookDelivery.update({
        where: { id },
        data: { status: "failed", lastError: "The endpoint is turned off.", nextAttemptAt: null },
      });
      return publish("update");
    }
    const body = JSON.stringify({ id: d.id, ...(d.payload as object) });
    const timestamp = Math.floor(Date.now() / 1000);
    const result = await postJson(
      d.endpoint.url,
      body,
      {
        "user-agent": "Userplane-Webhooks/1",
        [SIGNATURE_HEADER]: sign(box.open(d.endpoint.secret, webhookSecretContext(d.endpoint.id)), body, timestamp),
        "userplane-event": d.event,
        "userplane-delivery": d.id,
      },
      {
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
        maxResponseBytes: config.WEBHOOK_MAX_RESPONSE_BYTES,
        allowPrivate: config.webhookAllowPrivate,
      },
    );
    const attempts = d.attempts + 1;
    const now = new Date();
    if (result.error === null) {
      await prisma.webhookDelivery.update({
        where: { id },
        data: {
          status: "delivered",
          attempts,
          lastStatusCode: result.status,
          lastError: null,
          deliveredAt: now,
          nextAttemptAt: null,
        },
      });
      return publish("update");
    }
    const last = attempts >= config.WEBHOOK_MAX_ATTEMPTS;
    // pg-boss's back-off: the delay doubles with each retry.
    const waitSeconds = config.WEBHOOK_RETRY_DELAY_SECONDS * 2 ** (attempts - 1);
    await prisma.webhookDelivery.update({
      where: { id },
      data: {
        attempts,
        lastStatusCode: result.status,
        lastError: result.error,
        status: last ? "failed" : "pending",
        nextAttemptAt: last ? null : new Date(now.getTime() + waitSeconds * 1000),
      },
    });
    publish("update");
    // Thrown so the queue retries it later; the last attempt ends quietly as failed.
    if (!last) throw new Error(`webhook delivery ${id} failed: ${result.error}`);
  }

  const deliveryJob = (attempts: number) => ({
    retryLimit: Math.max(0, config.WEBHOOK_MAX_ATTEMPTS - attempts - 1),
    retryDelay: config.WEBHOOK_RETRY_DELAY_SECONDS,
    retryBackoff: true,
    expireInSeconds: leaseSeconds,
  });

  /**
   * Queues again every pending delivery whose next attempt is overdue by more than SWEEP_GRACE_SECONDS:
   * its job was lost (the change event was never heard, the instance died mid-send after its job's
   * retries, the job was removed). Safe to run at any time and twice: a delivery still owned by a
   * live attempt is not due, and deliver() claims each attempt, so a second job finds nothing to do.
   * Returns the ids it queued.
   */
  async function sweep(): Promise<string[]> {
    const stale = await prisma.$queryRaw<{ id: string; attempts: number }[]>`
      SELECT id, attempts FROM webhook_deliveries
      WHERE status = 'pending' AND next_attempt_at < now() - make_interval(secs => ${SWEEP_GRACE_SECONDS})
      ORDER BY next_attempt_at LIMIT ${SWEEP_BATCH}`;
    if (stale.length === 0) return [];
    const queue = await jobs.queue();
    await queue.ensureQueue(WEBHOOK_QUEUE);
    for (const d of stale) await queue.send<RowJob>(WEBHOOK_QUEUE, { id: d.id }, deliveryJob(d.attempts));
    logger.info({ deliveries: stale.length }, "webhook sweep: queued overdue deliveries again");
    return stale.map((d) => d.id);
  }

  async function enqueue(changes: readonly Change[]): Promise<void> {
    const mails = changes.filter((c) => c.type === "Notification" && c.op === "create");
    const deliveries = changes.filter((c) => c.type === "WebhookDelivery" && c.op === "create");
    if (mails.length === 0 && deliveries.length === 0) return;
    const queue = await jobs.queue();
    for (const c of mails) await queue.send<RowJob>(MAIL_QUEUE, { id: c.id }, { singletonKey: c.id, retryLimit: 3 });
    for (const c of deliveries)
      await queue.send<RowJob>(WEBHOOK_QUEUE, { id: c.id }, { singletonKey: c.id, ...deliveryJob(0) });
  }

  return {
    webhooks: createWebhookAdmin(prisma, config.webhookAllowPrivate, box),

    async markRead(viewer: SignedInViewer, id: string): Promise<Notification> {
      const row = isUuid(id) ? await prisma.notification.findUnique({ where: { id } }) : null;
      if (!row || row.userId !== viewer.userId) throw notFound("Notification");
      if (row.readAt) return row;
      const updated = await prisma.notification.update({ where: { id }, data: { readAt: new Date() } });
      publishChange(prisma, changeOf("Notification", "update", updated));
      return updated;
    },

    /** Marks every unread notification of mine read; returns how many. */
    async markAllRead(viewer: SignedInViewer): Promise<number> {
      const rows = await prisma.notification.updateManyAndReturn({
        where: { userId: viewer.userId, readAt: null },
        data: { readAt: new Date() },
        select: { id: true, userId: true, tenantId: true },
      });
      publishChange(prisma, ...rows.map((r) => changeOf("Notification", "update", r)));
      return rows.length;
    },

    unreadCount: (viewer: SignedInViewer) =>
      prisma.notification.count({ where: { userId: viewer.userId, readAt: null } }),

    /** My notifications as they are created, each batch of one transaction together. */
    stream(viewer: SignedInViewer) {
      const mine = (changes: Change[]) =>
        changes.filter((c) => c.type === "Notification" && c.op === "create" && c.ownerId === viewer.userId);
      return pipe(
        pubsub.subscribe("live:changes"),
        filter(({ changes }: { changes: Change[] }) => mine(changes).length > 0),
        map(({ changes }: { changes: Change[] }) =>
          prisma.notification.findMany({
            where: { id: { in: mine(changes).map((c) => c.id) }, userId: viewer.userId },
            orderBy: { createdAt: "asc" },
          }),
        ),
      );
    },

    /** Queues the jobs of committed notifications and deliveries (normally done on hearing their change). */
    enqueue,

    /** One delivery attempt now (the job's work). */
    deliver,

    /** Queues overdue pending deliveries again, here and now (the scheduled job runs the same). */
    sweep,

    /**
     * Works the mail and webhook queues, schedules the delivery sweep (WEBHOOK_SWEEP_CRON, once for
     * all instances), and queues jobs for the changes this instance hears.
     */
    async startWorker(): Promise<void> {
      if (working) return;
      working = true;
      const queue = await jobs.queue();
      await queue.ensureQueue(MAIL_QUEUE);
      await queue.ensureQueue(WEBHOOK_QUEUE);
      await queue.work<RowJob>(MAIL_QUEUE, (job) => mail(job.data.id), { concurrency: 2 });
      await queue.work<RowJob>(WEBHOOK_QUEUE, (job) => deliver(job.data.id), { concurrency: 4 });
      await workScheduled(jobs, { queue: SWEEP_QUEUE, cron: config.WEBHOOK_SWEEP_CRON, run: sweep });
      const changes = pubsub.subscribe("live:changes");
      stopKicks = () => void changes.return?.();
      void (async () => {
        for await (const { changes: batch } of changes)
          await enqueue(batch).catch((err: unknown) => logger.error({ err }, "could not queue notification jobs"));
      })();
    },

    stop(): void {
      stopKicks?.();
    },
  };
}

export type NotificationService = ReturnType<typeof createNotificationService>;
