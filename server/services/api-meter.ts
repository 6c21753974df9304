// The api_calls meter: every GraphQL operation made with an API key is counted, without a database
// write per request. Counts gather in memory per (key, UTC day) and each instance adds its own to
// the database in one transaction per flush (every API_METER_FLUSH_MS, and on shutdown), with
// `calls = calls + n` / `current_usage = current_usage + n`, so instances never overwrite each
// other and a count is added once: a flush that fails puts its counts back for the next one.
//
// How strict a batched meter is: an instance refuses an operation when the usage it last read
// (at its previous flush, or on first sight of the tenant) plus the calls it has counted since
// reach the limit. A single instance therefore never lets more than the limit through. With N
// instances, each may also let through what the others counted but have not flushed yet: at most
// the calls the other instances serve in one flush interval. The stored usage is the true count
// (it may pass the limit by that much); it is never capped, so reports and bills stay exact.

import { quotaExceeded } from "../errors.ts";
import { Prisma, type PrismaClient, type Quota } from "../generated/prisma/client.ts";
import { transact } from "../live/changes.ts";
import type { Logger } from "../logger.ts";
import { sharedReads } from "../shared-reads.ts";
import { todayUtc, ymd } from "../viewer.ts";
import { backgroundFlush } from "./background-flush.ts";
import { CHARGED_QUOTA, type ChargedQuota, levelCrossings } from "./notifications/events.ts";
import { periodCovering, QUOTA_PERIODS, quotaAt } from "./quota.ts";

export interface ApiCaller {
  apiKeyId: string;
  tenantId: string;
  userId: string;
}

interface Count extends ApiCaller {
  day: string;
  calls: number;
}

interface TenantState {
  quota: Quota | null;
  readAt: number;
  /** Order the read started in: a slow read never replaces one started after it. */
  seq: number;
}

export interface ApiMeter {
  /** Counts one operation of the caller, or throws QUOTA_EXCEEDED when its tenant's api_calls are used up. */
  admit(caller: ApiCaller): Promise<void>;
  /** Adds what was counted since the last flush to the database; concurrent calls run one after another. */
  flush(): Promise<void>;
  /** Starts the periodic flush. */
  start(): void;
  /** Stops the periodic flush and flushes what is left (before the database closes). */
  stop(): Promise<void>;
  /** The clock periods and days are read on; tests move it instead of waiting. */
  now: () => Date;
  readonly enabled: boolean;
}

