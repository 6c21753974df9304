// The usage one run costs, accounted once whatever way it ends.
import type { AnalysisRun, Prisma } from "../../generated/prisma/client.ts";
import { type Change, changeOf } from "../../live/changes.ts";
import { analysisFinished } from "../notifications/events.ts";
import { consumeQuota } from "../quota.ts";
import type { Scorer } from "./scorer.ts";

export type Outcome = "complete" | "failed" | "cancelled";

/**
 * The vital seed's agent usage flow (UserAgent counters, a UsageLog row, the tenant quota),
 * exactly once per run: usage_accounted_at is claimed in the same transaction, and the unique
 * analysisRunId on UsageLog would refuse a second row anyway. Returns the changes to publish
 * once the caller's transaction has committed.
 */
export async function accountRun(
  tx: Prisma.TransactionClient,
  run: AnalysisRun,
  scorer: Scorer,
  costPer1kTokens: number,
  outcome: Outcome,
  tokens: number,
): Promise<(Change | null)[]> {
  const claimedRows = await tx.$queryRaw<{ id: string }[]>`
    UPDATE analysis_runs SET usage_accounted_at = now()
    WHERE id = ${run.id}::uuid AND usage_accounted_at IS NULL RETURNING id`;
  if (claimedRows.length === 0) return [];
  const changes: (Change | null)[] =
    outcome === "cancelled" ? [] : await analysisFinished(tx, run, outcome, new Date());
  const cost = Math.round((tokens / 1000) * costPer1kTokens * 1e6) / 1e6;
  const now = new Date();
  if (tokens > 0) {
    const log = await tx.usageLog.create({
      data: {
        userId: run.userId,
        tenantId: run.tenantId,
        userAgentId: run.userAgentId,
        analysisRunId: run.id,
        provider: scorer.provider,
        model: scorer.model,
        tokensUsed: tokens,
        cost,
      },
    });
    changes.push(changeOf("UsageLog", "create", log));
  }
  if (run.userAgentId && (outcome !== "cancelled" || tokens > 0)) {
    await tx.userAgent.updateMany({
      where: { id: run.userAgentId },
      data: {
        usageCount: { increment: 1 },
        ...(outcome === "complete" ? { successCount: { increment: 1 } } : {}),
        ...(outcome === "failed" ? { errorCount: { increment: 1 } } : {}),
        totalTokensUsed: { increment: BigInt(tokens) },
        totalCostUsd: { increment: cost },
        lastUsedAt: now,
      },
    });
    await tx.userAgent.updateMany({ where: { id: run.userAgentId, firstUsedAt: null }, data: { firstUsedAt: now } });
    changes.push(changeOf("UserAgent", "update", { id: run.userAgentId, tenantId: run.tenantId, userId: run.userId }));
  }
  if (tokens === 0) return changes;
  // Refuses the whole transaction when the quota cannot take it (the caller then fails the run);
  // work spent on a failed or cancelled run is charged, but never past the limit.
  changes.push(
    ...(await consumeQuota(tx, run.tenantId, "tokens", tokens, outcome === "complete" ? {} : { capAtLimit: true })),
  );
  return changes;
}
