// Email verification, password reset and password change. Mail goes out after the transaction
// commits; every flow that changes the password ends the user's other sessions and publishes
// `viewer:changed`, so their live streams end as with any revoked session.
import type { Config } from "../../config.ts";
import { AppError, badInput, forbidden, unauthenticated } from "../../errors.ts";
import type { Prisma, PrismaClient } from "../../generated/prisma/client.ts";
import type { PubSub } from "../../pubsub.ts";
import type { RequestInfo, SignedInViewer } from "../../viewer.ts";
import { audit } from "../audit.ts";
import { publishViewerChanged } from "../bearer.ts";
import type { PasswordHasher } from "../passwords.ts";
import type { createThrottle } from "../throttle.ts";
import type { Mailer } from "./mail.ts";
import { consumeToken, invalidToken, issueToken } from "./tokens.ts";

export interface PasswordDeps {
  prisma: PrismaClient;
  pubsub: PubSub;
  mailer: Mailer;
  config: Pick<Config, "APP_URL">;
  throttle: ReturnType<typeof createThrottle>;
  passwords: PasswordHasher;
}

type Tx = Prisma.TransactionClient;

/** Throttle key for guesses at account tokens from one address (they are unguessable, but probing is still refused). */
const TOKEN_PROBE = "account-token";

