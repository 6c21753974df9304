// Rate limits as data: tenant admins keep RateLimitConfig rows (scope global/tenant/user/agent/
// api_key, per minute/hour/day or concurrent) for two actions: `api.request` (every GraphQL
// operation made with an API key) and `analysis.start` (analysis/rate-limit.ts). Windows are
// counted by rate-limiter-flexible, in Redis when REDIS_URL is set and else in rate_limit_usage,
// so all instances share them. Every refusal is recorded in rate_limit_violations for admins.
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { type RateLimiterAbstract, RateLimiterPrisma, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { badInput, forbidden, notFound, rateLimited } from "../errors.ts";
import type { PrismaClient, RateLimitConfig, RateLimitScope, RateLimitType } from "../generated/prisma/client.ts";
import { isUuid } from "../ids.ts";
import { requireOnUse } from "../require-on-use.ts";
import { sharedReads } from "../shared-reads.ts";
import type { SignedInViewer } from "../viewer.ts";
import { isTenantAdmin } from "../viewer.ts";
import { audit } from "./audit.ts";

export const RATE_LIMIT_ACTIONS = ["api.request", "analysis.start"] as const;
export type RateLimitAction = (typeof RATE_LIMIT_ACTIONS)[number];

export const WINDOW_SECONDS: Record<Exclude<RateLimitType, "concurrent_requests">, number> = {
  requests_per_minute: 60,
  requests_per_hour: 3_600,
  requests_per_day: 86_400,
};

export interface RateLimitInput {
  action: string;
  limitType: RateLimitType;
  limitScope: RateLimitScope;
  limitValue: number;
  userId?: string | null;
  agentId?: string | null;
  apiKeyId?: string | null;
  isActive?: boolean | null;
}

/**
 * How long an in-flight slot held in Redis lives unless its instance renews it (every third of
 * this while the operation runs): the slots of an instance that died lapse after at most this long.
 */
export const CONCURRENT_LEASE_MS = 30_000;

// One slot under several limits, all or none, atomically: each limit is a sorted set of lease ids
// scored by their expiry; lapsed leases are dropped first. Returns 0, or the 1-based index of the
// first full limit.
const ACQUIRE = `
local now = tonumber(ARGV[1])
local expiry = tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) >= tonumber(ARGV[3 + i]) then return i end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, expiry, ARGV[3])
  redis.call('PEXPIREAT', key, expiry)
end
return 0`;

type LeaseRedis = Redis & {
  upAcquireSlots(numKeys: number, ...keysAndArgs: (string | number)[]): Promise<number>;
};

/**
 * The counter a configured limit keeps for this caller, or null when the limit does not bind them.
 * One home for the API's request limits and the analysis start limits (analysis/rate-limit.ts).
 */
export function limitKey(
  c: Pick<RateLimitConfig, "id" | "limitScope" | "userId" | "apiKeyId" | "agentId">,
  viewer: SignedInViewer,
  agentId: string | null = null,
): string | null {
  const apiKeyId = viewer.kind === "apiKey" ? viewer.apiKeyId : null;
  switch (c.limitScope) {
    case "global":
      return `${c.id}:global`;
    case "tenant":
      return `${c.id}:tenant:${viewer.tenantId}`;
    case "user":
      return c.userId && c.userId !== viewer.userId ? null : `${c.id}:user:${viewer.userId}`;
    case "api_key":
      return apiKeyId && (!c.apiKeyId || c.apiKeyId === apiKeyId) ? `${c.id}:key:${apiKeyId}` : null;
    case "agent":
      // A request names no agent: agent limits bind the analyses started with one.
      return agentId && (!c.agentId || c.agentId === agentId) ? `${c.id}:agent:${agentId}` : null;
  }
}

export function createRateLimits(
  prisma: PrismaClient,
  options: {
    redisUrl?: string | undefined;
    now?: () => number;
    /** How long API-request limits are kept in memory before they are read again (other instances' changes). */
    configCacheMs?: number;
  },
) {
  const configCacheMs = options.configCacheMs ?? 5_000;
  const clock = options.now ?? Date.now;
  const redis = options.redisUrl
    ? new (requireOnUse("ioredis") as typeof import("ioredis")).Redis(options.redisUrl, {
        maxRetriesPerRequest: 3,
        lazyConnect: true,
      })
    : null;
  redis?.defineCommand("upAcquireSlots", { lua: ACQUIRE });
  const leases = redis as LeaseRedis | null;
  const limiters = new Map<string, RateLimiterAbstract>();
  const limiter = (prefix: string, points: number, duration: number) => {
    const k = `${prefix}:${points}:${duration}`;
    let l = limiters.get(k);
    if (!l) {
      l = redis
        ? new RateLimiterRedis({ storeClient: redis, keyPrefix: prefix, points, duration })
        : new RateLimiterPrisma({
            storeClient: prisma,
            tableName: "rateLimitUsage",
            keyPrefix: prefix,
            points,
            duration,
            clearExpiredByTimeout: false,
          });
      limiters.set(k, l);
    }
    return l;
  };

  const cache = new Map<string, { rows: RateLimitConfig[]; readAt: number }>();
  /** This instance's changes to the configurations so far: a read begun before one is not kept. */
  let changes = 0;
  const reading = sharedReads<string, RateLimitConfig[]>();
  async function apiConfigs(tenantId: string): Promise<RateLimitConfig[]> {
    const hit = cache.get(tenantId);
    if (hit && Date.now() - hit.readAt < configCacheMs) return hit.rows;
    const mark = changes;
    return reading(
      tenantId,
      async () => {
        const rows = await prisma.rateLimitConfig.findMany({
          where: {
            action: "api.request",
            isActive: true,
            OR: [{ tenantId: null }, { tenantId }],
          },
          orderBy: { createdAt: "asc" },
        });
        if (mark === changes) cache.set(tenantId, { rows, readAt: Date.now() });
        return rows;
      },
      mark,
    );
  }
  const changed = (tenantId: string) => {
    changes++;
    cache.delete(tenantId);
  };

  async function violation(c: RateLimitConfig, viewer: SignedInViewer, retryAfterSeconds: number) {
    await prisma.rateLimitViolation.create({
      data: {
        configId: c.id,
        tenantId: viewer.tenantId,
        userId: viewer.userId,
        apiKeyId: viewer.kind === "apiKey" ? viewer.apiKeyId : null,
        action: c.action,
        limitType: c.limitType,
        limitScope: c.limitScope,
        limitValue: c.limitValue,
        retryAfterSeconds,
      },
    });
  }

  // Operations in flight per limit key. Embedded (one instance): counted here. Scaled (REDIS_URL):
  // leases in Redis, shared by every instance (see ACQUIRE).
  const inFlight = new Map<string, number>();

  async function enterLocal(slots: { c: RateLimitConfig; k: string }[], viewer: SignedInViewer) {
    const full = slots.find((s) => (inFlight.get(s.k) ?? 0) >= s.c.limitValue);
    if (full) await refuse(full.c, viewer, 1000);
    for (const s of slots) inFlight.set(s.k, (inFlight.get(s.k) ?? 0) + 1);
    return () => {
      for (const s of slots) {
        const n = (inFlight.get(s.k) ?? 1) - 1;
        if (n <= 0) inFlight.delete(s.k);
        else inFlight.set(s.k, n);
      }
    };
  }

  async function enterShared(
    r: LeaseRedis,
    slots: { c: RateLimitConfig; k: string }[],
    viewer: SignedInViewer,
  ): Promise<() => Promise<void>> {
    const lease = randomUUID();
    const keys = slots.map((s) => `rl:concurrent:${s.k}`);
    const expiry = () => clock() + CONCURRENT_LEASE_MS;
    const full = await r.upAcquireSlots(
      keys.length,
      ...keys,
      clock(),
      expiry(),
      lease,
      ...slots.map((s) => s.c.limitValue),
    );
    const refused = full > 0 ? slots[full - 1] : undefined;
    if (refused) await refuse(refused.c, viewer, 1000);
    // Renewed while the operation runs (XX: a lease that lapsed meanwhile is not brought back).
    const renew = setInterval(() => {
      const at = expiry();
      const batch = r.multi();
      for (const k of keys) batch.zadd(k, "XX", at, lease).pexpireat(k, at);
      batch.exec().catch(() => undefined);
    }, CONCURRENT_LEASE_MS / 3);
    renew.unref();
    return async () => {
      clearInterval(renew);
      const batch = r.multi();
      for (const k of keys) batch.zrem(k, lease);
      // A release Redis did not take lapses with its lease; the request itself has succeeded.
      await batch.exec().catch(() => undefined);
    };
  }

  async function refuse(c: RateLimitConfig, viewer: SignedInViewer, msBeforeNext: number): Promise<never> {
    const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
    await violation(c, viewer, seconds);
    throw rateLimited(seconds);
  }

  return {
    /**
     * Counts one API-key request against every `api.request` limit that applies, or throws
     * RATE_LIMITED (recorded) when one is used up. Tenants without such limits cost nothing here.
     */
    async admitRequest(viewer: SignedInViewer & { kind: "apiKey" }): Promise<void> {
      const configs = await apiConfigs(viewer.tenantId);
      const windows = configs.flatMap((c) => {
        const k = limitKey(c, viewer);
        return k && c.limitType !== "concurrent_requests" ? [{ c, k, duration: WINDOW_SECONDS[c.limitType] }] : [];
      });
      // Checked before anything is counted, so a request refused by one limit does not use up the others.
      for (const w of windows) {
        const res = await limiter("api", w.c.limitValue, w.duration).get(w.k);
        if (res && res.remainingPoints <= 0) await refuse(w.c, viewer, res.msBeforeNext);
      }
      for (const w of windows) {
        try {
          await limiter("api", w.c.limitValue, w.duration).consume(w.k, 1);
        } catch (e) {
          if (e instanceof RateLimiterRes) await refuse(w.c, viewer, e.msBeforeNext);
          throw e;
        }
      }
    },

    /**
     * Takes one in-flight slot under every `concurrent_requests` limit of `api.request` that applies
     * to this API-key request, or throws RATE_LIMITED (recorded, retry after 1 s) when one is full.
     * The returned function gives the slots back; call it once the operation is done. With
     * REDIS_URL the slots are shared by all instances, as leases that lapse if their instance dies.
     */
    async enterRequest(viewer: SignedInViewer & { kind: "apiKey" }): Promise<() => Promise<void>> {
      const configs = await apiConfigs(viewer.tenantId);
      const slots = configs.flatMap((c) => {
        const k = c.limitType === "concurrent_requests" ? limitKey(c, viewer) : null;
        return k ? [{ c, k }] : [];
      });
      if (slots.length === 0) return async () => {};
      const give = leases ? await enterShared(leases, slots, viewer) : await enterLocal(slots, viewer);
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await give();
      };
    },

    recordViolation: violation,

    async set(viewer: SignedInViewer, input: RateLimitInput & { id?: string | null }): Promise<RateLimitConfig> {
      if (!isTenantAdmin(viewer)) throw forbidden();
      for (const field of ["id", "userId", "agentId", "apiKeyId"] as const) {
        const v = input[field];
        if (v && !isUuid(v)) throw badInput(field, `${field} is not an id of this API.`);
      }
      if (!(RATE_LIMIT_ACTIONS as readonly string[]).includes(input.action))
        throw badInput("action", `action must be one of ${RATE_LIMIT_ACTIONS.join(", ")}.`);
      if (input.limitScope === "global" && !viewer.roles.includes("superadmin"))
        throw forbidden("Only a superadmin can set a limit for every tenant.");
      const needs: [RateLimitScope, keyof RateLimitInput][] = [
        ["user", "userId"],
        ["agent", "agentId"],
        ["api_key", "apiKeyId"],
      ];
      for (const [scope, field] of needs)
        if (input.limitScope === scope && !input[field]) throw badInput(field, `A ${scope} limit names its ${field}.`);
      const tenantId = input.limitScope === "global" ? null : viewer.tenantId;
      if (
        input.userId &&
        !(await prisma.roleAssignment.findFirst({ where: { userId: input.userId, tenantId: viewer.tenantId } }))
      )
        throw notFound("Member");
      if (input.agentId && !(await prisma.agent.findFirst({ where: { id: input.agentId, tenantId: viewer.tenantId } })))
        throw notFound("Agent");
      if (
        input.apiKeyId &&
        !(await prisma.apiKey.findFirst({ where: { id: input.apiKeyId, tenantId: viewer.tenantId } }))
      )
        throw notFound("API key");
      const data = {
        tenantId,
        action: input.action,
        limitType: input.limitType,
        limitScope: input.limitScope,
        limitValue: input.limitValue,
        userId: input.userId ?? null,
        agentId: input.agentId ?? null,
        apiKeyId: input.apiKeyId ?? null,
        isActive: input.isActive ?? true,
      };
      const row = await prisma.$transaction(async (tx) => {
        if (input.id) {
          const old = await tx.rateLimitConfig.findFirst({ where: { id: input.id, tenantId: viewer.tenantId } });
          if (!old) throw notFound("Rate limit");
        }
        const saved = input.id
          ? await tx.rateLimitConfig.update({ where: { id: input.id }, data })
          : await tx.rateLimitConfig.create({ data });
        await audit(tx, {
          action: "rate_limit.set",
          tenantId: viewer.tenantId,
          userId: viewer.userId,
          resource: "RateLimitConfig",
          resourceId: saved.id,
          subjectUserId: saved.userId,
          metadata: { ...data },
        });
        return saved;
      });
      changed(viewer.tenantId);
      return row;
    },

    async remove(viewer: SignedInViewer, id: string): Promise<RateLimitConfig> {
      if (!isTenantAdmin(viewer)) throw forbidden();
      if (!isUuid(id)) throw notFound("Rate limit");
      const row = await prisma.rateLimitConfig.findFirst({ where: { id, tenantId: viewer.tenantId } });
      if (!row) throw notFound("Rate limit");
      await prisma.$transaction(async (tx) => {
        await tx.rateLimitConfig.delete({ where: { id } });
        await audit(tx, {
          action: "rate_limit.deleted",
          tenantId: viewer.tenantId,
          userId: viewer.userId,
          resource: "RateLimitConfig",
          resourceId: id,
          subjectUserId: row.userId,
        });
      });
      changed(viewer.tenantId);
      return row;
    },

    async close() {
      if (redis) redis.disconnect();
    },
  };
}

export type RateLimits = ReturnType<typeof createRateLimits>;
