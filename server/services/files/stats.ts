// Storage statistics: a user's own files, and a tenant's totals for its admins (no names or owners).
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { SignedInViewer } from "../../viewer.ts";
import type { FileService } from "./index.ts";

export interface Bucket {
  key: string;
  files: number;
  bytes: number;
}

export interface UserStats {
  files: number;
  bytes: number;
  limitBytes: number | null;
  maxFileBytes: number;
  allowedTypes: readonly string[];
  byType: Bucket[];
  byWorkspace: Bucket[];
}

export interface TenantStats {
  files: number;
  bytes: number;
  users: number;
  quotaBytes: number | null;
  byType: Bucket[];
}

const bucket = (key: string | null, g: { _count: { _all: number }; _sum: { size: bigint | null } }): Bucket => ({
  key: key ?? "",
  files: g._count._all,
  bytes: Number(g._sum.size ?? 0n),
});

export async function userStats(prisma: PrismaClient, files: FileService, viewer: SignedInViewer): Promise<UserStats> {
  const where = { userId: viewer.userId, tenantId: viewer.tenantId };
  const [limits, byType, byWorkspace] = await Promise.all([
    files.limitsFor(viewer.tenantId, viewer.userId),
    prisma.file.groupBy({
      by: ["mimeType"],
      where,
      _count: { _all: true },
      _sum: { size: true },
      orderBy: { mimeType: "asc" },
    }),
    prisma.file.groupBy({
      by: ["workspaceId"],
      where,
      _count: { _all: true },
      _sum: { size: true },
      orderBy: { workspaceId: "asc" },
    }),
  ]);
  const types = byType.map((g) => bucket(g.mimeType, g));
  return {
    files: types.reduce((n, b) => n + b.files, 0),
    bytes: limits.userUsedBytes,
    limitBytes: limits.userLimitBytes,
    maxFileBytes: limits.maxFileBytes,
    allowedTypes: limits.allowedTypes,
    byType: types,
    byWorkspace: byWorkspace.map((g) => bucket(g.workspaceId, g)),
  };
}

export async function tenantStats(prisma: PrismaClient, tenantId: string): Promise<TenantStats> {
  const [byType, users, quota] = await Promise.all([
    prisma.file.groupBy({
      by: ["mimeType"],
      where: { tenantId },
      _count: { _all: true },
      _sum: { size: true },
      orderBy: { mimeType: "asc" },
    }),
    prisma.file.groupBy({ by: ["userId"], where: { tenantId } }),
    prisma.quota.findUnique({ where: { tenantId_quotaType: { tenantId, quotaType: "storage_gb" } } }),
  ]);
  const types = byType.map((g) => bucket(g.mimeType, g));
  return {
    files: types.reduce((n, b) => n + b.files, 0),
    bytes: types.reduce((n, b) => n + b.bytes, 0),
    users: users.length,
    quotaBytes: quota ? Number(quota.quotaLimit) : null,
    byType: types,
  };
}
