import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import { todayUtc, ymd } from "../viewer.ts";

export interface UsageBucket {
  key: string;
  /** What to show for the key: the agent's or user's name; the key itself for months, days, models. */
  label: string;
  requests: number;
  tokens: number;
  cost: number;
}

export interface DayCount {
  day: string;
  calls: number;
}

export interface UsageReport {
  totalTokens: number;
  totalCost: number;
  byMonth: UsageBucket[];
  byDay: UsageBucket[];
  byModel: UsageBucket[];
  byAgent: UsageBucket[];
  byUser: UsageBucket[];
  apiCallsByDay: DayCount[];
}

export type UsageScope = { userId: string } | { tenantId: string };

const DAY_MS = 86_400_000;

/**
 * Usage per month, per day (the last `days` days), per model, per agent and per user, of one user
 * or of a whole tenant, with the API calls the api_calls meter counted. Read from the totals a
 * trigger keeps as usage rows are written (usage_monthly, usage_daily), never from usage_logs: the
 * report costs the same however many rows there are, and agrees before and after retention prunes
 * them.
 */
export async function report(
  prisma: PrismaClient,
  scope: UsageScope,
  months: number,
  options: { days?: number; now?: Date } = {},
): Promise<UsageReport> {
  const today = todayUtc(options.now);
  const since = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - (months - 1), 1));
  const sinceDay = new Date(today.getTime() - ((options.days ?? 30) - 1) * DAY_MS);
  const col = (table: string) =>
    "userId" in scope
      ? Prisma.sql`${Prisma.raw(`${table}.user_id`)} = ${scope.userId}::uuid`
      : Prisma.sql`${Prisma.raw(`${table}.tenant_id`)} = ${scope.tenantId}::uuid`;
  // Months are dates (their first day): compared as dates, not as instants.
  const inMonths = Prisma.sql`${col("m")} AND m.month >= ${ymd(since)}::date`;
  type Row = { key: string; label?: string; requests: bigint; tokens: bigint | null; cost: Prisma.Decimal | null };
  const sums = (t: string) =>
    Prisma.raw(`sum(${t}.calls) AS requests, sum(${t}.tokens) AS tokens, sum(${t}.cost) AS cost`);
  const [byMonth, byDay, byModel, byAgent, byUser, calls] = await Promise.all([
    prisma.$queryRaw<Row[]>`
      SELECT to_char(m.month, 'YYYY-MM') AS key, ${sums("m")}
      FROM usage_monthly m WHERE ${inMonths}
      GROUP BY 1 ORDER BY 1`,
    prisma.$queryRaw<Row[]>`
      SELECT to_char(d.day, 'YYYY-MM-DD') AS key, ${sums("d")}
      FROM usage_daily d WHERE ${col("d")} AND d.day >= ${ymd(sinceDay)}::date
      GROUP BY 1 ORDER BY 1`,
    prisma.$queryRaw<Row[]>`
      SELECT m.model AS key, ${sums("m")}
      FROM usage_monthly m WHERE ${inMonths}
      GROUP BY m.model ORDER BY sum(m.cost) DESC NULLS LAST, m.model`,
    // Use of no agent (analyses without one) is one bucket with an empty key; an agent removed
    // since keeps its totals under its old id.
    prisma.$queryRaw<Row[]>`
      SELECT m.agent_key AS key,
        coalesce(ua.custom_name, a.name, CASE WHEN m.agent_key = '' THEN 'Analyses and other use' ELSE 'Removed agent' END) AS label,
        ${sums("m")}
      FROM usage_monthly m
      LEFT JOIN user_agents ua ON ua.id = NULLIF(m.agent_key, '')::uuid
      LEFT JOIN agents a ON a.id = ua.agent_id
      WHERE ${inMonths}
      GROUP BY 1, 2 ORDER BY sum(m.tokens) DESC NULLS LAST, 2`,
    prisma.$queryRaw<Row[]>`
      SELECT us.id::text AS key, us.display_name AS label, ${sums("m")}
      FROM usage_monthly m JOIN users us ON us.id = m.user_id
      WHERE ${inMonths}
      GROUP BY 1, 2 ORDER BY sum(m.tokens) DESC NULLS LAST, 2`,
    prisma.$queryRaw<{ day: string; calls: bigint }[]>`
      SELECT to_char(c.day, 'YYYY-MM-DD') AS day, sum(c.calls) AS calls
      FROM api_call_counts c WHERE ${col("c")} AND c.day >= ${ymd(sinceDay)}::date
      GROUP BY c.day ORDER BY c.day`,
  ]);
  const toBucket = (r: Row): UsageBucket => ({
    key: r.key,
    label: r.label ?? r.key,
    requests: Number(r.requests),
    tokens: Number(r.tokens ?? 0),
    cost: Number(r.cost ?? 0),
  });
  const monthBuckets = byMonth.map(toBucket);
  return {
    byMonth: monthBuckets,
    byDay: byDay.map(toBucket),
    byModel: byModel.map(toBucket),
    byAgent: byAgent.map(toBucket),
    byUser: byUser.map(toBucket),
    apiCallsByDay: calls.map((c) => ({ day: c.day, calls: Number(c.calls) })),
    totalTokens: monthBuckets.reduce((s, b) => s + b.tokens, 0),
    totalCost: Math.round(monthBuckets.reduce((s, b) => s + b.cost, 0) * 1e6) / 1e6,
  };
}
