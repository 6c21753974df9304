// Files: upload within the tenant's limits, rename, delete, signed downloads and storage
// statistics. Storage use is a level (bytes held now), not a sum per period: each user's level is
// checked against the tier of the tenant's plan, and the tenant's level is kept in its
// `storage_gb` quota (bytes) when it has one, raised by uploads and lowered by deletions.
import { randomUUID } from "node:crypto";
import type { Config } from "../../config.ts";
import { AppError, badInput, notFound, quotaExceeded } from "../../errors.ts";
import type { File, Prisma, PrismaClient, TenantPlan } from "../../generated/prisma/client.ts";
import type { IncomingUpload } from "../../http/multipart.ts";
import type { Jobs } from "../../jobs/jobs.ts";
import { enqueueScheduled, workScheduled } from "../../jobs/scheduled.ts";
import { type Change, transact } from "../../live/changes.ts";
import type { Logger } from "../../logger.ts";
import type { SignedInViewer } from "../../viewer.ts";
import { audit } from "../audit.ts";
import { CHARGED_QUOTA, type ChargedQuota, levelCrossings } from "../notifications/events.ts";
import { cleanStorage } from "./cleanup.ts";
import { storageKey } from "./keys.ts";
import { cleanName, MAX_FOLDER_CHARS } from "./names.ts";
import { type Limit, receive } from "./receive.ts";
import { type Disposition, signedPath } from "./signing.ts";
import type { Storage } from "./storage.ts";

const GB = 1_000_000_000;

export interface UploadLimits {
  maxFileBytes: number;
  allowedTypes: readonly string[];
  /** The user's tier in bytes; null: unlimited. */
  userLimitBytes: number | null;
  userUsedBytes: number;
  /** The tenant's storage quota in bytes; null: none set. */
  tenantLimitBytes: number | null;
  tenantUsedBytes: number;
}

/** Bytes the tenant holds now: the level its storage quota meters. */
export async function tenantStorageLevel(db: Prisma.TransactionClient | PrismaClient, tenantId: string) {
  const r = await db.file.aggregate({ where: { tenantId }, _sum: { size: true } });
  return r._sum.size ?? 0n;
}

export const CLEANUP_QUEUE = "storage-cleanup";

/** Types an avatar may have (sniffed); SVG is not among them: it is a document that can run script. */
export const AVATAR_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"] as const;

type Doomed = Pick<File, "id" | "tenantId" | "size" | "storageKey">;

/** Deletes file rows and takes their bytes off their tenants' storage levels, in the caller's transaction. */
export async function removeFileRows(tx: Prisma.TransactionClient, files: readonly Doomed[]): Promise<void> {
  if (!files.length) return;
  await tx.file.deleteMany({ where: { id: { in: files.map((f) => f.id) } } });
  const byTenant = new Map<string, bigint>();
  for (const f of files) byTenant.set(f.tenantId, (byTenant.get(f.tenantId) ?? 0n) + f.size);
  for (const [tenantId, size] of byTenant)
    await tx.$executeRaw`
      UPDATE quotas SET current_usage = GREATEST(0, current_usage - ${size}::bigint),
        is_exceeded = GREATEST(0, current_usage - ${size}::bigint) >= quota_limit, updated_at = now()
      WHERE tenant_id = ${tenantId}::uuid AND quota_type = 'storage_gb'`;
}

