import { hash, verify } from "@node-rs/argon2";
import UAParser from "ua-parser-js";
import { AppError, badInput, forbidden, notFound, rateLimited, unauthenticated } from "../errors.ts";
import type { Prisma, PrismaClient, Role } from "../generated/prisma/client.ts";
import type { PubSub } from "../pubsub.ts";
import type { ApiScope, RequestInfo, SignedInViewer, Viewer } from "../viewer.ts";
import { API_SCOPES, inEffectOn, isTenantAdmin, todayUtc } from "../viewer.ts";
import { audit } from "./audit.ts";
import { findCredential } from "./credential.ts";
import { createThrottle, type ThrottleOptions } from "./throttle.ts";
import { hashSecret, newSecret, secretKind } from "./tokens.ts";

const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const; // OWASP argon2id baseline
// Spent on unknown emails too, so timing does not tell whether an account exists.
const DUMMY_HASH_PROMISE = hash("userplane-timing-equaliser", ARGON2);
/** Sliding renewal is written at most this often per session, not on every request. */
const RENEW_EVERY_MS = 60_000;

export interface AuthOptions {
  sessionTtlHours: number;
  throttle: ThrottleOptions;
}

export interface UtmInput {
  referrerUrl?: string | null;
  utmSource?: string | null;
  utmMedium?: string | null;
  utmCampaign?: string | null;
}

/** Roles of a user in a tenant that are in effect on `day`; a deleted user has none. */
export async function rolesInEffect(prisma: PrismaClient, userId: string, tenantId: string, day = todayUtc()) {
  const rows = await prisma.roleAssignment.findMany({
    where: {
      userId,
      tenantId,
      user: { deletedAt: null },
      ...inEffectOn(day),
    },
    select: { role: true },
  });
  return [...new Set(rows.map((r) => r.role))];
}

