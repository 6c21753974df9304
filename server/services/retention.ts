// Retention that runs by itself: per tenant, each kind of data is kept for its policy's days (rows
// seeded from DEFAULT_RETENTION_DAYS), or for the owner's own `dataRetentionDays` when that is
// shorter, and memories beyond MEMORY_MAX_PER_USER are pruned, least important and least used
// first. A pass over one tenant is one transaction that also writes its RetentionRun (counts per
// table), so a pass that fails leaves nothing half-removed and its retry starts again from the
// same rows. The scheduled job (jobs/retention.ts) calls run(); tests call it with their own `now`.
import { randomUUID } from "node:crypto";
import { forbidden } from "../errors.ts";
import { Prisma, type PrismaClient, type RetentionKind, type RetentionRun } from "../generated/prisma/client.ts";
import { changeOf, transact } from "../live/changes.ts";
import type { Logger } from "../logger.ts";
import { isTenantAdmin, type SignedInViewer } from "../viewer.ts";
import { audit } from "./audit.ts";

export const RETENTION_KINDS = [
  "sessions",
  "memories",
  "analyses",
  "content",
  "usage_detail",
  "audit_entries",
  "conversations",
  "access_log",
] as const satisfies readonly RetentionKind[];

/**
 * What a tenant keeps until an admin says otherwise (null: forever). Sessions: a session that ended
 * (expired or revoked) stays in the owner's device history this long. Memories: kept until they
 * expire or are pruned. Usage detail: each usage_logs row (its totals in usage_monthly/usage_daily stay).
 * Conversations: a conversation idle this long (no message since; archived or not) goes with its
 * messages (luminary: abandoned product sessions' threads after 30 days; here a year by default).
 * Access log: the privacy transparency log (who read a member's data), a year like audit entries.
 */
export const DEFAULT_RETENTION_DAYS: Record<RetentionKind, number | null> = {
  sessions: 30,
  memories: null,
  analyses: 365,
  content: 365,
  usage_detail: 90,
  audit_entries: 365,
  conversations: 365,
  access_log: 365,
};

export interface RemovedCount {
  table: string;
  /** Why: `expired` (the row's own expiry), `policy` (older than its keep days), `pruned` (over the count). */
  reason: string;
  count: number;
}

type Tx = Prisma.TransactionClient;

/** The age limit of a row of `user_id`: the tenant's days, or the owner's own when shorter. */
const cutoff = (now: Date, days: number | null, userColumn: Prisma.Sql) => Prisma.sql`
  ${now}::timestamptz - make_interval(days => LEAST(${days}::int,
    (SELECT p.data_retention_days FROM profiles p WHERE p.user_id = ${userColumn})))`;

const MATCHED = (n: number | bigint) => Number(n);

