// Expired data exports go with the storage clean-up (STORAGE_CLEANUP_CRON): the document first, then
// the row, so a row never points at nothing while a document without a row is an orphan the same
// pass would find. Apart from export.ts so the clean-up needs nothing else of the export service.
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { changeOf, publishChange } from "../../live/changes.ts";
import type { Storage } from "../files/storage.ts";

const BATCH = 500;

/** Removes exports whose expiry is at or before `now`; returns how many. */
export async function purgeExpiredExports(prisma: PrismaClient, storage: Storage, now: Date): Promise<number> {
  let removed = 0;
  for (;;) {
    const doomed = await prisma.dataExport.findMany({
      where: { expiresAt: { lte: now } },
      select: { id: true, userId: true, tenantId: true, storageKey: true },
      take: BATCH,
    });
    for (const e of doomed) {
      if (e.storageKey) await storage.delete(e.storageKey);
      const gone = await prisma.dataExport.deleteMany({ where: { id: e.id, expiresAt: { lte: now } } });
      if (gone.count) publishChange(prisma, changeOf("DataExport", "delete", e));
      removed += gone.count;
    }
    if (doomed.length < BATCH) return removed;
  }
}
