import type { Prisma } from "../generated/prisma/client.ts";
import type { RequestInfo } from "../viewer.ts";

type Tx = Pick<Prisma.TransactionClient, "auditLog">;

export interface AuditEntry {
  action: string;
  tenantId?: string | null;
  userId?: string | null;
  resource?: string;
  resourceId?: string;
  metadata?: Prisma.InputJsonValue;
  request?: RequestInfo;
}

/** Append-only record of a security-relevant action; written in the caller's transaction. */
export async function audit(tx: Tx, entry: AuditEntry): Promise<void> {
  await tx.auditLog.create({
    data: {
      action: entry.action,
      tenantId: entry.tenantId ?? null,
      userId: entry.userId ?? null,
      resource: entry.resource ?? null,
      resourceId: entry.resourceId ?? null,
      metadata: entry.metadata ?? {},
      ipAddress: entry.request?.ip ?? null,
      userAgent: entry.request?.userAgent ?? null,
    },
  });
}
