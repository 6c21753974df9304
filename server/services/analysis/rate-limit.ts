import { RateLimiterPrisma, RateLimiterRes } from "rate-limiter-flexible";
import { rateLimited } from "../../errors.ts";
import type { PrismaClient, RateLimitConfig, RateLimitType } from "../../generated/prisma/client.ts";
import type { SignedInViewer } from "../../viewer.ts";
import { limitKey } from "../rate-limits.ts";

export const START_ACTION = "analysis.start";

const WINDOW_SECONDS: Record<Exclude<RateLimitType, "concurrent_requests">, number> = {
  requests_per_minute: 60,
  requests_per_hour: 3_600,
  requests_per_day: 86_400,
};

/**
 * Rate limits on starting analyses, from RateLimitConfig rows (the vital seed's global / tenant /
 * user / agent scopes), with windows counted in rate_limit_usage by rate-limiter-flexible so every
 * instance shares them. `defaultPerHour` applies per user when no row limits the user.
 */
export function createStartLimiter(
  prisma: PrismaClient,
  defaultPerHour: number,
  /** Records a refusal by a configured limit (rate_limit_violations). */
  onRefused: (c: RateLimitConfig, viewer: SignedInViewer, retryAfterSeconds: number) => Promise<void> = async () => {},
) {
  const limiters = new Map<string, RateLimiterPrisma>();
  const limiter = (points: number, duration: number) => {
    const k = `${points}:${duration}`;
    let l = limiters.get(k);
    if (!l) {
      l = new RateLimiterPrisma({
        storeClient: prisma,
        tableName: "rateLimitUsage",
        keyPrefix: "analysis",
        points,
        duration,
        clearExpiredByTimeout: false,
      });
      limiters.set(k, l);
    }
    return l;
  };

  async function running(c: RateLimitConfig, viewer: SignedInViewer, agentId: string | null): Promise<number> {
    const active = { status: { in: ["queued" as const, "running" as const] } };
    switch (c.limitScope) {
      case "global":
        return prisma.analysisRun.count({ where: active });
      case "tenant":
        return prisma.analysisRun.count({ where: { ...active, tenantId: viewer.tenantId } });
      case "user":
        return prisma.analysisRun.count({ where: { ...active, userId: viewer.userId } });
      case "agent":
        return agentId ? prisma.analysisRun.count({ where: { ...active, userAgent: { agentId } } }) : 0;
      case "api_key":
        return 0; // runs do not record the key that started them
    }
  }

  return {
    /** Throws RATE_LIMITED when any applicable limit is reached; otherwise counts this start against all. */
    async consume(viewer: SignedInViewer, agentId: string | null): Promise<void> {
      const configs = await prisma.rateLimitConfig.findMany({
        where: {
          action: START_ACTION,
          isActive: true,
          AND: [
            { OR: [{ tenantId: null }, { tenantId: viewer.tenantId }] },
            { OR: [{ userId: null }, { userId: viewer.userId }] },
            { OR: [{ agentId: null }, ...(agentId ? [{ agentId }] : [])] },
          ],
        },
        orderBy: { createdAt: "asc" },
      });
      const windows: { key: string; points: number; duration: number; config?: RateLimitConfig }[] = [];
      const refuse = async (w: (typeof windows)[number], ms: number): Promise<never> => {
        const seconds = Math.max(1, Math.ceil(ms / 1000));
        if (w.config) await onRefused(w.config, viewer, seconds);
        throw rateLimited(seconds);
      };
      for (const c of configs) {
        if (c.limitType === "concurrent_requests") {
          if ((await running(c, viewer, agentId)) >= c.limitValue) {
            await onRefused(c, viewer, 5);
            throw rateLimited(5);
          }
          continue;
        }
        const key = limitKey(c, viewer, agentId);
        if (key) windows.push({ key, points: c.limitValue, duration: WINDOW_SECONDS[c.limitType], config: c });
      }
      if (defaultPerHour > 0 && !configs.some((c) => c.limitScope === "user" && c.limitType !== "concurrent_requests"))
        windows.push({ key: `default:user:${viewer.userId}`, points: defaultPerHour, duration: 3_600 });
      // Checked before anything is counted, so a start refused by one limit does not use up the others.
      for (const w of windows) {
        const res = await limiter(w.points, w.duration).get(w.key);
        if (res && res.remainingPoints <= 0) await refuse(w, res.msBeforeNext);
      }
      for (const w of windows) {
        try {
          await limiter(w.points, w.duration).consume(w.key, 1);
        } catch (e) {
          if (e instanceof RateLimiterRes) await refuse(w, e.msBeforeNext);
          throw e;
        }
      }
    },
  };
}
