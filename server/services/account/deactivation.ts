// Tenant admins deactivate and reactivate members (the vital seed's profiles.is_active). A user
// belongs to one tenant (sign-up makes or joins exactly one), so the flag is the profile's. A
// deactivated member keeps every row; they cannot sign in, their sessions end at once, and their
// API keys resolve to nobody while the flag is off (credential.ts reads it on every request), so a
// reactivated member's keys work again and their sessions do not (they sign in anew).
import { forbidden, notFound } from "../../errors.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { changeOf, transact } from "../../live/changes.ts";
import type { PubSub } from "../../pubsub.ts";
import type { RequestInfo, SignedInViewer } from "../../viewer.ts";
import { inEffectOn, isTenantAdmin } from "../../viewer.ts";
import { auditAs } from "../audit.ts";
import { publishViewerChanged } from "../bearer.ts";
import { lastAdmin, lockTenants, othersIn } from "./deletion.ts";

export function createDeactivation(prisma: PrismaClient, pubsub: PubSub) {
  async function setActive(viewer: SignedInViewer, userId: string, active: boolean, request: RequestInfo) {
    if (!isTenantAdmin(viewer)) throw forbidden();
    if (userId === viewer.userId)
      throw forbidden(
        active ? "You cannot reactivate yourself." : "You cannot deactivate yourself; ask another admin.",
      );
    const changed = await transact(prisma, async (tx, note) => {
      await lockTenants(tx, [viewer.tenantId]);
      const target = await tx.user.findFirst({
        where: { id: userId, deletedAt: null, roleAssignments: { some: { tenantId: viewer.tenantId } } },
        include: { profile: true, roleAssignments: { where: inEffectOn(), select: { tenantId: true, role: true } } },
      });
      if (!target?.profile) throw notFound("Member");
      if (target.roleAssignments.some((r) => r.tenantId !== viewer.tenantId))
        throw forbidden("This user also belongs to another workspace.");
      if (target.roleAssignments.some((r) => r.role === "superadmin") && !viewer.roles.includes("superadmin"))
        throw forbidden("Only a superadmin can deactivate or reactivate a superadmin.");
      if (target.profile.isActive === active) return null;
      if (!active && target.roleAssignments.some((r) => r.role !== "member")) {
        const others = await othersIn(tx, viewer.tenantId, userId);
        if (others.admins === 0) throw lastAdmin();
      }
      await tx.profile.update({ where: { userId }, data: { isActive: active } });
      const now = new Date();
      const ended = active
        ? { count: 0 }
        : await tx.session.updateMany({
            where: { userId, revokedAt: null },
            data: { revokedAt: now, sessionEnd: now },
          });
      note(
        changeOf("User", "update", { id: userId, tenantId: viewer.tenantId, userId }),
        await auditAs(tx, viewer, request, {
          action: active ? "member.reactivated" : "member.deactivated",
          resource: "User",
          resourceId: userId,
          metadata: { target: userId, ...(active ? {} : { sessionsEnded: ended.count }) },
        }),
      );
      return target;
    });
    if (changed) publishViewerChanged(pubsub, userId, active ? "member reactivated" : "member deactivated");
    return true;
  }

  return {
    deactivateMember: (viewer: SignedInViewer, userId: string, request: RequestInfo) =>
      setActive(viewer, userId, false, request),
    reactivateMember: (viewer: SignedInViewer, userId: string, request: RequestInfo) =>
      setActive(viewer, userId, true, request),
  };
}