async function passOver(
  tx: Tx,
  tenantId: string,
  now: Date,
  days: Record<RetentionKind, number | null>,
  memoryMax: number,
): Promise<RemovedCount[]> {
  const out: RemovedCount[] = [];
  const add = (table: string, reason: string, count: number | bigint) => {
    if (MATCHED(count) > 0) out.push({ table, reason, count: MATCHED(count) });
  };

  // Sessions that ended (expired or revoked) longer ago than kept; open sessions are never cut short.
  add(
    "sessions",
    "policy",
    await tx.$executeRaw`
      DELETE FROM sessions s WHERE s.tenant_id = ${tenantId}::uuid
        AND LEAST(s.expires_at, s.revoked_at) <= ${now}::timestamptz
        AND LEAST(s.expires_at, s.revoked_at) < ${cutoff(now, days.sessions, Prisma.sql`s.user_id`)}`,
  );

  add(
    "memories",
    "expired",
    await tx.$executeRaw`
      DELETE FROM memories WHERE tenant_id = ${tenantId}::uuid AND expires_at <= ${now}::timestamptz`,
  );
  // A memory's age is since it was last written or read.
  add(
    "memories",
    "policy",
    await tx.$executeRaw`
      DELETE FROM memories m WHERE m.tenant_id = ${tenantId}::uuid
        AND GREATEST(m.updated_at, m.last_accessed_at) < ${cutoff(now, days.memories, Prisma.sql`m.user_id`)}`,
  );
  add("memories", "pruned", await pruneMemories(tx, tenantId, memoryMax));

  // Finished runs only: a run still queued or running belongs to a worker. Results go with their run.
  const oldRuns = Prisma.sql`
    SELECT r.id FROM analysis_runs r WHERE r.tenant_id = ${tenantId}::uuid
      AND r.status IN ('complete', 'failed', 'cancelled')
      AND r.created_at < ${cutoff(now, days.analyses, Prisma.sql`r.user_id`)}`;
  const [results] = await tx.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM analysis_results WHERE run_id IN (${oldRuns})`;
  const runs = await tx.$executeRaw`DELETE FROM analysis_runs WHERE id IN (${oldRuns})`;
  add("analysis_runs", "policy", runs);
  add("analysis_results", "policy", results?.n ?? 0);

  add(
    "content_items",
    "policy",
    await tx.$executeRaw`
      DELETE FROM content_items c WHERE c.tenant_id = ${tenantId}::uuid
        AND c.created_at < ${cutoff(now, days.content, Prisma.sql`c.user_id`)}`,
  );

  // Usage detail leaves its totals behind: usage_monthly and usage_daily counted each row when it
  // was written (a trigger), so removing rows changes no total and no report.
  const removedUsage = await tx.$executeRaw`
    DELETE FROM usage_logs u WHERE u.tenant_id = ${tenantId}::uuid
      AND u.created_at < ${cutoff(now, days.usage_detail, Prisma.sql`u.user_id`)}`;
  add("usage_logs", "policy", removedUsage);

  // A conversation's age is since its last message; its messages and their attachments go with it.
  const idle = Prisma.sql`
    SELECT c.id FROM conversations c WHERE c.tenant_id = ${tenantId}::uuid
      AND COALESCE(c.last_message_at, c.created_at) < ${cutoff(now, days.conversations, Prisma.sql`c.user_id`)}`;
  const [messages] = await tx.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM messages WHERE conversation_id IN (${idle})`;
  add("conversations", "policy", await tx.$executeRaw`DELETE FROM conversations WHERE id IN (${idle})`);
  add("messages", "policy", messages?.n ?? 0);

  // The transparency log is about its member: their shorter dataRetentionDays wins, as for their rows.
  add(
    "data_access_log",
    "policy",
    await tx.$executeRaw`
      DELETE FROM data_access_log d WHERE d.tenant_id = ${tenantId}::uuid
        AND d.created_at < ${cutoff(now, days.access_log, Prisma.sql`d.subject_user_id`)}`,
  );

  // The tenant's security record: kept for the tenant's days, whatever one member prefers.
  if (days.audit_entries !== null)
    add(
      "audit_logs",
      "policy",
      await tx.$executeRaw`
        DELETE FROM audit_logs WHERE tenant_id = ${tenantId}::uuid
          AND created_at < ${now}::timestamptz - make_interval(days => ${days.audit_entries}::int)`,
    );
  return out;
}

/**
 * Keeps each user's `max` most valuable memories: by importance, then how often and how lately
 * they were read, then how new they are; the rest are removed.
 */
export async function pruneMemories(tx: Tx | PrismaClient, tenantId: string, max: number): Promise<number> {
  return tx.$executeRaw`
    DELETE FROM memories WHERE id IN (
      SELECT id FROM (
        SELECT id, row_number() OVER (
          PARTITION BY user_id
          ORDER BY importance_score DESC, access_count DESC, last_accessed_at DESC NULLS LAST, created_at DESC, id
        ) AS rank
        FROM memories WHERE tenant_id = ${tenantId}::uuid
      ) ranked WHERE rank > ${max})`;
}

/** Seeds the defaults for kinds the tenant has no row for; existing rows are left as they are. */
async function seedPolicies(db: Tx | PrismaClient, tenantId: string): Promise<void> {
  await db.retentionPolicy.createMany({
    data: RETENTION_KINDS.map((kind) => ({ tenantId, kind, keepDays: DEFAULT_RETENTION_DAYS[kind] })),
    skipDuplicates: true,
  });
}

