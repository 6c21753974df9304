// The one home of "the tenant's quota of type X on day D". A quota is a standing limit with a
// period kind: its row keeps the usage of the period last charged, and the first charge (or read)
// in a later period sees that usage start again from zero. Nothing lapses at a month's end, so a
// tenant with a quota never becomes unlimited; only a tenant without a quota row is unlimited.
import { badInput, quotaExceeded } from "../errors.ts";
import type { Prisma, PrismaClient, Quota, QuotaPeriod, QuotaType } from "../generated/prisma/client.ts";
import { type Change, changeOf, transact } from "../live/changes.ts";
import type { SignedInViewer } from "../viewer.ts";
import { todayUtc, ymd } from "../viewer.ts";
import { audit } from "./audit.ts";
import { quotaCrossings } from "./notifications/events.ts";
import { activeMembers } from "./seats.ts";

type Db = PrismaClient | Prisma.TransactionClient;

export const QUOTA_PERIODS: readonly QuotaPeriod[] = ["day", "week", "month", "year"];

const DAY_MS = 86_400_000;

/**
 * Quota types that measure a level (members, stored bytes) rather than a flow: their usage is what
 * exists now, so a new period does not start them from zero. The file service raises and lowers
 * storage; setting a level quota measures it afresh.
 */
export const isLevel = (t: QuotaType) => t === "users" || t === "storage_gb";

/** The UTC period of `kind` holding `day`, both ends inclusive (period_end is a DATE). Weeks are ISO, Monday first. */
export function periodCovering(kind: QuotaPeriod, day: Date): { start: Date; end: Date } {
  const d = todayUtc(day);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  switch (kind) {
    case "day":
      return { start: d, end: d };
    case "week": {
      const start = new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY_MS);
      return { start, end: new Date(start.getTime() + 6 * DAY_MS) };
    }
    case "month":
      return { start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 0)) };
    case "year":
      return { start: new Date(Date.UTC(y, 0, 1)), end: new Date(Date.UTC(y, 11, 31)) };
  }
}

/**
 * The quota as it stands at `now`: when the stored period is over, the period in course with
 * usage zero. Reads use this, so a quota shows a fresh period before anything is charged in it.
 */
export function quotaAt(q: Quota, now: Date): Quota {
  if (isLevel(q.quotaType)) return q;
  const { start, end } = periodCovering(q.period, now);
  if (q.periodStart.getTime() >= start.getTime()) return q;
  return { ...q, currentUsage: 0n, isExceeded: false, periodStart: start, periodEnd: end };
}

/** The tenant's quota of a type covering the day of `now`, or null when none is set (unlimited). */
export async function quotaCovering(
  db: Db,
  tenantId: string,
  quotaType: QuotaType,
  now: Date = new Date(),
): Promise<Quota | null> {
  const q = await db.quota.findUnique({ where: { tenantId_quotaType: { tenantId, quotaType } } });
  return q && quotaAt(q, now);
}

export function percentage(q: Pick<Quota, "quotaLimit" | "currentUsage">): number {
  if (q.quotaLimit === 0n) return q.currentUsage > 0n ? 100 : 0;
  return Math.round((Number(q.currentUsage) / Number(q.quotaLimit)) * 10_000) / 100;
}

const until = (q: Quota) => ymd(q.periodEnd);

/**
 * Moves the stored row into the period of `now` with usage zero. The condition makes it happen
 * once: a concurrent charge waits on the row lock, then finds the period already moved.
 */
async function rollOver(tx: Prisma.TransactionClient, q: Quota, now: Date): Promise<void> {
  if (isLevel(q.quotaType)) return;
  const { start, end } = periodCovering(q.period, now);
  if (q.periodStart.getTime() >= start.getTime()) return;
  // Dates as YYYY-MM-DD text: a timestamp cast to date would follow the session's time zone.
  const [s, e] = [ymd(start), ymd(end)];
  await tx.$executeRaw`
    UPDATE quotas SET current_usage = 0, is_exceeded = false, period_start = ${s}::date,
      period_end = ${e}::date, updated_at = now()
    WHERE id = ${q.id}::uuid AND period_start < ${s}::date`;
}

/**
 * Adds usage to the tenant's quota of a type in the period of `now`, atomically and only within
 * the limit: the conditional UPDATE is the check, so concurrent charges cannot overshoot together.
 * `capAtLimit` charges what is left instead of refusing (work already spent on a failed run).
 * Returns the quota's change and those of the alerts it raised, for the caller to publish once its
 * transaction has committed.
 */
