// "Export my data" (GDPR art. 15 and 20): exportMyData files a durable job (pg-boss, committed with
// the row) that writes one JSON document of every table in the user data map to the storage
// backend, a page at a time, so a large account is never held in memory whole. Progress (rows
// done of total) is written to the row and announced as a live change, so `@live` queries of the
// export move with it. Every attempt rewrites the whole document under the same derived key and
// is fenced on `attempts`, so a worker that died (or an app that stopped) leaves a job another
// worker redoes from the start. A ready document is downloadable by a signed URL until expiresAt;
// the storage clean-up removes expired documents with their rows.
import { Readable } from "node:stream";
import type { Config } from "../../config.ts";
import { rateLimited } from "../../errors.ts";
import type { DataExport, Prisma, PrismaClient } from "../../generated/prisma/client.ts";
import type { Jobs } from "../../jobs/jobs.ts";
import { transactionDb } from "../../jobs/prisma-db.ts";
import { changeOf, publishChange, transact } from "../../live/changes.ts";
import type { Logger } from "../../logger.ts";
import type { RequestInfo, SignedInViewer } from "../../viewer.ts";
import { auditAs } from "../audit.ts";
import { exportStorageKey } from "../files/keys.ts";
import { signedPath } from "../files/signing.ts";
import type { Storage } from "../files/storage.ts";
import { purgeExpiredExports } from "./export-purge.ts";
import { sectionSelect, USER_DATA, type UserTable } from "./user-data.ts";

/** Rows read per statement, and between two progress writes. */
export const EXPORT_PAGE_ROWS = 500;
/** Attempts (crashes and restarts included) before an export is failed. */
export const EXPORT_MAX_ATTEMPTS = 5;
const DAY_MS = 24 * 3600_000;

interface ExportJob {
  exportId: string;
}

class Interrupted extends Error {
  override name = "Interrupted";
}

type Delegate = {
  count(args: { where: unknown }): Promise<number>;
  findMany(args: Record<string, unknown>): Promise<Record<string, unknown>[]>;
};

const delegateOf = (prisma: PrismaClient, t: UserTable) =>
  (prisma as unknown as Record<string, Delegate>)[t.model.charAt(0).toLowerCase() + t.model.slice(1)] as Delegate;

/** The row after which the next page starts, in Prisma's cursor shape (compound keys join with `_`). */
function cursorOf(t: UserTable, row: Record<string, unknown>) {
  const [only] = t.key;
  if (t.key.length === 1 && only) return { [only]: row[only] };
  return { [t.key.join("_")]: Object.fromEntries(t.key.map((k) => [k, row[k]])) };
}

/** BigInt has no JSON form; Decimal and Date bring their own (text, ISO time). */
const replacer = (_k: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);
const json = (v: unknown) => JSON.stringify(v, replacer);

export interface ExportDeps {
  config: Config;
  prisma: PrismaClient;
  storage: Storage;
  logger: Logger;
  jobs: Jobs;
}

