// Sign-in, the sessions it opens and ending them; the service also hands out sign-up
// (sign-up.ts) and the viewer behind a bearer token (bearer.ts), which share its options.
import { AppError, notFound, unauthenticated } from "../errors.ts";
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import { changeOf, publishChange, transact } from "../live/changes.ts";
import type { Logger } from "../logger.ts";
import type { PubSub } from "../pubsub.ts";
import type { RequestInfo, SignedInViewer, Viewer } from "../viewer.ts";
import { inEffectOn, isTenantAdmin } from "../viewer.ts";
import { deactivated, pendingDeletion, purgeAfter } from "./account/grace.ts";
import { issueToken, TOKEN_TTL_MS } from "./account/tokens.ts";
import { audit } from "./audit.ts";
import { createBearerResolver, publishViewerChanged } from "./bearer.ts";
import { createPasswordHasher, type PasswordCost } from "./passwords.ts";
import { createSignUp, sessionOpener, type UtmInput } from "./sign-up.ts";
import { createThrottle, type ThrottleOptions } from "./throttle.ts";
import type { ViewerCacheOptions } from "./viewer-cache.ts";

// The tests import these from here.
export { publishTenantViewersChanged, publishViewerChanged } from "./bearer.ts";

export interface SessionOptions {
  sessionTtlHours: number;
  /** Signed-in viewers kept by token hash (viewer-cache.ts); ttlMs 0 reads every request's credential. */
  viewerCache: ViewerCacheOptions;
  throttle: ThrottleOptions;
  passwordCost: PasswordCost;
  /** ACCOUNT_DELETION_GRACE_DAYS: how long a deleted account waits for its purge. */
  deletionGraceDays: number;
  /** Where a sliding renewal that could not be written is told (it never fails the request). */
  logger: Logger;
}

