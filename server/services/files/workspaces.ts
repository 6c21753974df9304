// Workspaces (luminary's product sessions): a user's unit of work that files hang under. An
// incomplete workspace idle for WORKSPACE_STALE_DAYS is stale: the scheduled job archives it (kept,
// closed to new files) or deletes it with its files and their bytes (WORKSPACE_STALE_ACTION).
// Deleting a workspace, by its owner or the job, removes its objects from storage after the rows.
import type { Config } from "../../config.ts";
import { AppError, badInput, notFound } from "../../errors.ts";
import type { Prisma, PrismaClient, Workspace } from "../../generated/prisma/client.ts";
import type { Jobs } from "../../jobs/jobs.ts";
import { enqueueScheduled, workScheduled } from "../../jobs/scheduled.ts";
import type { Logger } from "../../logger.ts";
import type { SignedInViewer } from "../../viewer.ts";
import { audit } from "../audit.ts";
import { type FileService, removeFileRows } from "./index.ts";
import { cleanName } from "./names.ts";

export const STALE_QUEUE = "workspace-stale";
const BATCH = 200;
const DAY = 86_400_000;

export interface StaleReport {
  archived: number;
  deleted: number;
  filesRemoved: number;
  bytesRemoved: number;
}

export function createWorkspaceService(deps: {
  config: Config;
  prisma: PrismaClient;
  files: FileService;
  logger: Logger;
  jobs: Jobs;
}) {
  const { config, prisma, files, logger, jobs } = deps;
  let working = false;

  const mine = (viewer: SignedInViewer, id: string) => ({ id, userId: viewer.userId, tenantId: viewer.tenantId });

  /** Deletes workspace rows and their files' rows in one transaction; the objects go after it commits. */
  async function removeWorkspaces(where: Prisma.WorkspaceWhereInput) {
    const done = await prisma.$transaction(async (tx) => {
      const spaces = await tx.workspace.findMany({ where, select: { id: true, userId: true, tenantId: true } });
      if (!spaces.length) return { spaces, doomed: [] };
      // The owners' locks, as uploads take them: a file cannot be committed into a workspace going away.
      for (const userId of new Set(spaces.map((w) => w.userId)).values())
        await tx.$queryRaw`SELECT id FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
      const doomed = await tx.file.findMany({
        where: { workspaceId: { in: spaces.map((w) => w.id) } },
        select: { id: true, tenantId: true, size: true, storageKey: true },
      });
      await removeFileRows(tx, doomed);
      await tx.workspace.deleteMany({ where: { id: { in: spaces.map((w) => w.id) } } });
      return { spaces, doomed };
    });
    await files.removeObjects(done.doomed);
    return done;
  }

  async function owned(viewer: SignedInViewer, id: string): Promise<Workspace> {
    const w = await prisma.workspace.findFirst({ where: mine(viewer, id) });
    if (!w) throw notFound("Workspace");
    return w;
  }

  const service = {
    async create(viewer: SignedInViewer, rawName: string): Promise<Workspace> {
      const name = cleanName(rawName);
      if (!name) throw badInput("name", "name must not be empty");
      return prisma.workspace.create({ data: { name, userId: viewer.userId, tenantId: viewer.tenantId } });
    },

    async rename(viewer: SignedInViewer, id: string, rawName: string): Promise<void> {
      const name = cleanName(rawName);
      if (!name) throw badInput("name", "name must not be empty");
      const r = await prisma.workspace.updateMany({ where: mine(viewer, id), data: { name } });
      if (r.count === 0) throw notFound("Workspace");
    },

    /** Marks the work done: a completed workspace is never stale. Completing twice keeps the first time. */
    async complete(viewer: SignedInViewer, id: string): Promise<void> {
      const w = await owned(viewer, id);
      if (w.completedAt) return;
      await prisma.workspace.updateMany({
        where: { ...mine(viewer, id), completedAt: null },
        data: { completedAt: new Date() },
      });
    },

    /** Opens an archived workspace again; its idle time starts afresh. */
    async restore(viewer: SignedInViewer, id: string): Promise<void> {
      const w = await owned(viewer, id);
      if (!w.archivedAt) throw new AppError("CONFLICT", "This workspace is not archived.", { field: "id" });
      await prisma.workspace.updateMany({ where: mine(viewer, id), data: { archivedAt: null } });
    },

    async delete(viewer: SignedInViewer, id: string): Promise<void> {
      const { spaces } = await removeWorkspaces(mine(viewer, id));
      if (!spaces.length) throw notFound("Workspace");
    },

    /** One pass over stale workspaces as of `now`: archived or deleted by WORKSPACE_STALE_ACTION. */
    async sweepStale(now = new Date()): Promise<StaleReport> {
      const cutoff = new Date(now.getTime() - config.WORKSPACE_STALE_DAYS * DAY);
      const stale: Prisma.WorkspaceWhereInput = { completedAt: null, archivedAt: null, updatedAt: { lt: cutoff } };
      const report: StaleReport = { archived: 0, deleted: 0, filesRemoved: 0, bytesRemoved: 0 };
      const byTenant = new Map<string, number>();
      for (;;) {
        const batch = await prisma.workspace.findMany({
          where: stale,
          select: { id: true, tenantId: true },
          orderBy: { id: "asc" },
          take: BATCH,
        });
        if (!batch.length) break;
        // The staleness test is repeated in each write: a file added meanwhile keeps its workspace.
        const where = { ...stale, id: { in: batch.map((w) => w.id) } };
        let done: { tenantId: string }[];
        if (config.WORKSPACE_STALE_ACTION === "delete") {
          const r = await removeWorkspaces(where);
          done = r.spaces;
          report.deleted += r.spaces.length;
          report.filesRemoved += r.doomed.length;
          report.bytesRemoved += r.doomed.reduce((n, f) => n + Number(f.size), 0);
        } else {
          const ids = await prisma.workspace.findMany({ where, select: { id: true, tenantId: true } });
          await prisma.workspace.updateMany({
            where: { ...where, id: { in: ids.map((w) => w.id) } },
            data: { archivedAt: now },
          });
          done = ids;
          report.archived += ids.length;
        }
        for (const w of done) byTenant.set(w.tenantId, (byTenant.get(w.tenantId) ?? 0) + 1);
        if (batch.length < BATCH) break;
      }
      for (const [tenantId, count] of byTenant)
        await audit(prisma, {
          action: config.WORKSPACE_STALE_ACTION === "delete" ? "workspace.stale_deleted" : "workspace.stale_archived",
          tenantId,
          resource: "Workspace",
          metadata: { count, staleDays: config.WORKSPACE_STALE_DAYS },
        });
      logger.info({ ...report }, "stale workspaces swept");
      return report;
    },

    enqueueSweep: () => enqueueScheduled(jobs, STALE_QUEUE),

    /** Works the stale-workspace queue and schedules it (WORKSPACE_STALE_CRON, UTC), once for all instances. */
    async startWorker(): Promise<void> {
      if (working) return;
      working = true;
      await workScheduled(jobs, {
        queue: STALE_QUEUE,
        cron: config.WORKSPACE_STALE_CRON,
        run: () => service.sweepStale(),
      });
    },
  };
  return service;
}

export type WorkspaceService = ReturnType<typeof createWorkspaceService>;