export function createExportService({ config, prisma, storage, logger, jobs }: ExportDeps) {
  const queueName = config.EXPORT_QUEUE;
  const local = new Set<AbortController>();
  let working = false;
  let stopping = false;

  const announce = (row: Pick<DataExport, "id" | "userId" | "tenantId">, op: "create" | "update" | "delete") =>
    publishChange(prisma, changeOf("DataExport", op, row));

  /** Applies a change while this attempt still owns the export; false when another took it over. */
  async function fenced(id: string, attempt: number, data: Prisma.DataExportUpdateManyMutationInput) {
    const r = await prisma.dataExport.updateMany({ where: { id, attempts: attempt, status: "running" }, data });
    return r.count === 1;
  }

  async function* document(
    row: Pick<DataExport, "id" | "userId" | "tenantId" | "createdAt">,
    attempt: number,
    total: number,
    signal: AbortSignal,
  ): AsyncGenerator<string> {
    let done = 0;
    yield `{"format":"userplane-data-export","version":1,"exportId":${json(row.id)},"requestedAt":${json(row.createdAt)},"exportedAt":${json(new Date())}`;
    for (const t of USER_DATA) {
      const delegate = delegateOf(prisma, t);
      const where = t.where(row.userId);
      const orderBy = t.key.map((k) => ({ [k]: "asc" }));
      yield `,${json(t.section)}:${t.single ? "" : "["}`;
      let first = true;
      let cursor: Record<string, unknown> | null = null;
      for (;;) {
        if (signal.aborted || stopping)
          throw new Interrupted(stopping ? "the app is stopping" : "the job's claim was lost (heartbeat)");
        const rows = await delegate.findMany({
          where,
          ...sectionSelect(t),
          orderBy,
          take: t.single ? 1 : EXPORT_PAGE_ROWS,
          ...(cursor ? { cursor, skip: 1 } : {}),
        });
        if (t.single) {
          yield json(rows[0] ?? null);
          done += rows.length;
          break;
        }
        let chunk = "";
        for (const r of rows) {
          chunk += `${first ? "" : ","}${json(r)}`;
          first = false;
        }
        if (chunk) yield chunk;
        done += rows.length;
        const percent = total ? Math.min(99, Math.floor((done / total) * 100)) : 99;
        if (rows.length && !(await fenced(row.id, attempt, { done, percent })))
          throw new Interrupted("another attempt took the export over");
        if (rows.length) announce(row, "update");
        const last = rows.at(-1);
        if (!last || rows.length < EXPORT_PAGE_ROWS) break;
        cursor = cursorOf(t, last);
      }
      if (!t.single) yield "]";
    }
    yield "}";
  }

  /** One attempt of the job: claims the export, writes the document, marks it ready. */
  async function execute(exportId: string, signal: AbortSignal): Promise<void> {
    const claimed = await prisma.$queryRaw<{ attempts: number }[]>`
      UPDATE data_exports SET attempts = attempts + 1, status = 'running'::data_export_status, done = 0,
        started_at = COALESCE(started_at, now()), updated_at = now()
      WHERE id = ${exportId}::uuid AND status IN ('queued'::data_export_status, 'running'::data_export_status)
      RETURNING attempts`;
    const attempt = claimed[0]?.attempts;
    if (attempt === undefined) return; // finished (or removed) already
    const row = await prisma.dataExport.findUniqueOrThrow({ where: { id: exportId } });
    logger.info({ exportId, attempt }, "data export started");
    announce(row, "update");
    try {
      let total = 0;
      for (const t of USER_DATA) total += await delegateOf(prisma, t).count({ where: t.where(row.userId) });
      if (!(await fenced(row.id, attempt, { total }))) return;
      const key = exportStorageKey({ tenantId: row.tenantId, userId: row.userId, exportId: row.id });
      let size = 0;
      const counted = async function* (parts: AsyncGenerator<string>) {
        for await (const part of parts) {
          const bytes = Buffer.from(part);
          size += bytes.length;
          yield bytes;
        }
      };
      await storage.put(key, Readable.from(counted(document(row, attempt, total, signal))), "application/json");
      const now = Date.now();
      const ready = await fenced(row.id, attempt, {
        status: "ready",
        storageKey: key,
        size: BigInt(size),
        done: total,
        percent: 100,
        finishedAt: new Date(now),
        expiresAt: new Date(now + config.EXPORT_TTL_HOURS * 3600_000),
      });
      if (ready) {
        announce(row, "update");
        logger.info({ exportId, attempt, rows: total, bytes: size }, "data export ready");
      }
    } catch (err) {
      if (err instanceof Interrupted || attempt < EXPORT_MAX_ATTEMPTS) throw err;
      logger.error({ err, exportId }, "data export failed");
      const failed = await fenced(row.id, attempt, {
        status: "failed",
        errorMessage: "The export could not be written. Start a new one.",
        finishedAt: new Date(),
        // Failed rows are removed by the same clean-up as expired ones.
        expiresAt: new Date(Date.now() + config.EXPORT_TTL_HOURS * 3600_000),
      });
      if (failed) announce(row, "update");
    }
  }

  return {
    /**
     * Starts an export, or returns the one already queued or running: one at a time per user,
     * and EXPORT_MAX_PER_DAY per 24 hours (RATE_LIMITED beyond, with the wait).
     */
    async start(viewer: SignedInViewer, request: RequestInfo): Promise<DataExport> {
      const queue = await jobs.queue();
      // Outside the transaction: creating the queue there would wait on the connection it holds (PGlite).
      await queue.ensureQueue(queueName);
      return transact(prisma, async (tx, note) => {
        // Concurrent requests of one user queue here, so two cannot both see "none running".
        await tx.$queryRaw`SELECT id FROM users WHERE id = ${viewer.userId}::uuid FOR UPDATE`;
        const active = await tx.dataExport.findFirst({
          where: { userId: viewer.userId, status: { in: ["queued", "running"] } },
        });
        if (active) return active;
        const now = Date.now();
        const recent = await tx.dataExport.findMany({
          where: { userId: viewer.userId, createdAt: { gt: new Date(now - DAY_MS) } },
          select: { createdAt: true },
          orderBy: { createdAt: "asc" },
        });
        const oldest = recent[0];
        if (oldest && recent.length >= config.EXPORT_MAX_PER_DAY)
          throw rateLimited(Math.max(1, Math.ceil((oldest.createdAt.getTime() + DAY_MS - now) / 1000)));
        const created = await tx.dataExport.create({ data: { userId: viewer.userId, tenantId: viewer.tenantId } });
        await queue.send<ExportJob>(
          queueName,
          { exportId: created.id },
          {
            db: transactionDb(tx),
            singletonKey: created.id,
            heartbeatSeconds: jobs.heartbeatSeconds,
            expireInSeconds: 3600,
            // The handler decides when to give up (EXPORT_MAX_ATTEMPTS); pg-boss must not first.
            retryLimit: EXPORT_MAX_ATTEMPTS + 2,
            retryDelay: 1,
            retryBackoff: true,
          },
        );
        note(
          changeOf("DataExport", "create", created),
          await auditAs(tx, viewer, request, {
            action: "account.data_export_requested",
            resource: "DataExport",
            resourceId: created.id,
          }),
        );
        return created;
      });
    },

    /** A signed path that downloads a ready export: for `seconds`, and never past the export's expiry. */
    downloadPath(e: Pick<DataExport, "id" | "status" | "expiresAt">, seconds: number, now = Date.now()) {
      if (e.status !== "ready" || !e.expiresAt || e.expiresAt.getTime() <= now) return null;
      const expires = Math.min(Math.floor(now / 1000) + seconds, Math.floor(e.expiresAt.getTime() / 1000));
      return signedPath(config.fileUrlSecret, e.id, expires, "attachment", "export");
    },

    /** Removes exports past their expiry (the storage clean-up runs the same). */
    purgeExpired: (now = new Date()) => purgeExpiredExports(prisma, storage, now),

    /** Works this instance's share of the export queue (RUN_WORKER). */
    async startWorker(): Promise<void> {
      if (working) return;
      working = true;
      const queue = await jobs.queue();
      await queue.work<ExportJob>(queueName, async (job) => {
        if (stopping) throw new Interrupted("shutting down");
        const controller = new AbortController();
        job.signal?.addEventListener("abort", () => controller.abort());
        local.add(controller);
        try {
          await execute(job.data.exportId, controller.signal);
        } finally {
          local.delete(controller);
        }
      });
    },

    /** Hands exports in flight back to the queue (another worker redoes them) when the app stops. */
    interrupt(): void {
      stopping = true;
      for (const c of local) c.abort();
    },
  };
}

export type ExportService = ReturnType<typeof createExportService>;