export function createAuthService(prisma: PrismaClient, pubsub: PubSub, options: AuthOptions) {
  const ttlMs = options.sessionTtlHours * 3_600_000;
  const throttle = createThrottle(prisma, options.throttle);

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

  return {
    /**
     * Resolves a bearer token to the viewer; unknown, expired or revoked tokens are anonymous. The
     * credential and its roles come in one statement (credential.ts).
     */
    async resolveViewer(token: string | null | undefined): Promise<Viewer> {
      if (!token) return { kind: "anonymous" };
      const kind = secretKind(token);
      const tokenHash = hashSecret(token);
      const now = new Date();
      if (kind === "session") {
        const s = await findCredential(prisma, "session", tokenHash);
        if (!s?.expiresAt || s.revokedAt || s.expiresAt <= now) return { kind: "anonymous" };
        let expiresAt = s.expiresAt;
        if (!s.lastSeenAt || now.getTime() - s.lastSeenAt.getTime() > RENEW_EVERY_MS) {
          expiresAt = new Date(now.getTime() + ttlMs);
          await prisma.$transaction([
            prisma.session.update({ where: { id: s.id }, data: { lastSeenAt: now, expiresAt } }),
            prisma.profile.update({ where: { userId: s.userId }, data: { lastSeenAt: now } }),
          ]);
        }
        const roles = s.roles;
        // No role in effect today: the membership has ended (or not begun), so the session no
        // longer opens the tenant.
        if (roles.length === 0) return { kind: "anonymous" };
        return { kind: "session", userId: s.userId, tenantId: s.tenantId, sessionId: s.id, expiresAt, roles };
      }
      if (kind === "apiKey") {
        const k = await findCredential(prisma, "apiKey", tokenHash);
        if (!k || k.revokedAt || (k.expiresAt && k.expiresAt <= now)) return { kind: "anonymous" };
        if (!k.lastSeenAt || now.getTime() - k.lastSeenAt.getTime() > RENEW_EVERY_MS) {
          await prisma.apiKey.update({ where: { id: k.id }, data: { lastUsedAt: now } });
        }
        const roles = k.roles;
        if (roles.length === 0) return { kind: "anonymous" };
        return {
          kind: "apiKey",
          userId: k.userId,
          tenantId: k.tenantId,
          apiKeyId: k.id,
          expiresAt: k.expiresAt,
          scopes: k.scopes.filter((s): s is ApiScope => (API_SCOPES as readonly string[]).includes(s)),
          roles,
        };
      }
      return { kind: "anonymous" };
    },

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
      const passwordHash = await hash(input.password, ARGON2);
      return prisma.$transaction(async (tx) => {
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
        } else {
          const name = input.tenantName?.trim() || `${input.displayName}'s workspace`;
          const tenant = await tx.tenant.create({ data: { name, slug: await uniqueSlug(tx, name) } });
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
        await tx.roleAssignment.create({
          data: { userId: user.id, tenantId, role, isPrimary: true, effectiveFrom: todayUtc() },
        });
        if (inviteId)
          await tx.invite.update({ where: { id: inviteId }, data: { acceptedAt: new Date(), acceptedById: user.id } });
        const { token, session } = await openSession(tx, user.id, tenantId, request, utm);
        await audit(tx, {
          action: "user.sign_up",
          tenantId,
          userId: user.id,
          resource: "User",
          resourceId: user.id,
          request,
          metadata: { invited: !!inviteId },
        });
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
      const user = await prisma.user.findUnique({ where: { email } });
      let ok = false;
      if (user && !user.deletedAt) ok = await verify(user.passwordHash, input.password);
      else await verify(await DUMMY_HASH_PROMISE, input.password);
      const memberships =
        user && ok
          ? await prisma.roleAssignment.findMany({
              where: { userId: user.id, ...inEffectOn() },
              include: { tenant: { select: { slug: true } } },
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
        await audit(prisma, {
          action: "user.sign_in_failed",
          userId: user?.id ?? null,
          tenantId: home?.tenantId ?? null,
          request,
          metadata: { email },
        });
        throw unauthenticated("Email or password is incorrect.");
      }
      await throttle.signInSucceeded(email, request);
      return prisma.$transaction(async (tx) => {
        const { token, session } = await openSession(tx, user.id, membership.tenantId, request, utm);
        await audit(tx, {
          action: "user.sign_in",
          tenantId: membership.tenantId,
          userId: user.id,
          resource: "Session",
          resourceId: session.id,
          request,
        });
        const fresh = await tx.user.findUniqueOrThrow({ where: { id: user.id } });
        return { token, user: fresh, session };
      });
    },

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

    async createApiKey(
      viewer: SignedInViewer,
      input: { name: string; scopes: ApiScope[]; expiresAt?: Date | null },
      request: RequestInfo,
    ) {
      if (viewer.kind !== "session") throw forbidden("API keys are managed from a signed-in session.");
      if (input.scopes.includes("admin") && !isTenantAdmin(viewer))
        throw forbidden("Only tenant admins can create keys with the admin scope.");
      const secret = newSecret("upk");
      return prisma.$transaction(async (tx) => {
        const apiKey = await tx.apiKey.create({
          data: {
            userId: viewer.userId,
            tenantId: viewer.tenantId,
            name: input.name,
            prefix: secret.slice(0, 12),
            keyHash: hashSecret(secret),
            scopes: [...new Set(input.scopes)],
            expiresAt: input.expiresAt ?? null,
          },
        });
        await audit(tx, {
          action: "api_key.created",
          tenantId: viewer.tenantId,
          userId: viewer.userId,
          resource: "ApiKey",
          resourceId: apiKey.id,
          request,
          metadata: { scopes: apiKey.scopes },
        });
        return { apiKey, secret };
      });
    },

    async revokeApiKey(viewer: SignedInViewer, id: string, request: RequestInfo) {
      if (viewer.kind !== "session") throw forbidden("API keys are managed from a signed-in session.");
      const revoked = await prisma.$transaction(async (tx) => {
        const key = await tx.apiKey.findUnique({ where: { id } });
        if (!key || key.userId !== viewer.userId) throw notFound("API key");
        if (key.revokedAt) return key;
        const updated = await tx.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
        await audit(tx, {
          action: "api_key.revoked",
          tenantId: viewer.tenantId,
          userId: viewer.userId,
          resource: "ApiKey",
          resourceId: id,
          request,
        });
        return updated;
      });
      viewerChanged(revoked.userId, "api key revoked");
      return revoked;
    },

    async createInvite(
      viewer: SignedInViewer,
      input: { email?: string | null; role: Role; expiresInDays: number },
      request: RequestInfo,
    ) {
      if (!isTenantAdmin(viewer)) throw forbidden();
      if (input.role === "superadmin" && !viewer.roles.includes("superadmin"))
        throw forbidden("Only a superadmin can invite a superadmin.");
      const token = newSecret("upi");
      return prisma.$transaction(async (tx) => {
        const invite = await tx.invite.create({
          data: {
            tenantId: viewer.tenantId,
            email: input.email?.trim().toLowerCase() || null,
            role: input.role,
            tokenHash: hashSecret(token),
            createdById: viewer.userId,
            expiresAt: new Date(Date.now() + input.expiresInDays * 86_400_000),
          },
        });
        await audit(tx, {
          action: "invite.created",
          tenantId: viewer.tenantId,
          userId: viewer.userId,
          resource: "Invite",
          resourceId: invite.id,
          request,
          metadata: { role: input.role },
        });
        return { invite, token };
      });
    },

    /** Withdraws an invite of the admin's tenant that nobody has accepted yet. */
    async revokeInvite(viewer: SignedInViewer, id: string, request: RequestInfo) {
      if (!isTenantAdmin(viewer)) throw forbidden();
      return prisma.$transaction(async (tx) => {
        const invite = await tx.invite.findFirst({ where: { id, tenantId: viewer.tenantId } });
        if (!invite) throw notFound("Invite");
        if (invite.acceptedAt) throw new AppError("CONFLICT", "This invite has already been accepted.");
        await tx.invite.delete({ where: { id } });
        await audit(tx, {
          action: "invite.revoked",
          tenantId: viewer.tenantId,
          userId: viewer.userId,
          resource: "Invite",
          resourceId: id,
          request,
        });
        return invite;
      });
    },

    /** Ends a role assignment of the admin's tenant now (or cancels one that has not started). */
    async endRoleAssignment(viewer: SignedInViewer, id: string, request: RequestInfo) {
      if (!isTenantAdmin(viewer)) throw forbidden();
      const result = await prisma.$transaction(async (tx) => {
        const ra = await tx.roleAssignment.findFirst({ where: { id, tenantId: viewer.tenantId } });
        if (!ra) throw notFound("Role assignment");
        if (ra.userId === viewer.userId && ra.role !== "member")
          throw forbidden("You cannot end your own admin role; ask another admin.");
        if (ra.role === "superadmin" && !viewer.roles.includes("superadmin"))
          throw forbidden("Only a superadmin can end a superadmin role.");
        // effective_to is inclusive, so the day before today ends the role now, and the day before
        // a future start cancels it before it ever takes effect.
        const today = todayUtc();
        const from = new Date(Math.max(ra.effectiveFrom.getTime(), today.getTime()));
        const dayBefore = new Date(from.getTime() - 86_400_000);
        const effectiveTo = ra.effectiveTo && ra.effectiveTo < dayBefore ? ra.effectiveTo : dayBefore;
        const ended = await tx.roleAssignment.update({ where: { id }, data: { effectiveTo } });
        await audit(tx, {
          action: "role.ended",
          tenantId: viewer.tenantId,
          userId: viewer.userId,
          resource: "RoleAssignment",
          resourceId: id,
          request,
          metadata: { target: ra.userId, role: ra.role },
        });
        return ended;
      });
      viewerChanged(result.userId, "role ended");
      return result;
    },

    async assignRole(
      viewer: SignedInViewer,
      input: {
        userId: string;
        role: Role;
        effectiveFrom?: Date | null;
        effectiveTo?: Date | null;
        isActing?: boolean | null;
      },
      request: RequestInfo,
    ) {
      if (!isTenantAdmin(viewer)) throw forbidden();
      if (input.role === "superadmin" && !viewer.roles.includes("superadmin"))
        throw forbidden("Only a superadmin can grant superadmin.");
      const from = input.effectiveFrom ?? todayUtc();
      if (input.effectiveTo && input.effectiveTo < from)
        throw badInput("effectiveTo", "effectiveTo must not be before effectiveFrom.");
      const assigned = await prisma.$transaction(async (tx) => {
        const member = await tx.roleAssignment.findFirst({
          where: { userId: input.userId, tenantId: viewer.tenantId },
        });
        if (!member) throw notFound("Member");
        const assignment = await tx.roleAssignment.create({
          data: {
            userId: input.userId,
            tenantId: viewer.tenantId,
            role: input.role,
            effectiveFrom: from,
            effectiveTo: input.effectiveTo ?? null,
            isActing: input.isActing ?? false,
            isPrimary: false,
            createdById: viewer.userId,
          },
        });
        await audit(tx, {
          action: "role.assigned",
          tenantId: viewer.tenantId,
          userId: viewer.userId,
          resource: "RoleAssignment",
          resourceId: assignment.id,
          request,
          metadata: { target: input.userId, role: input.role },
        });
        return assignment;
      });
      viewerChanged(assigned.userId, "role assigned");
      return assigned;
    },
  };

  /** After commit: live operations of this user re-resolve their viewer (live-auth.ts). */
  function viewerChanged(userId: string, reason: string) {
    pubsub.publish("viewer:changed", userId, { userId, reason });
  }

  async function endSession(sessionId: string, viewer: SignedInViewer, request: RequestInfo, action: string) {
    const updated = await prisma.$transaction(async (tx) => {
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
      await audit(tx, {
        action,
        tenantId: s.tenantId,
        userId: viewer.userId,
        resource: "Session",
        resourceId: sessionId,
        request,
      });
      return row;
    });
    viewerChanged(updated.userId, "session ended");
    return updated;
  }
}

async function uniqueSlug(tx: Pick<PrismaClient, "tenant">, name: string): Promise<string> {
  const base =
    name
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 40) || "workspace";
  for (let i = 0; ; i++) {
    const slug = i === 0 ? base : `${base}-${i + 1}`;
    if (!(await tx.tenant.findUnique({ where: { slug }, select: { id: true } }))) return slug;
  }
}

export type AuthService = ReturnType<typeof createAuthService>;
