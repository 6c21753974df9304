// Sign-up (a new workspace, or joining one by invite) and the session row every way in opens.
import { randomBytes } from "node:crypto";
import type UAParserType from "ua-parser-js";
import { AppError, badInput } from "../errors.ts";
import type { Prisma, PrismaClient, Role } from "../generated/prisma/client.ts";
import { changeOf, transact } from "../live/changes.ts";
import { requireOnUse } from "../require-on-use.ts";
import type { RequestInfo } from "../viewer.ts";
import { todayUtc } from "../viewer.ts";
import { audit } from "./audit.ts";
import type { PasswordHasher } from "./passwords.ts";
import { claimSeats } from "./seats.ts";
import type { createThrottle } from "./throttle.ts";
import { hashSecret, newSecret } from "./tokens.ts";

export interface UtmInput {
  referrerUrl?: string | null;
  utmSource?: string | null;
  utmMedium?: string | null;
  utmCampaign?: string | null;
}

/** Writes a session row (device, browser, where the visit came from) and returns its token. */
export function sessionOpener(ttlMs: number) {
  return openSession;

  async function openSession(
    tx: Pick<PrismaClient, "session" | "user" | "profile">,
    userId: string,
    tenantId: string,
    request: RequestInfo,
    utm: UtmInput = {},
  ) {
    const token = newSecret("ups");
    const UAParser = requireOnUse("ua-parser-js") as typeof UAParserType;
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
}

export type OpenSession = ReturnType<typeof sessionOpener>;

export function createSignUp(
  prisma: PrismaClient,
  deps: { throttle: ReturnType<typeof createThrottle>; passwords: PasswordHasher; openSession: OpenSession },
) {
  const { throttle, passwords, openSession } = deps;
  return {
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
  };
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
