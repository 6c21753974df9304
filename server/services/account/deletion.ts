// Deleting one's own account (GDPR art. 17), in two steps. deleteMyAccount, with the password and,
// for an enrolled user, a fresh second factor, marks the user deleted at once: every session and
// API key stops working, live streams end (viewer:changed), and a mail names the purge date. For
// ACCOUNT_DELETION_GRACE_DAYS the user may take it back with cancelAccountDeletion (email,
// password, code: no session is left to ask with), which also signs them in. After that, the purge
// job (purge.ts) removes the user's rows and files for good.
import type { Config } from "../../config.ts";
import { AppError, badInput, forbidden, unauthenticated } from "../../errors.ts";
import type { Prisma, PrismaClient } from "../../generated/prisma/client.ts";
import { type Change, changeOf, transact } from "../../live/changes.ts";
import type { PubSub } from "../../pubsub.ts";
import type { RequestInfo, SignedInViewer } from "../../viewer.ts";
import { inEffectOn, todayUtc } from "../../viewer.ts";
import { audit } from "../audit.ts";
import { publishViewerChanged } from "../bearer.ts";
import type { PasswordHasher } from "../passwords.ts";
import { activeMembers } from "../seats.ts";
import type { SessionService } from "../sessions.ts";
import type { createThrottle } from "../throttle.ts";
import { purgeAfter } from "./grace.ts";
import type { Mailer } from "./mail.ts";

type Tx = Prisma.TransactionClient;

export interface DeletionDeps {
  prisma: PrismaClient;
  pubsub: PubSub;
  mailer: Mailer;
  config: Pick<Config, "APP_URL" | "ACCOUNT_DELETION_GRACE_DAYS">;
  throttle: ReturnType<typeof createThrottle>;
  passwords: PasswordHasher;
  sessions: Pick<SessionService, "startSession">;
  verifySecondFactor: (userId: string, code: string, request: RequestInfo) => Promise<boolean>;
}

const ADMIN_ROLES = ["admin", "superadmin"] as const;

export const lastAdmin = () =>
  new AppError(
    "LAST_ADMIN",
    "You are the last admin of a workspace that still has other members: make another member an admin first.",
  );

/** Locks the tenants (in one order, so two admins leaving at once queue) and returns them. */
export async function lockTenants(tx: Tx, tenantIds: readonly string[]) {
  for (const id of [...new Set(tenantIds)].sort())
    await tx.$queryRaw`SELECT id FROM tenants WHERE id = ${id}::uuid FOR UPDATE`;
}

/** Members of `tenantId` today other than `userId` (not deleted), and how many of them are active admins. */
export async function othersIn(tx: Tx, tenantId: string, userId: string, day = todayUtc()) {
  const base = { id: { not: userId }, deletedAt: null } satisfies Prisma.UserWhereInput;
  // One after the other: statements of one interactive transaction share its connection.
  const members = await tx.user.count({
    where: { ...base, roleAssignments: { some: { tenantId, ...inEffectOn(day) } } },
  });
  const admins = await tx.user.count({
    where: {
      ...base,
      NOT: { profile: { isActive: false } },
      roleAssignments: { some: { tenantId, role: { in: [...ADMIN_ROLES] }, ...inEffectOn(day) } },
    },
  });
  return { members, admins };
}

/**
 * The tenants the user belongs to today, refused with LAST_ADMIN where they are the last active
 * admin and others remain; `alone` marks those with no other member, which the purge deletes too.
 */
async function departures(tx: Tx, userId: string) {
  const day = todayUtc();
  const roles = await tx.roleAssignment.findMany({
    where: { userId, ...inEffectOn(day) },
    select: { tenantId: true, role: true },
  });
  const tenants = [...new Set(roles.map((r) => r.tenantId))];
  const out: { tenantId: string; alone: boolean }[] = [];
  for (const tenantId of tenants) {
    const admin = roles.some((r) => r.tenantId === tenantId && (ADMIN_ROLES as readonly string[]).includes(r.role));
    const others = await othersIn(tx, tenantId, userId, day);
    if (admin && others.members > 0 && others.admins === 0) throw lastAdmin();
    out.push({ tenantId, alone: others.members === 0 });
  }
  return out;
}