export async function consumeQuota(
  tx: Prisma.TransactionClient,
  tenantId: string,
  quotaType: QuotaType,
  amount: number | bigint,
  options: { now?: Date; capAtLimit?: boolean } = {},
): Promise<Change[]> {
  const now = options.now ?? new Date();
  const quota = await tx.quota.findUnique({ where: { tenantId_quotaType: { tenantId, quotaType } } });
  if (!quota) return [];
  await rollOver(tx, quota, now);
  const n = BigInt(amount);
  // RETURNING reads the row as this charge left it, under the row lock: the crossing check below
  // sees exactly the usage before and after this charge, whatever charges concurrently.
  const [charged] = options.capAtLimit
    ? await tx.$queryRaw<Charged[]>`
        UPDATE quotas SET current_usage = LEAST(quota_limit, current_usage + ${n}::bigint),
          is_exceeded = current_usage + ${n}::bigint >= quota_limit, updated_at = now()
        WHERE id = ${quota.id}::uuid
        RETURNING current_usage, quota_limit, alert_threshold_percentage, period_start, period_end`
    : await tx.$queryRaw<Charged[]>`
        UPDATE quotas
        SET current_usage = current_usage + ${n}::bigint, is_exceeded = current_usage + ${n}::bigint >= quota_limit, updated_at = now()
        WHERE id = ${quota.id}::uuid AND current_usage + ${n}::bigint <= quota_limit
        RETURNING current_usage, quota_limit, alert_threshold_percentage, period_start, period_end`;
  if (!charged) {
    const fresh = await tx.quota.findUniqueOrThrow({ where: { id: quota.id } });
    throw quotaExceeded(
      `The ${quotaType} quota of this workspace is used up (${fresh.currentUsage} of ${fresh.quotaLimit} until ${until(fresh)}).`,
    );
  }
  const alerts = await quotaCrossings(
    tx,
    {
      id: quota.id,
      tenantId,
      quotaType,
      quotaLimit: BigInt(charged.quota_limit),
      currentUsage: BigInt(charged.current_usage),
      alertThresholdPercentage: Number(charged.alert_threshold_percentage),
      periodStart: charged.period_start,
      periodEnd: charged.period_end,
    },
    n,
    now,
  );
  return [changeOf("Quota", "update", quota), ...alerts];
}

interface Charged {
  current_usage: bigint;
  quota_limit: bigint;
  alert_threshold_percentage: number;
  period_start: Date;
  period_end: Date;
}

/** Refuses before starting work when the quota cannot take `needed` more in the period of `now`. */
export async function assertQuotaAvailable(
  db: Db,
  tenantId: string,
  quotaType: QuotaType,
  options: { now?: Date; needed?: number } = {},
): Promise<void> {
  const quota = await quotaCovering(db, tenantId, quotaType, options.now);
  if (quota && quota.currentUsage + BigInt(options.needed ?? 1) > quota.quotaLimit)
    throw quotaExceeded(`The ${quotaType} quota of this workspace is used up until ${until(quota)}.`);
}

/**
 * Sets the tenant's standing limit of a type. Changing the period kind carries the usage of the
 * period in course into the new kind's period, so a change of kind never erases spending.
 */
export async function setQuota(
  prisma: PrismaClient,
  viewer: SignedInViewer,
  args: {
    quotaType: QuotaType;
    quotaLimit: number;
    alertThresholdPercentage?: number | null;
    period?: QuotaPeriod | null;
  },
  now: Date = new Date(),
): Promise<Quota> {
  if (!Number.isSafeInteger(args.quotaLimit) || args.quotaLimit < 0)
    throw badInput("quotaLimit", "quotaLimit must be a whole number, 0 or more.");
  const limit = BigInt(args.quotaLimit);
  return transact(prisma, async (tx, note) => {
    const stored = await tx.quota.findUnique({
      where: { tenantId_quotaType: { tenantId: viewer.tenantId, quotaType: args.quotaType } },
    });
    const existing = stored && quotaAt(stored, now);
    const period = args.period ?? existing?.period ?? "month";
    const { start, end } = periodCovering(period, now);
    const usage =
      args.quotaType === "users"
        ? BigInt(await activeMembers(tx, viewer.tenantId, now))
        : args.quotaType === "storage_gb"
          ? ((await tx.file.aggregate({ where: { tenantId: viewer.tenantId }, _sum: { size: true } }))._sum.size ?? 0n)
          : (existing?.currentUsage ?? 0n);
    const data = {
      period,
      quotaLimit: limit,
      currentUsage: usage,
      periodStart: start,
      periodEnd: end,
      alertThresholdPercentage: args.alertThresholdPercentage ?? existing?.alertThresholdPercentage ?? 80,
      isExceeded: usage > limit,
    };
    const quota = await tx.quota.upsert({
      where: { tenantId_quotaType: { tenantId: viewer.tenantId, quotaType: args.quotaType } },
      update: data,
      create: { ...data, tenantId: viewer.tenantId, quotaType: args.quotaType },
    });
    note(
      changeOf("Quota", stored ? "update" : "create", quota),
      await audit(tx, {
        action: "quota.set",
        tenantId: viewer.tenantId,
        userId: viewer.userId,
        resource: "Quota",
        resourceId: quota.id,
        metadata: { quotaType: args.quotaType, limit: args.quotaLimit, period },
      }),
    );
    return quota;
  });
}
