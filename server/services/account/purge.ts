// The purge of deleted accounts whose grace period (ACCOUNT_DELETION_GRACE_DAYS) has passed: a
// durable pg-boss job (ACCOUNT_PURGE_CRON, UTC, once for the fleet) that any worker may run. Each
// user is one transaction that locks the user's row and checks the deletion mark again (a cancel
// that came first wins), so a retried or concurrent pass purges nobody twice; a crash leaves the
// user marked, and the next pass takes them. File objects are removed after the commit, as every
// file deletion does; one left behind by a crash is an orphan the storage clean-up removes.
//
// What goes and what stays, table by table (prisma/schema.prisma's onDelete, checked by
// test/server/account-deletion-purge.test.ts against every relation and user_id column):
// - the user's own rows go with the user row (ON DELETE CASCADE): profile, sessions, API keys (and
//   their call counts), tokens, recovery codes, roles, invites they created, agents' copies,
//   favourites, ratings and helpful votes (the votes are taken off the ratings' counts first),
//   memories, content, analyses and results, conversations and messages, notifications, workspaces;
// - files: through the files service's own path (rows and the tenant's storage level, then objects);
// - kept for the tenant, without the person: audit entries (user reference nulled by the foreign
//   key, address, browser and email taken out), usage (the log rows go; their monthly and daily
//   totals move to the nil UUID, so the tenant's totals stay), rate-limit refusals, webhook endpoints and role
//   grants they made (creator nulled), retention policies they changed;
// - a tenant left with no member at all (the user was its only one) is deleted with everything in it.
import type { Config } from "../../config.ts";
import { Prisma, type PrismaClient } from "../../generated/prisma/client.ts";
import type { Jobs } from "../../jobs/jobs.ts";
import { enqueueScheduled, workScheduled } from "../../jobs/scheduled.ts";
import type { Logger } from "../../logger.ts";
import { audit } from "../audit.ts";
import { type FileService, removeFileRows } from "../files/index.ts";
import { lockTenants } from "./deletion.ts";

export const PURGE_QUEUE = "account-purge";
/** Stands for "a deleted member" where the tenant keeps a figure that was per user. */
export const DELETED_USER_ID = "00000000-0000-0000-0000-000000000000";
const BATCH = 25;
const MAX_PER_PASS = 1000;
const DAY = 86_400_000;

export interface PurgeReport {
  purged: number;
  tenantsDeleted: number;
  filesRemoved: number;
  bytesRemoved: number;
  failed: number;
}

type Doomed = { id: string; tenantId: string; size: bigint; storageKey: string };

/** Keeps what the tenant needs of the user's rows, without the person (see the top of this file). */
async function anonymise(tx: Prisma.TransactionClient, userId: string) {
  await tx.$executeRaw`
    UPDATE ratings r SET helpful_count = GREATEST(0, r.helpful_count - 1)
    FROM rating_helpful_votes v WHERE v.rating_id = r.id AND v.user_id = ${userId}::uuid AND r.user_id <> ${userId}::uuid`;
  // usage_logs rows go with the user (foreign key); the totals already hold them (the roll-up
  // trigger counts each row as it is written), and move to the nil user here.
  for (const [table, period] of [
    ["usage_monthly", "month"],
    ["usage_daily", "day"],
  ] as const) {
    const [t, p] = [Prisma.raw(table), Prisma.raw(period)];
    await tx.$executeRaw`
      WITH moved AS (DELETE FROM ${t} WHERE user_id = ${userId}::uuid
                     RETURNING tenant_id, model, ${p}, agent_key, calls, tokens, cost)
      INSERT INTO ${t} (tenant_id, user_id, model, ${p}, agent_key, calls, tokens, cost)
      SELECT tenant_id, ${DELETED_USER_ID}::uuid, model, ${p}, agent_key, calls, tokens, cost FROM moved
      ON CONFLICT (tenant_id, user_id, model, ${p}, agent_key) DO UPDATE SET
        calls = ${t}.calls + EXCLUDED.calls, tokens = ${t}.tokens + EXCLUDED.tokens, cost = ${t}.cost + EXCLUDED.cost`;
  }
  await tx.$executeRaw`
    UPDATE audit_logs SET ip_address = NULL, user_agent = NULL, metadata = metadata - 'email'
    WHERE user_id = ${userId}::uuid`;
  await tx.$executeRaw`UPDATE audit_logs SET subject_user_id = NULL WHERE subject_user_id = ${userId}::uuid`;
  // Another member's transparency log keeps that someone read their data, under the name shown
  // then, but no longer points at the purged reader or their keys.
  await tx.$executeRaw`
    UPDATE data_access_log SET actor_user_id = NULL,
      api_key_id = CASE WHEN api_key_id IN (SELECT id FROM api_keys WHERE user_id = ${userId}::uuid) THEN NULL ELSE api_key_id END
    WHERE actor_user_id = ${userId}::uuid OR api_key_id IN (SELECT id FROM api_keys WHERE user_id = ${userId}::uuid)`;
  await tx.$executeRaw`
    UPDATE rate_limit_violations SET user_id = NULL,
      api_key_id = CASE WHEN api_key_id IN (SELECT id FROM api_keys WHERE user_id = ${userId}::uuid) THEN NULL ELSE api_key_id END
    WHERE user_id = ${userId}::uuid OR api_key_id IN (SELECT id FROM api_keys WHERE user_id = ${userId}::uuid)`;
  await tx.retentionPolicy.updateMany({ where: { updatedById: userId }, data: { updatedById: null } });
}