/** The tenant's `users` quota follows its member count (seats.ts), which a deletion or its cancel changes. */
async function recountSeats(tx: Tx, tenantId: string) {
  const members = await activeMembers(tx, tenantId);
  await tx.$executeRaw`
    UPDATE quotas SET current_usage = ${members}::bigint, is_exceeded = ${members}::bigint >= quota_limit, updated_at = now()
    WHERE tenant_id = ${tenantId}::uuid AND quota_type = 'users'`;
}

export function createDeletionFlows(deps: DeletionDeps) {
  const { prisma, pubsub, mailer, config, throttle, passwords, sessions, verifySecondFactor } = deps;
  const grace = config.ACCOUNT_DELETION_GRACE_DAYS;
  const cancelUrl = `${config.APP_URL}/restore-account`;

  /** The password, then (for an enrolled user) a code: each wrong one is counted like a failed sign-in. */
  async function checkFactors(
    user: { id: string; passwordHash: string; totpEnabledAt: Date | null },
    password: string,
    code: string | null | undefined,
    request: RequestInfo,
  ) {
    const key = `delete|${user.id}`;
    await throttle.beforeSignIn(key, request);
    if (!(await passwords.verify(user.passwordHash, password))) {
      await throttle.signInFailed(key, request);
      throw badInput("password", "The password is incorrect.");
    }
    await throttle.signInSucceeded(key, request);
    if (user.totpEnabledAt) {
      if (!code?.trim()) throw badInput("code", "Enter a code from your authenticator app (or a recovery code).");
      await verifySecondFactor(user.id, code, request);
    }
  }

  return {
    /**
     * Deletes the signed-in user's account: at once for every credential, for good after the grace
     * period. Returns when the purge will happen and whether a workspace goes with it.
     */
    async deleteMyAccount(
      viewer: SignedInViewer,
      input: { password: string; code?: string | null },
      request: RequestInfo,
    ) {
      if (viewer.kind !== "session") throw forbidden("An account is deleted from a signed-in session.");
      const user = await prisma.user.findUniqueOrThrow({ where: { id: viewer.userId } });
      // Checked before the factors too, so a last admin does not spend a code on a refusal.
      await prisma.$transaction((tx) => departures(tx, user.id));
      await checkFactors(user, input.password, input.code, request);
      const now = new Date();
      const after = purgeAfter(now, grace);
      const result = await transact(prisma, async (tx, note) => {
        await lockTenants(
          tx,
          (await tx.roleAssignment.findMany({ where: { userId: user.id }, select: { tenantId: true } })).map(
            (r) => r.tenantId,
          ),
        );
        const leaving = await departures(tx, user.id);
        const marked = await tx.user.updateMany({ where: { id: user.id, deletedAt: null }, data: { deletedAt: now } });
        if (marked.count !== 1) throw new AppError("CONFLICT", "This account is already being deleted.");
        await tx.profile.updateMany({ where: { userId: user.id }, data: { deletedAt: now } });
        const sessionsEnded = await tx.session.updateMany({
          where: { userId: user.id, revokedAt: null },
          data: { revokedAt: now, sessionEnd: now },
        });
        const keysRevoked = await tx.apiKey.updateMany({
          where: { userId: user.id, revokedAt: null },
          data: { revokedAt: now },
        });
        // Links and challenges already sent must not open the account again.
        await tx.accountToken.updateMany({ where: { userId: user.id, usedAt: null }, data: { usedAt: now } });
        await tx.analysisRun.updateMany({
          where: { userId: user.id, status: { in: ["queued", "running"] }, cancelRequestedAt: null },
          data: { cancelRequestedAt: now },
        });
        const changes: Change[] = [];
        for (const { tenantId, alone } of leaving) {
          await recountSeats(tx, tenantId);
          changes.push(changeOf("User", "update", { id: user.id, tenantId, userId: user.id }));
          changes.push(
            await audit(tx, {
              action: "user.deletion_requested",
              tenantId,
              userId: user.id,
              resource: "User",
              resourceId: user.id,
              request,
              metadata: {
                purgeAfter: after.toISOString(),
                sessionsEnded: sessionsEnded.count,
                apiKeysRevoked: keysRevoked.count,
                tenantDeletedToo: alone,
              },
            }),
          );
        }
        note(
          ...changes,
          changeOf("Session", "update", { id: viewer.sessionId, userId: user.id, tenantId: viewer.tenantId }),
        );
        return { purgeAfter: after, tenantDeletedToo: leaving.some((t) => t.alone) };
      });
      publishViewerChanged(pubsub, user.id, "account deleted");
      await mailer.send({
        to: user.email,
        subject: "Your Userplane account will be deleted",
        text:
          `Hello ${user.displayName},\n\nyour account was deleted and every session signed out. ` +
          `On ${after.toUTCString()} it is removed for good, with everything it holds` +
          `${result.tenantDeletedToo ? " (and its workspace, which has no other member)" : ""}.\n\n` +
          `Changed your mind? Until then you can cancel the deletion with your email and password at:\n${cancelUrl}\n`,
        links: [cancelUrl],
      });
      return result;
    },

    /**
     * Takes a deletion back within the grace period and opens a session. Every refusal that could
     * tell whether an address has an account answers as a wrong password does, throttled alike.
     */
    async cancelAccountDeletion(
      input: { email: string; password: string; code?: string | null },
      request: RequestInfo,
    ) {
      const email = input.email.trim().toLowerCase();
      await throttle.beforeSignIn(email, request);
      const user = await prisma.user.findUnique({ where: { email } });
      const ok = await passwords.verify(user ? user.passwordHash : null, input.password);
      const open = !!user?.deletedAt && purgeAfter(user.deletedAt, grace) > new Date();
      if (!user || !ok || (user.deletedAt && !open)) {
        await throttle.signInFailed(email, request);
        throw unauthenticated("Email or password is incorrect.");
      }
      await throttle.signInSucceeded(email, request);
      if (!user.deletedAt)
        throw new AppError("CONFLICT", "This account is not scheduled for deletion: sign in as usual.");
      if (user.totpEnabledAt) {
        if (!input.code?.trim())
          throw badInput("code", "Enter a code from your authenticator app (or a recovery code).");
        await verifySecondFactor(user.id, input.code, request);
      }
      const tenantId = await transact(prisma, async (tx, note) => {
        // Conditional on the mark still being there: a purge that got the row first wins.
        const back = await tx.user.updateMany({
          where: { id: user.id, deletedAt: { not: null } },
          data: { deletedAt: null },
        });
        if (back.count !== 1) throw unauthenticated("Email or password is incorrect.");
        await tx.profile.updateMany({ where: { userId: user.id }, data: { deletedAt: null } });
        const memberships = await tx.roleAssignment.findMany({
          where: { userId: user.id, ...inEffectOn() },
          orderBy: [{ isPrimary: "desc" }, { createdAt: "asc" }],
          select: { tenantId: true },
        });
        for (const tenant of new Set(memberships.map((m) => m.tenantId))) {
          await recountSeats(tx, tenant);
          note(changeOf("User", "update", { id: user.id, tenantId: tenant, userId: user.id }));
          note(
            await audit(tx, {
              action: "user.deletion_cancelled",
              tenantId: tenant,
              userId: user.id,
              resource: "User",
              resourceId: user.id,
              request,
            }),
          );
        }
        return memberships[0]?.tenantId ?? null;
      });
      // A user whose every role ended meanwhile has their account back, but no tenant to open.
      if (!tenantId) throw unauthenticated("Email or password is incorrect.");
      await mailer.send({
        to: user.email,
        subject: "Your Userplane account is no longer being deleted",
        text: `Hello ${user.displayName},\n\nthe deletion of your account was cancelled; it stays as it was. API keys revoked by the deletion stay revoked: create new ones if you need them.\n`,
        links: [],
      });
      return sessions.startSession(user.id, tenantId, request, undefined, { restored: true });
    },
  };
}

export type DeletionFlows = ReturnType<typeof createDeletionFlows>;
