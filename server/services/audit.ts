import type { Prisma } from "../generated/prisma/client.ts";
import { type Change, changeOf } from "../live/changes.ts";
import type { RequestInfo, SignedInViewer } from "../viewer.ts";

type Tx = Pick<Prisma.TransactionClient, "auditLog">;

export interface AuditEntry {
  action: string;
  tenantId?: string | null;
  userId?: string | null;
  resource?: string;
  resourceId?: string;
  /**
   * The user whose data the action changed, when someone else may act on it (an admin ending a
   * member's role or session): the entry then shows in that user's myDataAccessLog (unless they
   * are the actor themselves).
   */
  subjectUserId?: string | null;
  metadata?: Prisma.InputJsonValue;
  request?: RequestInfo;
}

/**
 * Append-only record of a security-relevant action; written in the caller's transaction. Returns
 * the change for the caller to publish once that transaction has committed (live/changes.ts).
 */
export async function audit(tx: Tx, entry: AuditEntry): Promise<Change> {
  const row = await tx.auditLog.create({
    data: {
      action: entry.action,
      tenantId: entry.tenantId ?? null,
      userId: entry.userId ?? null,
      resource: entry.resource ?? null,
      resourceId: entry.resourceId ?? null,
      subjectUserId: entry.subjectUserId ?? null,
      metadata: entry.metadata ?? {},
      ipAddress: entry.request?.ip ?? null,
      userAgent: entry.request?.userAgent ?? null,
    },
  });
  return changeOf("AuditLog", "create", row);
}

/** An action a signed-in viewer took in their own tenant: the entry names them and their request. */
export function auditAs(
  tx: Tx,
  viewer: SignedInViewer,
  request: RequestInfo,
  entry: Omit<AuditEntry, "tenantId" | "userId" | "request">,
): Promise<Change> {
  return audit(tx, { ...entry, tenantId: viewer.tenantId, userId: viewer.userId, request });
}
