// Events that reach people: stored as notifications for the users concerned and as webhook
// deliveries for the tenant's endpoints, inside the transaction that caused them. The database
// makes each event happen once: a notification is unique per (user, dedupe key) and a delivery per
// (endpoint, event id), so concurrent transactions that all see a quota cross its threshold in one
// period write one of each. The mail and the HTTP calls are done later by the job queue
// (index.ts), started from the change events published once the transaction has committed.
import { type NotificationKind, Prisma, type Quota } from "../../generated/prisma/client.ts";
import { globalId } from "../../ids.ts";
import { type Change, changeOf } from "../../live/changes.ts";
import { inEffectOn, todayUtc, ymd } from "../../viewer.ts";

export const NOTIFICATION_KINDS: readonly NotificationKind[] = [
  "quota_threshold",
  "quota_exceeded",
  "analysis_finished",
];

export interface AppEvent {
  kind: NotificationKind;
  tenantId: string;
  /** The event's identity: the same key is the same event, written once. */
  key: string;
  title: string;
  body: string;
  /** Flat facts, sent as the webhook payload's `data` and kept on the notification. */
  data: Record<string, string | number | boolean | null>;
  /** Who is told in the app (and by mail, per their settings). */
  userIds: readonly string[];
  at: Date;
}

/** Writes the event's notifications and deliveries; returns their changes, to publish after commit. */
export async function raise(tx: Prisma.TransactionClient, event: AppEvent): Promise<Change[]> {
  const notes =
    event.userIds.length === 0
      ? []
      : await tx.notification.createManyAndReturn({
          data: event.userIds.map((userId) => ({
            userId,
            tenantId: event.tenantId,
            kind: event.kind,
            title: event.title,
            body: event.body,
            data: event.data,
            dedupeKey: event.key,
          })),
          skipDuplicates: true,
          select: { id: true, userId: true, tenantId: true },
        });
  // Raw: Prisma's `has` on an enum array is sent as text, which PostgreSQL refuses.
  const endpoints = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM webhook_endpoints
    WHERE tenant_id = ${event.tenantId}::uuid AND active AND ${event.kind}::"NotificationKind" = ANY(event_types)`;
  const deliveries =
    endpoints.length === 0
      ? []
      : await tx.webhookDelivery.createManyAndReturn({
          data: endpoints.map((e) => ({
            endpointId: e.id,
            tenantId: event.tenantId,
            event: event.kind,
            eventId: event.key,
            payload: { type: event.kind, createdAt: event.at.toISOString(), data: event.data },
            nextAttemptAt: event.at,
          })),
          skipDuplicates: true,
          select: { id: true, tenantId: true },
        });
  return [
    ...notes.map((n) => changeOf("Notification", "create", n)),
    ...deliveries.map((d) => changeOf("WebhookDelivery", "create", d)),
  ];
}

async function tenantAdmins(tx: Prisma.TransactionClient, tenantId: string, now: Date): Promise<string[]> {
  const rows = await tx.roleAssignment.findMany({
    where: {
      tenantId,
      role: { in: ["admin", "superadmin"] },
      user: { deletedAt: null },
      ...inEffectOn(todayUtc(now)),
    },
    select: { userId: true },
    distinct: ["userId"],
  });
  return rows.map((r) => r.userId);
}

/** The quota row as the statement that moved it returns it (`RETURNING ${CHARGED_QUOTA}`). */
export type ChargedQuota = Pick<
  Quota,
  | "id"
  | "tenantId"
  | "quotaType"
  | "quotaLimit"
  | "currentUsage"
  | "alertThresholdPercentage"
  | "periodStart"
  | "periodEnd"
>;

/** What a raw `UPDATE quotas q … RETURNING` lists so its row is a ChargedQuota. */
export const CHARGED_QUOTA = Prisma.sql`q.id, q.tenant_id AS "tenantId", q.quota_type AS "quotaType",
  q.quota_limit AS "quotaLimit", q.current_usage AS "currentUsage",
  q.alert_threshold_percentage AS "alertThresholdPercentage", q.period_start AS "periodStart",
  q.period_end AS "periodEnd"`;

/**
 * For meters that set a quota's level rather than charge it through consumeQuota (api_calls
 * flushes, storage bytes, seats): the alerts a move from `before` to the row's level now crossed,
 * and the quota's own change. Call it in the transaction that moved the level, with the row that
 * statement returned (no second read).
 */
export async function levelCrossings(
  tx: Prisma.TransactionClient,
  quota: ChargedQuota,
  before: bigint,
  now: Date,
): Promise<Change[]> {
  const moved = changeOf("Quota", "update", quota);
  if (quota.currentUsage <= before) return [moved];
  return [moved, ...(await quotaCrossings(tx, quota, quota.currentUsage - before, now))];
}

/**
 * After a charge of `amount` left the quota at `quota.currentUsage`: raises the threshold and the
 * exceeded events when this charge crossed them. The dedupe key names the quota, its period and
 * the kind, so a crossing is told once per period whatever else charges concurrently.
 */
export async function quotaCrossings(
  tx: Prisma.TransactionClient,
  quota: ChargedQuota,
  amount: bigint,
  now: Date,
): Promise<Change[]> {
  const after = quota.currentUsage;
  const before = after - amount;
  const limit = quota.quotaLimit;
  const threshold = BigInt(Math.ceil((Number(limit) * quota.alertThresholdPercentage) / 100));
  const kinds: NotificationKind[] = [];
  if (threshold < limit && before < threshold && after >= threshold) kinds.push("quota_threshold");
  if (before < limit && after >= limit) kinds.push("quota_exceeded");
  if (kinds.length === 0) return [];
  const admins = await tenantAdmins(tx, quota.tenantId, now);
  const percentage = limit === 0n ? 100 : Math.round((Number(after) / Number(limit)) * 10_000) / 100;
  const changes: Change[] = [];
  for (const kind of kinds) {
    const reached = kind === "quota_exceeded" ? "is used up" : `passed ${quota.alertThresholdPercentage}%`;
    changes.push(
      ...(await raise(tx, {
        kind,
        tenantId: quota.tenantId,
        key: `quota:${quota.id}:${ymd(quota.periodStart)}:${kind}`,
        title: `The ${quota.quotaType} quota ${reached}`,
        body: `${after} of ${limit} ${quota.quotaType} used (${percentage}%) in the period ${ymd(quota.periodStart)} to ${ymd(quota.periodEnd)}.`,
        data: {
          quotaId: globalId("Quota", quota.id),
          quotaType: quota.quotaType,
          usage: Number(after),
          limit: Number(limit),
          percentage,
          periodStart: ymd(quota.periodStart),
          periodEnd: ymd(quota.periodEnd),
        },
        userIds: admins,
        at: now,
      })),
    );
  }
  return changes;
}

/** An analysis ended (complete or failed): its owner is told, once per run. */
export function analysisFinished(
  tx: Prisma.TransactionClient,
  run: { id: string; userId: string; tenantId: string },
  outcome: "complete" | "failed",
  now: Date,
): Promise<Change[]> {
  return raise(tx, {
    kind: "analysis_finished",
    tenantId: run.tenantId,
    key: `analysis:${run.id}`,
    title: outcome === "complete" ? "Your analysis is ready" : "Your analysis failed",
    body:
      outcome === "complete"
        ? "The results of your analysis can be read now."
        : "Your analysis stopped before it finished; what it used was accounted.",
    data: { runId: globalId("AnalysisRun", run.id), status: outcome },
    userIds: [run.userId],
    at: now,
  });
}
