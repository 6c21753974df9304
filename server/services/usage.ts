import { badInput, quotaExceeded } from "../errors.ts";
import { Prisma, type PrismaClient, type Quota, type QuotaType } from "../generated/prisma/client.ts";
import type { SignedInViewer } from "../viewer.ts";
import { todayUtc } from "../viewer.ts";
import { audit } from "./audit.ts";

export { todayUtc };

export function percentage(q: Pick<Quota, "quotaLimit" | "currentUsage">): number {
  if (q.quotaLimit === 0n) return q.currentUsage > 0n ? 100 : 0;
  return Math.round((Number(q.currentUsage) / Number(q.quotaLimit)) * 10_000) / 100;
}

export function monthPeriod(day = todayUtc()) {
  const start = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), 1));
  const end = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 0));
  return { start, end };
}

export async function setQuota(
  prisma: PrismaClient,
  viewer: SignedInViewer,
  args: {
    quotaType: QuotaType;
    quotaLimit: number;
    alertThresholdPercentage?: number | null;
    periodStart?: Date | null;
    periodEnd?: Date | null;
  },
) {
  const month = monthPeriod();
  const start = args.periodStart ?? month.start;
  const end = args.periodEnd ?? (args.periodStart ? monthPeriod(args.periodStart).end : month.end);
  if (end < start) throw badInput("periodEnd", "periodEnd must not be before periodStart.");
  const limit = BigInt(args.quotaLimit);
  return prisma.$transaction(async (tx) => {
    const existing = await tx.quota.findUnique({
      where: {
        tenantId_quotaType_periodStart: { tenantId: viewer.tenantId, quotaType: args.quotaType, periodStart: start },
      },
    });
    const usage = existing?.currentUsage ?? 0n;
    const data = {
      quotaLimit: limit,
      periodEnd: end,
      alertThresholdPercentage: args.alertThresholdPercentage ?? existing?.alertThresholdPercentage ?? 80,
      isExceeded: usage > limit,
    };
    const quota = existing
      ? await tx.quota.update({ where: { id: existing.id }, data })
      : await tx.quota.create({
          data: { ...data, tenantId: viewer.tenantId, quotaType: args.quotaType, periodStart: start },
        });
    await audit(tx, {
      action: "quota.set",
      tenantId: viewer.tenantId,
      userId: viewer.userId,
      resource: "Quota",
      resourceId: quota.id,
      metadata: { quotaType: args.quotaType, limit: args.quotaLimit },
    });
    return quota;
  });
}

/**
 * Adds usage to the tenant's current quota of a type, atomically and only within the limit:
 * the conditional UPDATE is the check, so concurrent runs cannot overshoot together.
 * No quota row for the period means the tenant is not limited on that type.
 */
export async function consumeQuota(
  tx: Prisma.TransactionClient,
  tenantId: string,
  quotaType: QuotaType,
  amount: number,
): Promise<void> {
  const today = todayUtc();
  const quota = await tx.quota.findFirst({
    where: { tenantId, quotaType, periodStart: { lte: today }, periodEnd: { gte: today } },
    orderBy: { periodStart: "desc" },
  });
  if (!quota) return;
  const updated = await tx.$executeRaw`
    UPDATE quotas
    SET current_usage = current_usage + ${amount}, is_exceeded = current_usage + ${amount} >= quota_limit, updated_at = now()
    WHERE id = ${quota.id}::uuid AND current_usage + ${amount} <= quota_limit`;
  if (updated === 0) {
    await tx.$executeRaw`UPDATE quotas SET is_exceeded = true, updated_at = now() WHERE id = ${quota.id}::uuid`;
    throw quotaExceeded(
      `The ${quotaType} quota of this workspace is used up (${quota.currentUsage} of ${quota.quotaLimit} until ${quota.periodEnd.toISOString().slice(0, 10)}).`,
    );
  }
}

/** Whether a quota is already used up, checked before starting work. */
export async function assertQuotaAvailable(
  prisma: PrismaClient,
  tenantId: string,
  quotaType: QuotaType,
): Promise<void> {
  const today = todayUtc();
  const quota = await prisma.quota.findFirst({
    where: { tenantId, quotaType, periodStart: { lte: today }, periodEnd: { gte: today } },
    orderBy: { periodStart: "desc" },
  });
  if (quota && quota.currentUsage >= quota.quotaLimit)
    throw quotaExceeded(
      `The ${quotaType} quota of this workspace is used up until ${quota.periodEnd.toISOString().slice(0, 10)}.`,
    );
}

export interface UsageBucket {
  key: string;
  requests: number;
  tokens: number;
  cost: number;
}

export interface UsageReport {
  totalTokens: number;
  totalCost: number;
  byMonth: UsageBucket[];
  byModel: UsageBucket[];
}

/** The seed's two example queries: usage per month, and the most expensive models. */
export async function report(
  prisma: PrismaClient,
  scope: { userId: string } | { tenantId: string },
  months: number,
): Promise<UsageReport> {
  const since = new Date(Date.UTC(todayUtc().getUTCFullYear(), todayUtc().getUTCMonth() - (months - 1), 1));
  const where =
    "userId" in scope ? Prisma.sql`user_id = ${scope.userId}::uuid` : Prisma.sql`tenant_id = ${scope.tenantId}::uuid`;
  type Row = { key: string; requests: bigint; tokens: bigint | null; cost: Prisma.Decimal | null };
  const [byMonth, byModel] = await Promise.all([
    prisma.$queryRaw<Row[]>`
      SELECT to_char(date_trunc('month', created_at AT TIME ZONE 'UTC'), 'YYYY-MM') AS key,
             count(*) AS requests, sum(tokens_used) AS tokens, sum(cost) AS cost
      FROM usage_logs WHERE ${where} AND created_at >= ${since}
      GROUP BY 1 ORDER BY 1`,
    prisma.$queryRaw<Row[]>`
      SELECT model AS key, count(*) AS requests, sum(tokens_used) AS tokens, sum(cost) AS cost
      FROM usage_logs WHERE ${where} AND created_at >= ${since}
      GROUP BY model ORDER BY sum(cost) DESC NULLS LAST, model`,
  ]);
  const toBucket = (r: Row): UsageBucket => ({
    key: r.key,
    requests: Number(r.requests),
    tokens: Number(r.tokens ?? 0),
    cost: Number(r.cost ?? 0),
  });
  const monthBuckets = byMonth.map(toBucket);
  return {
    byMonth: monthBuckets,
    byModel: byModel.map(toBucket),
    totalTokens: monthBuckets.reduce((s, b) => s + b.tokens, 0),
    totalCost: Math.round(monthBuckets.reduce((s, b) => s + b.cost, 0) * 1e6) / 1e6,
  };
}