export function createApiMeter(
  prisma: PrismaClient,
  logger: Logger,
  options: { enabled: boolean; flushMs: number },
): ApiMeter {
  let pending = new Map<string, Count>();
  /** Calls counted here and not yet in the tenant's state read from the database. */
  const unconfirmed = new Map<string, number>();
  const tenants = new Map<string, TenantState>();
  const reading = sharedReads<string, TenantState>();
  let seq = 0;

  const keep = (tenantId: string, state: TenantState) => {
    const old = tenants.get(tenantId);
    if (!old || old.seq < state.seq) tenants.set(tenantId, state);
  };

  const add = (map: Map<string, number>, key: string, n: number) => {
    const v = (map.get(key) ?? 0) + n;
    if (v === 0) map.delete(key);
    else map.set(key, v);
  };

  const readQuota = (tenantId: string): Promise<TenantState> =>
    reading(tenantId, () => {
      const started = { readAt: Date.now(), seq: ++seq };
      return prisma.quota
        .findUnique({ where: { tenantId_quotaType: { tenantId, quotaType: "api_calls" } } })
        .then((quota) => {
          keep(tenantId, { quota, ...started });
          return tenants.get(tenantId) as TenantState;
        });
    });

  /** The tenant's quota as last read; read again when older than a flush interval (a limit an admin changed). */
  const stateOf = async (tenantId: string): Promise<TenantState> => {
    const s = tenants.get(tenantId);
    if (s && Date.now() - s.readAt < options.flushMs) return s;
    return readQuota(tenantId);
  };

  const record = (caller: ApiCaller, now: Date) => {
    const day = ymd(todayUtc(now));
    const key = `${caller.apiKeyId}|${day}`;
    const c = pending.get(key);
    if (c) c.calls++;
    else pending.set(key, { ...caller, day, calls: 1 });
    add(unconfirmed, caller.tenantId, 1);
  };

  async function write(batch: Count[]): Promise<void> {
    const byTenantDay = new Map<string, { tenantId: string; day: string; calls: number }>();
    for (const c of batch) {
      const k = `${c.tenantId}|${c.day}`;
      const t = byTenantDay.get(k);
      if (t) t.calls += c.calls;
      else byTenantDay.set(k, { tenantId: c.tenantId, day: c.day, calls: c.calls });
    }
    const rows = batch.map(
      (c) =>
        Prisma.sql`(${c.apiKeyId}::uuid, ${c.day}::date, ${c.tenantId}::uuid, ${c.userId}::uuid, ${c.calls}::bigint)`,
    );
    await transact(prisma, async (tx, note) => {
      await tx.$executeRaw`
        INSERT INTO api_call_counts (api_key_id, day, tenant_id, user_id, calls) VALUES ${Prisma.join(rows)}
        ON CONFLICT (api_key_id, day) DO UPDATE SET calls = api_call_counts.calls + EXCLUDED.calls`;
      for (const { tenantId, day, calls } of byTenantDay.values()) {
        // The period of the day the calls were made in, by the quota's own kind (periodCovering, the
        // one home of quota periods). Calls of a period the row has already left are in
        // api_call_counts only; calls of a later period roll it over.
        const callsDay = new Date(`${day}T00:00:00Z`);
        const periods = Prisma.join(
          QUOTA_PERIODS.map((kind) => {
            const { start, end } = periodCovering(kind, callsDay);
            return Prisma.sql`(${kind}, ${ymd(start)}::date, ${ymd(end)}::date)`;
          }),
        );
        const [moved] = await tx.$queryRaw<ChargedQuota[]>`
          UPDATE quotas q SET
            current_usage = CASE WHEN q.period_start < p.s THEN 0 ELSE q.current_usage END + ${calls}::bigint,
            is_exceeded = CASE WHEN q.period_start < p.s THEN 0 ELSE q.current_usage END + ${calls}::bigint >= q.quota_limit,
            period_end = CASE WHEN q.period_start < p.s THEN p.e ELSE q.period_end END,
            period_start = p.s,
            updated_at = now()
          FROM (
            SELECT quotas.id, periods.s, periods.e FROM quotas
            JOIN (VALUES ${periods}) AS periods (kind, s, e) ON periods.kind = quotas.period::text
            WHERE tenant_id = ${tenantId}::uuid AND quota_type = 'api_calls'
          ) p
          WHERE q.id = p.id AND q.period_start <= p.s
          RETURNING ${CHARGED_QUOTA}`;
        // Alerts as consumeQuota raises them: a flush that carried the level past the threshold or
        // the limit tells the admins once per period.
        if (moved) note(...(await levelCrossings(tx, moved, moved.currentUsage - BigInt(calls), new Date())));
      }
    });
  }

  async function flushOnce(): Promise<void> {
    if (pending.size === 0) return;
    const batch = [...pending.values()];
    pending = new Map();
    try {
      await write(batch);
    } catch (err) {
      // Nothing of the batch was written (one transaction): count it again with the next flush.
      for (const c of batch) {
        const key = `${c.apiKeyId}|${c.day}`;
        const p = pending.get(key);
        if (p) p.calls += c.calls;
        else pending.set(key, c);
      }
      logger.error({ err, counts: batch.length }, "api_calls meter: flush failed, kept for the next one");
      throw err;
    }
    const flushed = new Map<string, number>();
    for (const c of batch) add(flushed, c.tenantId, c.calls);
    // Read the quotas again (other instances' calls included) before the local counts are taken
    // off, so a check in between counts the flushed calls twice rather than not at all.
    const ids = [...flushed.keys()];
    const started = { readAt: Date.now(), seq: ++seq };
    try {
      const quotas = await prisma.quota.findMany({ where: { tenantId: { in: ids }, quotaType: "api_calls" } });
      const byTenant = new Map(quotas.map((q) => [q.tenantId, q]));
      for (const t of ids) keep(t, { quota: byTenant.get(t) ?? null, ...started });
    } catch (err) {
      // The counts are stored; without fresh figures the next check reads the quota again.
      for (const t of ids) tenants.delete(t);
      logger.warn({ err }, "api_calls meter: quotas not read after a flush");
    }
    for (const [t, n] of flushed) add(unconfirmed, t, -n);
  }

  const background = backgroundFlush(flushOnce, options);
  const meter: ApiMeter = {
    enabled: options.enabled,
    now: () => new Date(),
    async admit(caller) {
      if (!options.enabled) return;
      const now = meter.now();
      const { quota } = await stateOf(caller.tenantId);
      if (quota) {
        const q = quotaAt(quota, now);
        if (q.currentUsage + BigInt(unconfirmed.get(caller.tenantId) ?? 0) >= q.quotaLimit)
          throw quotaExceeded(
            `The api_calls quota of this workspace is used up (${q.quotaLimit} until ${ymd(q.periodEnd)}).`,
          );
      }
      record(caller, now);
    },
    ...background,
  };
  return meter;
}
