// The storage clean-up: objects without a row (an upload whose commit failed, a delete whose object
// removal failed, a workspace or user deleted with its rows) are removed; rows whose object is gone
// are removed too, with their bytes taken off the tenant's storage level, and each tenant's admins
// find the count in the audit log. Anything younger than the grace period is left alone: an
// upload writes its object before its row, and may be between the two. Data exports past their
// expiry go first, document and row (account/export-purge.ts).
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { Logger } from "../../logger.ts";
import { purgeExpiredExports } from "../account/export-purge.ts";
import { audit } from "../audit.ts";
import { isStorageKey, type Storage } from "./storage.ts";

export interface CleanupReport {
  objectsScanned: number;
  orphansRemoved: number;
  orphanBytes: number;
  missingRemoved: number;
  /** Data exports past their expiry, removed with their documents. */
  exportsExpired: number;
}

const BATCH = 500;

export async function cleanStorage(
  prisma: PrismaClient,
  storage: Storage,
  logger: Logger,
  o: { graceMinutes: number; now?: Date },
): Promise<CleanupReport> {
  const cutoff = new Date((o.now ?? new Date()).getTime() - o.graceMinutes * 60_000);
  const report: CleanupReport = {
    objectsScanned: 0,
    orphansRemoved: 0,
    orphanBytes: 0,
    missingRemoved: 0,
    exportsExpired: await purgeExpiredExports(prisma, storage, o.now ?? new Date()),
  };
  const seen = new Set<string>();

  let batch: { key: string; size: number; modifiedAt: Date }[] = [];
  const flush = async () => {
    const keys = batch.map((b) => b.key);
    const [rows, exports] = await Promise.all([
      prisma.file.findMany({ where: { storageKey: { in: keys } }, select: { storageKey: true } }),
      prisma.dataExport.findMany({ where: { storageKey: { in: keys } }, select: { storageKey: true } }),
    ]);
    // A data export's document has its row in data_exports, not in files.
    const known = new Set([...rows, ...exports].map((r) => r.storageKey));
    for (const obj of batch)
      if (!known.has(obj.key) && obj.modifiedAt < cutoff) {
        await storage.delete(obj.key);
        report.orphansRemoved++;
        report.orphanBytes += obj.size;
      }
    batch = [];
  };
  for await (const obj of storage.list()) {
    report.objectsScanned++;
    seen.add(obj.key);
    batch.push(obj);
    if (batch.length >= BATCH) await flush();
  }
  if (batch.length) await flush();

  const missingByTenant = new Map<string, number>();
  let cursor: string | undefined;
  for (;;) {
    const rows = await prisma.file.findMany({
      where: { createdAt: { lt: cutoff } },
      select: { id: true, storageKey: true, tenantId: true, size: true },
      orderBy: { id: "asc" },
      take: BATCH,
      ...(cursor ? { skip: 1, cursor: { id: cursor } } : {}),
    });
    if (!rows.length) break;
    cursor = rows[rows.length - 1]?.id;
    for (const row of rows) {
      // The listing may predate an object written since; ask the store before calling it missing.
      // A key no object can have (written past the upload path) is missing by definition.
      if (seen.has(row.storageKey) || (isStorageKey(row.storageKey) && (await storage.exists(row.storageKey))))
        continue;
      await prisma.$transaction(async (tx) => {
        const gone = await tx.file.deleteMany({ where: { id: row.id } });
        if (gone.count === 0) return;
        await tx.$executeRaw`
          UPDATE quotas SET current_usage = GREATEST(0, current_usage - ${row.size}::bigint), updated_at = now()
          WHERE tenant_id = ${row.tenantId}::uuid AND quota_type = 'storage_gb'`;
      });
      report.missingRemoved++;
      missingByTenant.set(row.tenantId, (missingByTenant.get(row.tenantId) ?? 0) + 1);
    }
  }
  for (const [tenantId, count] of missingByTenant)
    await audit(prisma, {
      action: "storage.missing_files_removed",
      tenantId,
      resource: "File",
      metadata: { count },
    });
  logger.info({ ...report }, "storage clean-up done");
  return report;
}