export interface RunOptions {
  /** The instant ages are judged against (tests pass their own). */
  now?: Date;
  /** Names the pass: tenants already done under this key are skipped (a retried job). */
  jobKey?: string;
  trigger?: "schedule" | "manual";
  /** Only these tenants (tests); all by default. */
  tenantIds?: string[];
}

export function createRetentionService(prisma: PrismaClient, logger: Logger, o: { memoryMaxPerUser: number }) {
  async function policies(tenantId: string) {
    await seedPolicies(prisma, tenantId);
    const rows = await prisma.retentionPolicy.findMany({ where: { tenantId } });
    return RETENTION_KINDS.map((kind) => rows.find((r) => r.kind === kind)).filter((r) => r !== undefined);
  }

  async function runTenant(tenantId: string, now: Date, jobKey: string, trigger: string) {
    const done = await prisma.retentionRun.findUnique({ where: { tenantId_jobKey: { tenantId, jobKey } } });
    if (done) return done;
    const rows = await policies(tenantId);
    const days = { ...DEFAULT_RETENTION_DAYS };
    for (const r of rows) days[r.kind] = r.keepDays;
    const startedAt = new Date();
    const run = await transact(
      prisma,
      async (tx, note) => {
        const removed = await passOver(tx, tenantId, now, days, o.memoryMaxPerUser);
        const row = await tx.retentionRun.create({
          data: {
            tenantId,
            jobKey,
            trigger,
            asOf: now,
            counts: removed as unknown as Prisma.InputJsonValue,
            startedAt,
            finishedAt: new Date(),
          },
        });
        note(changeOf("RetentionRun", "create", row));
        return row;
      },
      { timeout: 120_000, maxWait: 30_000 },
    );
    return run;
  }

  return {
    /** The tenant's policies, one per kind, seeded with the defaults where none was set. */
    async list(viewer: SignedInViewer) {
      if (!isTenantAdmin(viewer)) throw forbidden();
      return policies(viewer.tenantId);
    },

    async set(viewer: SignedInViewer, kind: RetentionKind, keepDays: number | null) {
      if (!isTenantAdmin(viewer)) throw forbidden();
      await seedPolicies(prisma, viewer.tenantId);
      return transact(prisma, async (tx, note) => {
        const before = await tx.retentionPolicy.findUniqueOrThrow({
          where: { tenantId_kind: { tenantId: viewer.tenantId, kind } },
        });
        const row = await tx.retentionPolicy.update({
          where: { id: before.id },
          data: { keepDays, updatedById: viewer.userId },
        });
        note(
          changeOf("RetentionPolicy", "update", row),
          await audit(tx, {
            action: "retention_policy.set",
            tenantId: viewer.tenantId,
            userId: viewer.userId,
            resource: "RetentionPolicy",
            resourceId: row.id,
            metadata: { kind, keepDays, before: before.keepDays },
          }),
        );
        return row;
      });
    },

    /** One retention pass over every tenant (or `tenantIds`); returns the runs it recorded. */
    async run(opts: RunOptions = {}): Promise<RetentionRun[]> {
      const now = opts.now ?? new Date();
      const jobKey = opts.jobKey ?? `manual:${randomUUID()}`;
      const trigger = opts.trigger ?? "manual";
      const tenantIds =
        opts.tenantIds ??
        (await prisma.tenant.findMany({ select: { id: true }, orderBy: { id: "asc" } })).map((t) => t.id);
      const runs: RetentionRun[] = [];
      const failed: unknown[] = [];
      for (const tenantId of tenantIds) {
        try {
          runs.push(await runTenant(tenantId, now, jobKey, trigger));
        } catch (err) {
          // One tenant's failure must not keep the others' data past its time: the rest go on, and
          // the job's retry (same key) redoes only the tenants without a run.
          logger.error({ err, tenantId, jobKey }, "retention pass failed for a tenant");
          failed.push(err);
        }
      }
      if (failed.length) throw new AggregateError(failed, `retention pass failed for ${failed.length} tenant(s)`);
      const removed = runs.flatMap((r) => r.counts as unknown as RemovedCount[]).reduce((n, c) => n + c.count, 0);
      logger.info({ jobKey, tenants: runs.length, removed }, "retention pass done");
      return runs;
    },
  };
}

export type RetentionService = ReturnType<typeof createRetentionService>;
