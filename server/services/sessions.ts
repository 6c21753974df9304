import { randomBytes } from "node:crypto";
import UAParser from "ua-parser-js";
import { AppError, badInput, notFound, unauthenticated } from "../errors.ts";
import type { Prisma, PrismaClient, Role } from "../generated/prisma/client.ts";
import { changeOf, publishChange, transact } from "../live/changes.ts";
import type { PubSub } from "../pubsub.ts";
import type { ApiScope, RequestInfo, SignedInViewer, Viewer } from "../viewer.ts";
import { API_SCOPES, inEffectOn, isTenantAdmin, todayUtc } from "../viewer.ts";
import { deactivated, pendingDeletion, purgeAfter } from "./account/grace.ts";
import { issueToken, TOKEN_TTL_MS } from "./account/tokens.ts";
import { audit } from "./audit.ts";
import { findCredential } from "./credential.ts";
import { createPasswordHasher, type PasswordCost } from "./passwords.ts";
import { claimSeats } from "./seats.ts";
import { createThrottle, type ThrottleOptions } from "./throttle.ts";
import { hashSecret, newSecret, secretKind } from "./tokens.ts";
import { createViewerCache, type ViewerCacheOptions, type ViewerScope, viewerChangedLocally } from "./viewer-cache.ts";

/** Sliding renewal is written at most this often per session, not on every request. */
const RENEW_EVERY_MS = 60_000;

export interface SessionOptions {
  sessionTtlHours: number;
  /** Signed-in viewers kept by token hash (viewer-cache.ts); ttlMs 0 reads every request's credential. */
  viewerCache: ViewerCacheOptions;
  throttle: ThrottleOptions;
  passwordCost: PasswordCost;
  /** ACCOUNT_DELETION_GRACE_DAYS: how long a deleted account waits for its purge. */
  deletionGraceDays: number;
}

export interface UtmInput {
  referrerUrl?: string | null;
  utmSource?: string | null;
  utmMedium?: string | null;
  utmCampaign?: string | null;
}

/** Roles of a user in a tenant that are in effect on `day`; a deleted or deactivated user has none. */
export async function rolesInEffect(prisma: PrismaClient, userId: string, tenantId: string, day = todayUtc()) {
  const rows = await prisma.roleAssignment.findMany({
    where: {
      userId,
      tenantId,
      user: { deletedAt: null, NOT: { profile: { isActive: false } } },
      ...inEffectOn(day),
    },
    select: { role: true },
  });
  return [...new Set(rows.map((r) => r.role))];
}