export function createFileService(deps: {
  config: Config;
  prisma: PrismaClient;
  storage: Storage;
  logger: Logger;
  jobs: Jobs;
}) {
  const { config, prisma, storage, logger, jobs } = deps;
  let working = false;

  async function limitsFor(tenantId: string, userId: string): Promise<UploadLimits> {
    const [tenant, used, quota] = await Promise.all([
      prisma.tenant.findUniqueOrThrow({
        where: { id: tenantId },
        select: { plan: true, fileMaxBytes: true, fileMimeTypes: true },
      }),
      prisma.file.aggregate({ where: { tenantId, userId }, _sum: { size: true } }),
      prisma.quota.findUnique({ where: { tenantId_quotaType: { tenantId, quotaType: "storage_gb" } } }),
    ]);
    return {
      maxFileBytes: Math.min(Number(tenant.fileMaxBytes ?? config.FILE_MAX_BYTES), config.UPLOAD_MAX_BYTES),
      allowedTypes: tenant.fileMimeTypes.length ? tenant.fileMimeTypes : config.FILE_MIME_TYPES,
      userLimitBytes: tenant.plan === "unlimited" ? null : Math.round(config.STORAGE_TIER_GB[tenant.plan] * GB),
      userUsedBytes: Number(used._sum.size ?? 0n),
      tenantLimitBytes: quota ? Number(quota.quotaLimit) : null,
      tenantUsedBytes: quota ? Number(quota.currentUsage) : 0,
    };
  }

  /** The tightest of the file size limit and what is left of the user's tier and the tenant's quota. */
  function streamLimit(l: UploadLimits): Limit {
    const userLeft = l.userLimitBytes === null ? Infinity : l.userLimitBytes - l.userUsedBytes;
    const tenantLeft = l.tenantLimitBytes === null ? Infinity : l.tenantLimitBytes - l.tenantUsedBytes;
    const left = Math.max(0, Math.min(userLeft, tenantLeft));
    if (l.maxFileBytes <= left)
      return {
        bytes: l.maxFileBytes,
        error: () =>
          new AppError("PAYLOAD_TOO_LARGE", `Files may be at most ${l.maxFileBytes} bytes.`, {
            field: "file",
            limit: l.maxFileBytes,
          }),
      };
    return {
      bytes: left,
      error: () =>
        quotaExceeded(
          userLeft <= tenantLeft
            ? `This file does not fit in your storage (${left} bytes left of ${l.userLimitBytes}).`
            : `This file does not fit in the workspace's storage quota (${left} bytes left of ${l.tenantLimitBytes}).`,
        ),
    };
  }

  /** Takes the row's place in the user's and tenant's storage, or refuses; concurrent uploads queue on the user's row. */
  async function commit(
    tx: Prisma.TransactionClient,
    l: UploadLimits,
    row: Prisma.FileUncheckedCreateInput,
    alsoInTx: ((tx: Prisma.TransactionClient, file: File) => Promise<void>) | undefined,
    note: (...changes: Change[]) => void,
  ) {
    await tx.$queryRaw`SELECT id FROM users WHERE id = ${row.userId}::uuid FOR UPDATE`;
    const size = BigInt(row.size);
    if (l.userLimitBytes !== null) {
      const used = await tx.file.aggregate({
        where: { tenantId: row.tenantId, userId: row.userId },
        _sum: { size: true },
      });
      if ((used._sum.size ?? 0n) + size > BigInt(l.userLimitBytes))
        throw quotaExceeded(`This file does not fit in your storage (${l.userLimitBytes} bytes).`);
    }
    const [updated] = await tx.$queryRaw<ChargedQuota[]>`
      UPDATE quotas q SET current_usage = current_usage + ${size}::bigint,
        is_exceeded = current_usage + ${size}::bigint >= quota_limit, updated_at = now()
      WHERE tenant_id = ${row.tenantId}::uuid AND quota_type = 'storage_gb'
        AND current_usage + ${size}::bigint <= quota_limit
      RETURNING ${CHARGED_QUOTA}`;
    if (!updated && l.tenantLimitBytes !== null)
      throw quotaExceeded("This file does not fit in the workspace's storage quota.");
    if (updated) note(...(await levelCrossings(tx, updated, updated.currentUsage - size, new Date())));
    // A workspace is active while files arrive: the stale-workspace job measures idleness from
    // this. Checked again here, under the user's lock: it may have been archived or deleted meanwhile.
    if (row.workspaceId) {
      const touched = await tx.workspace.updateMany({
        where: { id: row.workspaceId, archivedAt: null },
        data: { updatedAt: new Date() },
      });
      if (touched.count === 0) throw notFound("Workspace");
    }
    const file = await tx.file.create({ data: row });
    await alsoInTx?.(tx, file);
    return file;
  }

  /** Removes objects whose rows are gone; a failure leaves an orphan that the clean-up finds. */
  async function removeObjects(files: readonly Pick<File, "id" | "storageKey">[]) {
    for (const f of files)
      await storage
        .delete(f.storageKey)
        .catch((err) => logger.warn({ err, id: f.id }, "could not remove a deleted file's object"));
  }

  return {
    storage,
    limitsFor,

    async upload(
      viewer: SignedInViewer,
      upload: IncomingUpload,
      args: { folder?: string | null; workspaceId?: string | null },
      /** Avatars: images only, AVATAR_MAX_BYTES at most; `alsoInTx` runs in the row's transaction. */
      o: { avatar?: boolean; alsoInTx?: (tx: Prisma.TransactionClient, file: File) => Promise<void> } = {},
    ): Promise<File> {
      try {
        const name = cleanName(upload.filename) || "file";
        const folder = cleanName(args.folder ?? "", MAX_FOLDER_CHARS);
        if (args.workspaceId) {
          const ws = await prisma.workspace.findFirst({
            where: { id: args.workspaceId, userId: viewer.userId, tenantId: viewer.tenantId },
            select: { id: true, archivedAt: true },
          });
          if (!ws) throw notFound("Workspace");
          if (ws.archivedAt)
            throw new AppError("CONFLICT", "This workspace is archived; restore it to add files.", {
              field: "workspaceId",
            });
        }
        const limits = await limitsFor(viewer.tenantId, viewer.userId);
        if (o.avatar) {
          limits.maxFileBytes = Math.min(limits.maxFileBytes, config.AVATAR_MAX_BYTES);
          limits.allowedTypes = AVATAR_TYPES;
        }
        const limit = streamLimit(limits);
        // The declared size (the request's length less its other fields and a margin for the part's
        // own headers) refuses an upload that cannot fit before a byte of it is read.
        const slack = 4096 + Buffer.byteLength(upload.filename) * 3;
        if (upload.declaredMaxBytes !== null && upload.declaredMaxBytes - slack > limit.bytes) throw limit.error();
        const id = randomUUID();
        const key = storageKey({
          tenantId: viewer.tenantId,
          userId: viewer.userId,
          workspaceId: args.workspaceId ?? null,
          fileId: id,
        });
        const got = await receive(upload.chunks(), {
          storage,
          key,
          limit,
          allowedTypes: limits.allowedTypes,
        });
        try {
          return await transact(prisma, (tx, note) =>
            commit(
              tx,
              limits,
              {
                id,
                userId: viewer.userId,
                tenantId: viewer.tenantId,
                workspaceId: args.workspaceId ?? null,
                folder,
                name,
                size: BigInt(got.size),
                mimeType: got.mimeType,
                sha256: got.sha256,
                storageKey: key,
              },
              o.alsoInTx,
              note,
            ),
          );
        } catch (e) {
          await storage.delete(key).catch((err) => logger.warn({ err, key }, "could not remove a refused upload"));
          throw e;
        }
      } finally {
        // Unread, or stopped midway by a limit: the rest is read and dropped, so the client gets the answer.
        upload.discard();
      }
    },

    async rename(viewer: SignedInViewer, id: string, rawName: string): Promise<void> {
      const name = cleanName(rawName);
      if (!name) throw badInput("name", "name must not be empty");
      const r = await prisma.file.updateMany({ where: { id, userId: viewer.userId }, data: { name } });
      if (r.count === 0) throw notFound("File");
    },

    /** Removes the row (and its share of the tenant's level), then the object; a failed removal leaves an orphan the clean-up finds. */
    async delete(viewer: SignedInViewer, id: string): Promise<void> {
      const file = await prisma.$transaction(async (tx) => {
        const f = await tx.file.findFirst({ where: { id, userId: viewer.userId } });
        if (!f) throw notFound("File");
        await removeFileRows(tx, [f]);
        return f;
      });
      await removeObjects([file]);
    },

    /** The tenant's plan (per-user storage tier), largest file and accepted MIME types; audited. */
    async setStoragePolicy(
      viewer: SignedInViewer,
      policy: { plan?: TenantPlan | null; fileMaxBytes?: number | null; fileMimeTypes?: string[] | null },
    ): Promise<void> {
      const { plan, fileMaxBytes, fileMimeTypes } = policy;
      await prisma.$transaction(async (tx) => {
        await tx.tenant.update({
          where: { id: viewer.tenantId },
          data: {
            ...(plan ? { plan } : {}),
            ...(fileMaxBytes ? { fileMaxBytes: BigInt(fileMaxBytes) } : {}),
            ...(fileMimeTypes ? { fileMimeTypes } : {}),
          },
        });
        await audit(tx, {
          action: "storage.policy.set",
          tenantId: viewer.tenantId,
          userId: viewer.userId,
          resource: "Tenant",
          resourceId: viewer.tenantId,
          metadata: { plan, fileMaxBytes, fileMimeTypes },
        });
      });
    },

    removeObjects,

    /** One pass of the clean-up, here and now (the scheduled job runs the same). */
    cleanup: (now?: Date) =>
      cleanStorage(prisma, storage, logger, { graceMinutes: config.STORAGE_ORPHAN_GRACE_MINUTES, now }),

    /** Queues a clean-up pass; one at a time (the singleton key), run by whichever worker takes it. */
    enqueueCleanup: () => enqueueScheduled(jobs, CLEANUP_QUEUE),

    /** Works the clean-up queue and schedules it (STORAGE_CLEANUP_CRON, UTC) in the job queue, once for all instances. */
    async startCleanupWorker(): Promise<void> {
      if (working) return;
      working = true;
      await workScheduled(jobs, {
        queue: CLEANUP_QUEUE,
        cron: config.STORAGE_CLEANUP_CRON,
        run: () => cleanStorage(prisma, storage, logger, { graceMinutes: config.STORAGE_ORPHAN_GRACE_MINUTES }),
      });
    },

    downloadPath(fileId: string, expiresInSeconds: number, now = Date.now(), disposition?: Disposition): string {
      return signedPath(config.fileUrlSecret, fileId, Math.floor(now / 1000) + expiresInSeconds, disposition);
    },

    /**
     * An avatar's URL: the expiry is rounded up to a window of FILE_URL_DEFAULT_SECONDS, so the URL
     * stays the same for a while (an image a live query re-sends is not fetched again) and lives
     * between one and two windows.
     */
    avatarPath(fileId: string, now = Date.now()): string {
      const w = config.FILE_URL_DEFAULT_SECONDS;
      const expires = (Math.floor(now / 1000 / w) + 2) * w;
      return signedPath(config.fileUrlSecret, fileId, expires);
    },
  };
}

export type FileService = ReturnType<typeof createFileService>;
