import { AppError, badInput, forbidden, notFound } from "../errors.ts";
import type { PrismaClient, Role } from "../generated/prisma/client.ts";
import { changeOf, transact } from "../live/changes.ts";
import type { PubSub } from "../pubsub.ts";
import type { RequestInfo, SignedInViewer } from "../viewer.ts";
import { inEffectOn, isTenantAdmin, todayUtc } from "../viewer.ts";
import { auditAs } from "./audit.ts";
import { publishViewerChanged } from "./bearer.ts";
import { claimSeats } from "./seats.ts";
import { hashSecret, newSecret } from "./tokens.ts";

/** Tenant membership: invites and dated role assignments, managed by the tenant's admins. */
export function createMembershipService(prisma: PrismaClient, pubsub: PubSub) {
  return {
    async createInvite(
      viewer: SignedInViewer,
      input: { email?: string | null; role: Role; expiresInDays: number },
      request: RequestInfo,
    ) {
      if (!isTenantAdmin(viewer)) throw forbidden();
      if (input.role === "superadmin" && !viewer.roles.includes("superadmin"))
        throw forbidden("Only a superadmin can invite a superadmin.");
      const token = newSecret("upi");
      return transact(prisma, async (tx, note) => {
        note(...(await claimSeats(tx, viewer.tenantId, { joining: 1, holdInvites: true })));
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
        note(changeOf("Invite", "create", invite));
        note(
          await auditAs(tx, viewer, request, {
            action: "invite.created",
            resource: "Invite",
            resourceId: invite.id,
            metadata: { role: input.role },
          }),
        );
        return { invite, token };
      });
    },

    /** Withdraws an invite of the admin's tenant that nobody has accepted yet. */
    async revokeInvite(viewer: SignedInViewer, id: string, request: RequestInfo) {
      if (!isTenantAdmin(viewer)) throw forbidden();
      return transact(prisma, async (tx, note) => {
        const invite = await tx.invite.findFirst({ where: { id, tenantId: viewer.tenantId } });
        if (!invite) throw notFound("Invite");
        if (invite.acceptedAt) throw new AppError("CONFLICT", "This invite has already been accepted.");
        note(changeOf("Invite", "delete", await tx.invite.delete({ where: { id } })));
        note(await auditAs(tx, viewer, request, { action: "invite.revoked", resource: "Invite", resourceId: id }));
        return invite;
      });
    },

    /** Ends a role assignment of the admin's tenant now (or cancels one that has not started). */
    async endRoleAssignment(viewer: SignedInViewer, id: string, request: RequestInfo) {
      if (!isTenantAdmin(viewer)) throw forbidden();
      const result = await transact(prisma, async (tx, note) => {
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
        note(changeOf("RoleAssignment", "update", ended));
        note(
          await auditAs(tx, viewer, request, {
            action: "role.ended",
            resource: "RoleAssignment",
            resourceId: id,
            subjectUserId: ra.userId,
            metadata: { target: ra.userId, role: ra.role },
          }),
        );
        return ended;
      });
      publishViewerChanged(pubsub, result.userId, "role ended");
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
      const assigned = await transact(prisma, async (tx, note) => {
        const member = await tx.roleAssignment.findFirst({
          where: { userId: input.userId, tenantId: viewer.tenantId },
        });
        if (!member) throw notFound("Member");
        // A member whose roles have all ended comes back and takes a seat again.
        const today = todayUtc();
        if (from <= today && (!input.effectiveTo || input.effectiveTo >= today)) {
          const active = await tx.roleAssignment.count({
            where: { userId: input.userId, tenantId: viewer.tenantId, ...inEffectOn(today) },
          });
          if (active === 0) note(...(await claimSeats(tx, viewer.tenantId, { joining: 1 })));
        }
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
        note(changeOf("RoleAssignment", "create", assignment));
        note(
          await auditAs(tx, viewer, request, {
            action: "role.assigned",
            resource: "RoleAssignment",
            resourceId: assignment.id,
            subjectUserId: input.userId,
            metadata: { target: input.userId, role: input.role },
          }),
        );
        return assignment;
      });
      publishViewerChanged(pubsub, assigned.userId, "role assigned");
      return assigned;
    },
  };
}

export type MembershipService = ReturnType<typeof createMembershipService>;