/** Sign-up, sign-in, the viewer behind a bearer token, and ending sessions. */
export function createSessionService(prisma: PrismaClient, pubsub: PubSub, options: SessionOptions) {
  const ttlMs = options.sessionTtlHours * 3_600_000;
  const throttle = createThrottle(prisma, options.throttle);
  const passwords = createPasswordHasher(options.passwordCost);
  const viewers = createViewerCache(pubsub, options.viewerCache);

  async function openSession(
    tx: Pick<PrismaClient, "session" | "user" | "profile">,
    userId: string,
    tenantId: string,
    request: RequestInfo,
    utm: UtmInput = {},
  ) {
    const token = newSecret("ups");
    const ua = new UAParser(request.userAgent ?? undefined).getResult();
    const session = await tx.session.create({
      data: {
        userId,
        tenantId,
        tokenHash: hashSecret(token),
        expiresAt: new Date(Date.now() + ttlMs),
        deviceType: ua.device.type ?? (request.userAgent ? "desktop" : null),
        browser: ua.browser.name ? `${ua.browser.name} ${ua.browser.version ?? ""}`.trim() : null,
        os: ua.os.name ? `${ua.os.name} ${ua.os.version ?? ""}`.trim() : null,
        ipAddress: request.ip,
        userAgent: request.userAgent,
        referrerUrl: utm.referrerUrl ?? request.referrer,
        utmSource: utm.utmSource ?? null,
        utmMedium: utm.utmMedium ?? null,
        utmCampaign: utm.utmCampaign ?? null,
      },
    });
    const now = new Date();
    await tx.user.update({ where: { id: userId }, data: { lastSignInAt: now } });
    await tx.profile.update({ where: { userId }, data: { lastSeenAt: now } });
    return { token, session };
  }

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

  /**
   * The viewer behind a token, read from its credential (credential.ts: one statement), and when
   * its sliding renewal is next due; unknown, expired or revoked tokens are anonymous.
   */
  async function readViewer(token: string, tokenHash: string): Promise<{ viewer: Viewer; renewBy: number | null }> {
    const kind = secretKind(token);
    const now = new Date();
    if (kind === "session") {
      const s = await findCredential(prisma, "session", tokenHash);
      if (!s?.expiresAt || s.revokedAt || s.expiresAt <= now) return { viewer: { kind: "anonymous" }, renewBy: null };
      let expiresAt = s.expiresAt;
      let renewedAt = s.lastSeenAt?.getTime() ?? now.getTime();
      if (!s.lastSeenAt || now.getTime() - s.lastSeenAt.getTime() > RENEW_EVERY_MS) {
        renewedAt = now.getTime();
        expiresAt = new Date(now.getTime() + ttlMs);
        await prisma.$transaction([
          prisma.session.update({ where: { id: s.id }, data: { lastSeenAt: now, expiresAt } }),
          prisma.profile.update({ where: { userId: s.userId }, data: { lastSeenAt: now } }),
        ]);
        // At most once a minute per session: screens showing "last seen" move with it.
        const row = { id: s.id, userId: s.userId, tenantId: s.tenantId };
        publishChange(prisma, changeOf("Session", "update", row), changeOf("User", "update", { ...row, id: s.userId }));
      }
      const roles = s.roles;
      // No role in effect today: the membership has ended (or not begun), so the session no
      // longer opens the tenant.
      if (roles.length === 0) return { viewer: { kind: "anonymous" }, renewBy: null };
      const viewer: Viewer = {
        kind: "session",
        userId: s.userId,
        tenantId: s.tenantId,
        sessionId: s.id,
        expiresAt,
        roles,
        ...(s.mfaPending ? { mfaEnrollmentRequired: true } : {}),
      };
      return { viewer, renewBy: renewedAt + RENEW_EVERY_MS };
    }
    if (kind === "apiKey") {
      const k = await findCredential(prisma, "apiKey", tokenHash);
      if (!k || k.revokedAt || (k.expiresAt && k.expiresAt <= now))
        return { viewer: { kind: "anonymous" }, renewBy: null };
      let usedAt = k.lastSeenAt?.getTime() ?? now.getTime();
      if (!k.lastSeenAt || now.getTime() - k.lastSeenAt.getTime() > RENEW_EVERY_MS) {
        usedAt = now.getTime();
        await prisma.apiKey.update({ where: { id: k.id }, data: { lastUsedAt: now } });
        publishChange(prisma, changeOf("ApiKey", "update", { id: k.id, userId: k.userId, tenantId: k.tenantId }));
      }
      const roles = k.roles;
      if (roles.length === 0) return { viewer: { kind: "anonymous" }, renewBy: null };
      const viewer: Viewer = {
        kind: "apiKey",
        userId: k.userId,
        tenantId: k.tenantId,
        apiKeyId: k.id,
        expiresAt: k.expiresAt,
        scopes: k.scopes.filter((s): s is ApiScope => (API_SCOPES as readonly string[]).includes(s)),
        roles,
        ...(k.mfaPending ? { mfaEnrollmentRequired: true } : {}),
      };
      return { viewer, renewBy: usedAt + RENEW_EVERY_MS };
    }
    return { viewer: { kind: "anonymous" }, renewBy: null };
  }

  return {
    /**
     * Resolves a bearer token to the viewer; unknown, expired or revoked tokens are anonymous. A
     * signed-in viewer is kept until it may have changed (viewer-cache.ts).
     */
    async resolveViewer(token: string | null | undefined): Promise<Viewer> {
      if (!token) return { kind: "anonymous" };
      const tokenHash = hashSecret(token);
      const kept = viewers.get(tokenHash);
      if (kept) return kept;
      const mark = viewers.mark();
      const { viewer, renewBy } = await readViewer(token, tokenHash);
      viewers.set(tokenHash, viewer, mark, renewBy);
      return viewer;
    },

    /** Stops following viewer changes (before the pub/sub closes). */
    close: () => viewers.close(),

    async signUp(
      input: {
        email: string;
        password: string;
        displayName: string;
        inviteToken?: string | null;
        tenantName?: string | null;
      },
      request: RequestInfo,
      utm?: UtmInput,
    ) {
      const email = input.email.trim().toLowerCase();
      await throttle.beforeSignUp(request);
      const passwordHash = await passwords.hash(input.password);
      return transact(prisma, async (tx, note) => {
        if (await tx.user.findUnique({ where: { email }, select: { id: true } }))
          throw new AppError("CONFLICT", "An account with this email already exists.", { field: "email" });
        let tenantId: string;
        let role: Role;
        let inviteId: string | null = null;
        if (input.inviteToken) {
          const invite = await tx.invite.findUnique({ where: { tokenHash: hashSecret(input.inviteToken) } });
          if (!invite || invite.acceptedAt || invite.expiresAt <= new Date())
            throw badInput("inviteToken", "This invite is not valid or has expired.");
          if (invite.email && invite.email !== email)
            throw badInput("inviteToken", "This invite was issued for another email address.");
          tenantId = invite.tenantId;
          role = invite.role;
          inviteId = invite.id;
          note(...(await claimSeats(tx, tenantId, { joining: 1 })));
        } else {
          const name = input.tenantName?.trim() || `${input.displayName}'s workspace`;
          const tenant = await createTenant(tx, name);
          tenantId = tenant.id;
          role = "admin";
        }
        const user = await tx.user.create({
          data: {
            email,
            passwordHash,
            displayName: input.displayName.trim(),
            profile: { create: { fullName: input.displayName.trim() } },
          },
        });
        // effectiveFrom is today in UTC, as every role check reads it (not the database's CURRENT_DATE,
        // which follows the server's time zone and may still be yesterday or already tomorrow).
        const membership = await tx.roleAssignment.create({
          data: { userId: user.id, tenantId, role, isPrimary: true, effectiveFrom: todayUtc() },
        });
        if (inviteId)
          await tx.invite.update({ where: { id: inviteId }, data: { acceptedAt: new Date(), acceptedById: user.id } });
        const { token, session } = await openSession(tx, user.id, tenantId, request, utm);
        note(
          changeOf("User", "create", { id: user.id, tenantId, userId: user.id }),
          changeOf("RoleAssignment", "create", membership),
          changeOf("Session", "create", session),
          ...(inviteId ? [changeOf("Invite", "update", { id: inviteId, tenantId })] : []),
        );
        note(
          await audit(tx, {
            action: "user.sign_up",
            tenantId,
            userId: user.id,
            resource: "User",
            resourceId: user.id,
            request,
            metadata: { invited: !!inviteId },
          }),
        );
        return { token, user, session };
      });
    },

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

/**
 * A new tenant under a slug of its name, or of its name and a random suffix when that is taken.
 * ON CONFLICT DO NOTHING (skipDuplicates) makes a slug taken by a concurrent sign-up one more try,
 * never an error that would abort the sign-up's transaction.
 */
async function createTenant(tx: Prisma.TransactionClient, name: string) {
  const base =
    name
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 40) || "workspace";
  for (let i = 0; ; i++) {
    const slug = i === 0 ? base : `${base}-${randomBytes(4).toString("hex")}`;
    const [tenant] = await tx.tenant.createManyAndReturn({ data: [{ name, slug }], skipDuplicates: true });
    if (tenant) return tenant;
  }
}
/**
 * After commit: live operations of this user re-resolve their viewer (live-auth.ts), and every
 * instance drops the viewers it keeps for them (viewer-cache.ts), this one at once.
 */
export function publishViewerChanged(pubsub: PubSub, userId: string, reason: string) {
  viewerChangedLocally(pubsub, { userId });
  pubsub.publish("viewers:changed", { userId });
  pubsub.publish("viewer:changed", userId, { userId, reason });
}

/** After commit: what every member of a tenant may do changed (its sign-in rules). */
export function publishTenantViewersChanged(pubsub: PubSub, tenantId: string) {
  const scope: ViewerScope = { tenantId };
  viewerChangedLocally(pubsub, scope);
  pubsub.publish("viewers:changed", scope);
}

export type SessionService = ReturnType<typeof createSessionService>;