/** Sign-up, sign-in, the viewer behind a bearer token, and ending sessions. */
export function createSessionService(prisma: PrismaClient, pubsub: PubSub, options: SessionOptions) {
  const ttlMs = options.sessionTtlHours * 3_600_000;
  const throttle = createThrottle(prisma, options.throttle);
  const passwords = createPasswordHasher(options.passwordCost);
  const openSession = sessionOpener(ttlMs);
  const bearer = createBearerResolver(prisma, pubsub, {
    sessionTtlMs: ttlMs,
    viewerCache: options.viewerCache,
    logger: options.logger,
  });
  const { signUp } = createSignUp(prisma, { throttle, passwords, openSession });

  async function startSession(
    userId: string,
    tenantId: string,
    request: RequestInfo,
    utm?: UtmInput,
    metadata: Prisma.InputJsonValue = {},
  ) {
    return transact(prisma, async (tx, note) => {
      // Every factor may have been checked before the account was deleted or deactivated (a
      // challenge answered afterwards): no session for it.
      const who = await tx.user.findUniqueOrThrow({ where: { id: userId }, include: { profile: true } });
      if (who.deletedAt) throw unauthenticated("Email or password is incorrect.");
      if (who.profile && !who.profile.isActive) throw deactivated();
      const { token, session } = await openSession(tx, userId, tenantId, request, utm);
      note(changeOf("Session", "create", session));
      note(
        await audit(tx, {
          action: "user.sign_in",
          tenantId,
          userId,
          resource: "Session",
          resourceId: session.id,
          request,
          metadata,
        }),
      );
      const fresh = await tx.user.findUniqueOrThrow({ where: { id: userId } });
      return { token, user: fresh, session };
    });
  }

  return {
    /**
     * Resolves a bearer token to the viewer; unknown, expired or revoked tokens are anonymous. A
     * signed-in viewer is kept until it may have changed (viewer-cache.ts).
     */
    resolveViewer: bearer.resolveViewer,
    viewerOf: bearer.viewerOf,

    /** Stops following viewer changes (before the pub/sub closes). */
    close: bearer.close,

    signUp,

    async signIn(
      input: { email: string; password: string; tenantSlug?: string | null },
      request: RequestInfo,
      utm?: UtmInput,
    ) {
      const email = input.email.trim().toLowerCase();
      await throttle.beforeSignIn(email, request);
      const user = await prisma.user.findUnique({
        where: { email },
        include: { profile: { select: { isActive: true } } },
      });
      const ok = await passwords.verify(user ? user.passwordHash : null, input.password);
      // A deleted account in its grace period: whoever knows the password is told so (and how long
      // is left), and only cancelAccountDeletion opens it again (account/deletion.ts).
      if (user && ok && user.deletedAt) {
        await throttle.signInSucceeded(email, request);
        throw pendingDeletion(purgeAfter(user.deletedAt, options.deletionGraceDays));
      }
      const memberships =
        user && ok
          ? await prisma.roleAssignment.findMany({
              where: { userId: user.id, ...inEffectOn() },
              include: { tenant: { select: { slug: true, requireEmailVerification: true } } },
              orderBy: [{ isPrimary: "desc" }, { createdAt: "asc" }],
            })
          : [];
      const membership = input.tenantSlug
        ? memberships.find((m) => m.tenant.slug === input.tenantSlug)
        : memberships[0];
      if (!user || !ok || !membership) {
        await throttle.signInFailed(email, request);
        // Filed under the account's primary tenant, so that tenant's admins see attacks on their
        // members (an unknown email has no tenant).
        const home = user
          ? await prisma.roleAssignment.findFirst({
              where: { userId: user.id },
              orderBy: [{ isPrimary: "desc" }, { createdAt: "asc" }],
              select: { tenantId: true },
            })
          : null;
        const failed = await audit(prisma, {
          action: "user.sign_in_failed",
          userId: user?.id ?? null,
          tenantId: home?.tenantId ?? null,
          request,
          metadata: { email },
        });
        publishChange(prisma, failed);
        throw unauthenticated("Email or password is incorrect.");
      }
      await throttle.signInSucceeded(email, request);
      // Told only to whoever knows the password, so it reveals nothing about who has an account.
      if (user.profile && !user.profile.isActive) throw deactivated();
      if (membership.tenant.requireEmailVerification && !user.emailVerifiedAt)
        throw new AppError("EMAIL_NOT_VERIFIED", "Verify your email address before signing in.");
      // A second factor is enrolled: no session yet, only a short-lived challenge (account/mfa.ts).
      if (user.totpEnabledAt) {
        const challenge = await issueToken(prisma, user.id, "mfa_challenge", membership.tenantId);
        return { challenge, expiresAt: new Date(Date.now() + TOKEN_TTL_MS.mfa_challenge) } as const;
      }
      return startSession(user.id, membership.tenantId, request, utm);
    },

    /** Opens a session after every factor has been checked (sign-in, or a completed challenge). */
    startSession,

    /** The password hasher, at the cost this deployment uses (account flows share it). */
    passwords,

    async signOut(viewer: Viewer, request: RequestInfo) {
      if (viewer.kind !== "session") throw unauthenticated();
      await endSession(viewer.sessionId, viewer, request, "user.sign_out");
      return true;
    },

    async revokeSession(viewer: SignedInViewer, sessionId: string, request: RequestInfo) {
      const s = await prisma.session.findUnique({ where: { id: sessionId } });
      const mine = s?.userId === viewer.userId;
      const adminOfIt = s?.tenantId === viewer.tenantId && isTenantAdmin(viewer);
      if (!s || (!mine && !adminOfIt)) throw notFound("Session");
      if (s.revokedAt) return s;
      return endSession(s.id, viewer, request, "session.revoked");
    },
  };

  async function endSession(sessionId: string, viewer: SignedInViewer, request: RequestInfo, action: string) {
    const updated = await transact(prisma, async (tx, note) => {
      const now = new Date();
      const s = await tx.session.findUniqueOrThrow({ where: { id: sessionId } });
      const row = await tx.session.update({
        where: { id: sessionId },
        data: {
          revokedAt: now,
          sessionEnd: now,
          durationSeconds: Math.round((now.getTime() - s.sessionStart.getTime()) / 1000),
        },
      });
      note(
        await audit(tx, {
          action,
          tenantId: s.tenantId,
          userId: viewer.userId,
          resource: "Session",
          resourceId: sessionId,
          subjectUserId: s.userId,
          request,
        }),
      );
      note(changeOf("Session", "update", row));
      return row;
    });
    publishViewerChanged(pubsub, updated.userId, "session ended");
    return updated;
  }
}

export type SessionService = ReturnType<typeof createSessionService>;
