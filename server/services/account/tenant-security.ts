import { AppError, forbidden } from "../../errors.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { isTenantAdmin, type RequestInfo, type SignedInViewer } from "../../viewer.ts";
import { audit } from "../audit.ts";

/** How the tenant's members must sign in; only its admins change it, and each change is audited. */
export async function updateTenantSecurity(
  prisma: PrismaClient,
  viewer: SignedInViewer,
  input: { requireEmailVerification?: boolean | null; requireMfa?: boolean | null },
  request: RequestInfo,
) {
  if (!isTenantAdmin(viewer)) throw forbidden();
  const data = {
    ...(input.requireEmailVerification != null ? { requireEmailVerification: input.requireEmailVerification } : {}),
    ...(input.requireMfa != null ? { requireMfa: input.requireMfa } : {}),
  };
  // An admin without a second factor who required one would lock their own session into enrolment.
  if (input.requireMfa === true) {
    const me = await prisma.user.findUniqueOrThrow({ where: { id: viewer.userId }, select: { totpEnabledAt: true } });
    if (!me.totpEnabledAt)
      throw new AppError("MFA_ENROLLMENT_REQUIRED", "Set up two-factor sign-in yourself before requiring it.");
  }
  return prisma.$transaction(async (tx) => {
    const tenant = await tx.tenant.update({ where: { id: viewer.tenantId }, data });
    await audit(tx, {
      action: "tenant.security_changed",
      tenantId: viewer.tenantId,
      userId: viewer.userId,
      resource: "Tenant",
      resourceId: tenant.id,
      request,
      metadata: data,
    });
    return tenant;
  });
}