export function createPasswordFlows({ prisma, pubsub, mailer, config, throttle, passwords }: PasswordDeps) {
  const link = (path: string, token: string) => `${config.APP_URL}${path}?token=${encodeURIComponent(token)}`;

  /**
   * Runs the transaction that spends a link's token; a token that opens nothing counts as a probe.
   * Counted after the transaction has ended: the count is written on the app's own connection.
   */
  async function withToken<T>(request: RequestInfo, spend: () => Promise<T>): Promise<T> {
    await throttle.beforeSignIn(TOKEN_PROBE, request);
    try {
      return await spend();
    } catch (e) {
      if (e instanceof AppError && e.extensions.code === "INVALID_TOKEN")
        await throttle.signInFailed(TOKEN_PROBE, request);
      throw e;
    }
  }

  /** Revokes every open session of the user but `keep`; returns how many ended. */
  async function endOtherSessions(tx: Tx, userId: string, keep: string | null) {
    const now = new Date();
    const open = await tx.session.findMany({
      where: { userId, revokedAt: null, ...(keep ? { id: { not: keep } } : {}) },
      select: { id: true, sessionStart: true },
    });
    for (const s of open)
      await tx.session.update({
        where: { id: s.id },
        data: {
          revokedAt: now,
          sessionEnd: now,
          durationSeconds: Math.round((now.getTime() - s.sessionStart.getTime()) / 1000),
        },
      });
    return open.length;
  }

  async function primaryTenant(tx: Pick<Tx, "roleAssignment">, userId: string) {
    const ra = await tx.roleAssignment.findFirst({
      where: { userId },
      orderBy: [{ isPrimary: "desc" }, { createdAt: "asc" }],
      select: { tenantId: true },
    });
    return ra?.tenantId ?? null;
  }

  function notifyPasswordChanged(email: string, how: string) {
    return mailer.send({
      to: email,
      subject: "Your Userplane password was changed",
      text: `Your password was ${how}, and every other session was signed out.\n\nIf this was not you, reset your password now: ${config.APP_URL}/forgot-password\n`,
      links: [`${config.APP_URL}/forgot-password`],
    });
  }

  /** Mails a fresh verification link (voiding earlier ones). */
  async function sendVerification(userId: string) {
    const user = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
    if (user.emailVerifiedAt || user.deletedAt) return;
    const token = await issueToken(prisma, user.id, "verify_email");
    const url = link("/verify-email", token);
    await mailer.send({
      to: user.email,
      subject: "Verify your email for Userplane",
      text: `Hello ${user.displayName},\n\nconfirm that this is your address by opening:\n${url}\n\nThe link works once, for 48 hours.\n`,
      links: [url],
    });
  }

  return {
    sendVerification,

    async verifyEmail(token: string, request: RequestInfo) {
      return withToken(request, () =>
        prisma.$transaction(async (tx) => {
          const row = await consumeToken(tx, token, "verify_email");
          const user = await tx.user.findUniqueOrThrow({ where: { id: row.userId } });
          if (user.deletedAt) throw invalidToken();
          const verified = user.emailVerifiedAt
            ? user
            : await tx.user.update({ where: { id: user.id }, data: { emailVerifiedAt: new Date() } });
          await audit(tx, {
            action: "user.email_verified",
            tenantId: await primaryTenant(tx, user.id),
            userId: user.id,
            resource: "User",
            resourceId: user.id,
            request,
          });
          return verified;
        }),
      );
    },

    /** Answers the same for every address; the work and the mail happen after the answer. */
    async requestPasswordReset(email: string, request: RequestInfo) {
      const address = email.trim().toLowerCase();
      await throttle.beforeSignIn(`reset|${address}`, request);
      // Counted like a failure, so repeated requests for one address (mail bombing) back off.
      await throttle.signInFailed(`reset|${address}`, request);
      mailer.later(async () => {
        const user = await prisma.user.findUnique({ where: { email: address } });
        if (!user || user.deletedAt) return;
        const token = await prisma.$transaction(async (tx) => {
          const t = await issueToken(tx, user.id, "reset_password");
          await audit(tx, {
            action: "user.password_reset_requested",
            tenantId: await primaryTenant(tx, user.id),
            userId: user.id,
            resource: "User",
            resourceId: user.id,
            request,
          });
          return t;
        });
        const url = link("/reset-password", token);
        await mailer.send({
          to: user.email,
          subject: "Reset your Userplane password",
          text: `Someone asked to reset the password of this account. To choose a new one, open:\n${url}\n\nThe link works once, for 30 minutes. If you did not ask, ignore this mail.\n`,
          links: [url],
        });
      });
      return true;
    },

    /** Sets a new password from a reset link and signs out every session of the user. */
    async resetPassword(token: string, newPassword: string, request: RequestInfo) {
      const user = await withToken(request, async () => {
        // Hashed after the throttle's check, before the transaction (whose time it would hold).
        const passwordHash = await passwords.hash(newPassword);
        return prisma.$transaction(async (tx) => {
          const row = await consumeToken(tx, token, "reset_password");
          const found = await tx.user.findUniqueOrThrow({ where: { id: row.userId } });
          if (found.deletedAt) throw invalidToken();
          const now = new Date();
          const updated = await tx.user.update({
            where: { id: found.id },
            // The link reached the mailbox, which proves the address as a verification link would.
            data: { passwordHash, passwordChangedAt: now, emailVerifiedAt: found.emailVerifiedAt ?? now },
          });
          const ended = await endOtherSessions(tx, found.id, null);
          await audit(tx, {
            action: "user.password_reset",
            tenantId: await primaryTenant(tx, found.id),
            userId: found.id,
            resource: "User",
            resourceId: found.id,
            request,
            metadata: { sessionsEnded: ended },
          });
          return updated;
        });
      });
      publishViewerChanged(pubsub, user.id, "password reset");
      await notifyPasswordChanged(user.email, "reset through a link sent to this address");
      return true;
    },

    /** Changes the password of the signed-in user; every other session of theirs ends. */
    async changePassword(viewer: SignedInViewer, currentPassword: string, newPassword: string, request: RequestInfo) {
      if (viewer.kind !== "session") throw forbidden("Passwords are changed from a signed-in session.");
      const user = await prisma.user.findUniqueOrThrow({ where: { id: viewer.userId } });
      const key = `change|${user.id}`;
      await throttle.beforeSignIn(key, request);
      if (!(await passwords.verify(user.passwordHash, currentPassword))) {
        await throttle.signInFailed(key, request);
        throw badInput("currentPassword", "The current password is incorrect.");
      }
      await throttle.signInSucceeded(key, request);
      if (currentPassword === newPassword)
        throw badInput("newPassword", "The new password must differ from the current one.");
      const passwordHash = await passwords.hash(newPassword);
      await prisma.$transaction(async (tx) => {
        await tx.user.update({ where: { id: user.id }, data: { passwordHash, passwordChangedAt: new Date() } });
        const ended = await endOtherSessions(tx, user.id, viewer.sessionId);
        await audit(tx, {
          action: "user.password_changed",
          tenantId: viewer.tenantId,
          userId: user.id,
          resource: "User",
          resourceId: user.id,
          request,
          metadata: { sessionsEnded: ended },
        });
      });
      publishViewerChanged(pubsub, user.id, "password changed");
      await notifyPasswordChanged(user.email, "changed from a signed-in session");
      return true;
    },

    /** Sends the link again to the signed-in user, unless already verified. */
    async resendVerification(viewer: SignedInViewer, request: RequestInfo) {
      if (viewer.kind !== "session") throw unauthenticated();
      const key = `verify|${viewer.userId}`;
      await throttle.beforeSignIn(key, request);
      await throttle.signInFailed(key, request);
      await sendVerification(viewer.userId);
      return true;
    },
  };
}

export type PasswordFlows = ReturnType<typeof createPasswordFlows>;
