import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import { todayUtc } from "../viewer.ts";

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