export function createPurge(deps: {
  prisma: PrismaClient;
  files: Pick<FileService, "removeObjects">;
  logger: Logger;
  jobs: Jobs;
  config: Pick<Config, "ACCOUNT_DELETION_GRACE_DAYS" | "ACCOUNT_PURGE_CRON">;
}) {
  const { prisma, files, logger, jobs, config } = deps;
  let working = false;

  /** Purges one user deleted at or before `cutoff`; null when there is nothing (any more) to purge. */
  async function purgeUser(userId: string, cutoff: Date) {
    const done = await prisma.$transaction(
      async (tx) => {
        const [row] = await tx.$queryRaw<{ deleted_at: Date | string | null }[]>`
          SELECT deleted_at FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
        if (!row?.deleted_at || new Date(row.deleted_at) > cutoff) return null;
        const roles = await tx.roleAssignment.findMany({ where: { userId }, select: { tenantId: true } });
        const tenantIds = [...new Set(roles.map((r) => r.tenantId))];
        await lockTenants(tx, tenantIds);
        const doomed: Doomed[] = await tx.file.findMany({
          where: { userId },
          select: { id: true, tenantId: true, size: true, storageKey: true },
        });
        await removeFileRows(tx, doomed);
        await anonymise(tx, userId);
        await tx.user.delete({ where: { id: userId } });
        // After the user row: the memories' cascade bumps the version row again (its trigger).
        await tx.memoryVersion.deleteMany({ where: { userId } });
        let tenantsDeleted = 0;
        for (const tenantId of tenantIds) {
          const mine = doomed.filter((f) => f.tenantId === tenantId);
          if ((await tx.roleAssignment.count({ where: { tenantId } })) > 0) {
            await audit(tx, {
              action: "user.purged",
              tenantId,
              resource: "User",
              metadata: { files: mine.length, bytes: Number(mine.reduce((n, f) => n + f.size, 0n)) },
            });
            continue;
          }
          // Nobody is left to own it: the tenant goes with everything in it.
          const rest: Doomed[] = await tx.file.findMany({
            where: { tenantId },
            select: { id: true, tenantId: true, size: true, storageKey: true },
          });
          await removeFileRows(tx, rest);
          doomed.push(...rest);
          await tx.tenant.delete({ where: { id: tenantId } });
          tenantsDeleted++;
        }
        return { doomed, tenantsDeleted };
      },
      { timeout: 120_000, maxWait: 30_000 },
    );
    if (done) await files.removeObjects(done.doomed);
    return done;
  }

  const purge = {
    /** One pass as of `now`: every user deleted more than the grace period before it, a batch at a time. */
    async run({ now = new Date() }: { now?: Date } = {}): Promise<PurgeReport> {
      const cutoff = new Date(now.getTime() - config.ACCOUNT_DELETION_GRACE_DAYS * DAY);
      const report: PurgeReport = { purged: 0, tenantsDeleted: 0, filesRemoved: 0, bytesRemoved: 0, failed: 0 };
      const failed = new Set<string>();
      while (report.purged + failed.size < MAX_PER_PASS) {
        const due = await prisma.user.findMany({
          where: { deletedAt: { lte: cutoff }, id: { notIn: [...failed] } },
          select: { id: true },
          orderBy: { deletedAt: "asc" },
          take: BATCH,
        });
        for (const { id } of due) {
          try {
            const done = await purgeUser(id, cutoff);
            if (!done) continue;
            report.purged++;
            report.tenantsDeleted += done.tenantsDeleted;
            report.filesRemoved += done.doomed.length;
            report.bytesRemoved += Number(done.doomed.reduce((n, f) => n + f.size, 0n));
          } catch (err) {
            logger.error({ err, userId: id }, "could not purge a deleted account");
            failed.add(id);
          }
        }
        if (due.length < BATCH) break;
      }
      report.failed = failed.size;
      logger.info({ ...report }, "deleted accounts purged");
      // A failed user stays marked for the next pass; the job fails so that pg-boss retries it and
      // the failure shows in the job metrics.
      if (failed.size) throw new Error(`${failed.size} deleted account(s) could not be purged; see the log`);
      return report;
    },

    enqueue: () => enqueueScheduled(jobs, PURGE_QUEUE),

    /** Works the purge queue and schedules it (ACCOUNT_PURGE_CRON, UTC), once for all instances. */
    async startWorker(): Promise<void> {
      if (working) return;
      working = true;
      await workScheduled(jobs, { queue: PURGE_QUEUE, cron: config.ACCOUNT_PURGE_CRON, run: () => purge.run() });
    },
  };
  return purge;
}

export type AccountPurge = ReturnType<typeof createPurge>;
