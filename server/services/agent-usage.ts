// The vital seed's track_agent_usage for agent backends outside this server: one call of a
// user's agent updates the copy's counters, writes a UsageLog row and charges the tenant's
// tokens quota, all in one transaction. Backends retry on timeouts, so every call carries the
// caller's idempotency key and a retry is answered from the first record, charged once.
import { AppError, isPrismaError, notFound } from "../errors.ts";
import type { PrismaClient, UsageLog } from "../generated/prisma/client.ts";
import { changeOf, transact } from "../live/changes.ts";
import type { SignedInViewer } from "../viewer.ts";
import { consumeQuota } from "./quota.ts";

export interface AgentUsageInput {
  userAgentId: string;
  success: boolean;
  tokens: number;
  cost: number;
  model: string;
  messages?: number | null;
  responseTimeMs?: number | null;
  idempotencyKey: string;
}

export interface AgentUsageRecord {
  usageLog: UsageLog;
  /** True when the key had been recorded before and nothing new was written or charged. */
  replayed: boolean;
}

/** Usage reported by an agent backend, as opposed to the analysis pipeline's own provider. */
export const AGENT_PROVIDER = "agent";

export async function recordAgentUsage(
  prisma: PrismaClient,
  viewer: SignedInViewer,
  input: AgentUsageInput,
  now: Date = new Date(),
): Promise<AgentUsageRecord> {
  input = { ...input, model: input.model.trim() };
  const ua = await prisma.userAgent.findFirst({
    where: { id: input.userAgentId, userId: viewer.userId, deletedAt: null },
    select: { id: true },
  });
  if (!ua) throw notFound("UserAgent");
  const earlier = () =>
    prisma.usageLog.findUnique({
      where: { userId_idempotencyKey: { userId: viewer.userId, idempotencyKey: input.idempotencyKey } },
    });
  const before = await earlier();
  if (before) return replay(before, input);
  try {
    const usageLog = await transact(prisma, async (tx, note) => {
      // First, so a call over the quota writes nothing at all (the refusal rolls everything back).
      note(...(await consumeQuota(tx, viewer.tenantId, "tokens", input.tokens, { now })));
      const log = await tx.usageLog.create({
        data: {
          userId: viewer.userId,
          tenantId: viewer.tenantId,
          userAgentId: ua.id,
          provider: AGENT_PROVIDER,
          model: input.model,
          tokensUsed: input.tokens,
          cost: input.cost,
          idempotencyKey: input.idempotencyKey,
          createdAt: now,
        },
      });
      // One statement, so concurrent calls of one agent cannot lose each other's increments. The
      // running average weighs earlier calls by usage_count (analysis runs count there too and
      // report no time), which is the seed's own approximation.
      const rt = input.responseTimeMs ?? null;
      await tx.$executeRaw`
        UPDATE user_agents SET
          usage_count = usage_count + 1,
          message_count = message_count + ${input.messages ?? 0}::int,
          success_count = success_count + ${input.success ? 1 : 0}::int,
          error_count = error_count + ${input.success ? 0 : 1}::int,
          total_tokens_used = total_tokens_used + ${input.tokens}::bigint,
          total_cost_usd = total_cost_usd + ${input.cost}::numeric,
          avg_response_time_ms = CASE
            WHEN ${rt}::int IS NULL THEN avg_response_time_ms
            WHEN avg_response_time_ms IS NULL THEN ${rt}::int
            ELSE round((avg_response_time_ms::numeric * usage_count + ${rt}::int) / (usage_count + 1))::int
          END,
          first_used_at = COALESCE(first_used_at, ${now}::timestamptz),
          last_used_at = GREATEST(last_used_at, ${now}::timestamptz),
          updated_at = now()
        WHERE id = ${ua.id}::uuid`;
      note(
        changeOf("UsageLog", "create", log),
        changeOf("UserAgent", "update", { id: ua.id, tenantId: viewer.tenantId, userId: viewer.userId }),
      );
      return log;
    });
    return { usageLog, replayed: false };
  } catch (e) {
    // A concurrent call with the same key committed first: its record stands, this one rolled back.
    if (isPrismaError(e, "P2002")) {
      const first = await earlier();
      if (first) return replay(first, input);
    }
    throw e;
  }
}

/** A retry must be the same call; a different one reusing the key is the caller's bug, not a retry. */
function replay(log: UsageLog, input: AgentUsageInput): AgentUsageRecord {
  if (log.userAgentId !== input.userAgentId || log.tokensUsed !== input.tokens || log.model !== input.model)
    throw new AppError("CONFLICT", "This idempotency key was already used for a different call.", {
      field: "idempotencyKey",
    });
  return { usageLog: log, replayed: true };
}
