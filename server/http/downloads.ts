// GET /files/<id>?expires=…&signature=… : a signed download (services/files/signing.ts). The
// signature is the authority, as with S3's presigned URLs; a tampered or expired URL is 403.
// The stored type was sniffed at upload, and the browser is told not to sniff again, to save the
// file rather than show it, and to run nothing in it should it be opened. A preview URL (signed for
// it) shows an image or a PDF inline instead, in the app's own frames only.
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { create as contentDisposition } from "content-disposition";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logger.ts";
import { previewable } from "../services/files/preview.ts";
import { verifySigned } from "../services/files/signing.ts";
import type { Storage } from "../services/files/storage.ts";

/**
 * Previews are shown in the app's own pages only (frame-ancestors 'self'). An image loads nothing
 * and runs nothing (sandbox). A PDF is drawn by the browser's own viewer, which a sandboxed
 * document may not start; it still may load nothing from anywhere.
 */
function previewPolicy(mimeType: string): string {
  return mimeType === "application/pdf"
    ? "default-src 'none'; frame-ancestors 'self'"
    : "default-src 'none'; frame-ancestors 'self'; sandbox";
}

export function createDownloadHandler(deps: {
  prisma: PrismaClient;
  storage: Storage;
  secret: string;
  logger: Logger;
}) {
  const { prisma, storage, secret, logger } = deps;
  const refuse = (res: ServerResponse, status: number, message: string) => {
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" });
    res.end(message);
  };
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return refuse(res, 405, "method not allowed");
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    const verdict = verifySigned(secret, url, Date.now());
    if (!verdict.ok) {
      logger.info({ event: "security", kind: "download_refused", reason: verdict.reason }, "download refused");
      return refuse(res, 403, verdict.reason === "expired" ? "this link has expired" : "invalid link");
    }
    const file = await prisma.file.findUnique({
      where: { id: verdict.fileId },
      select: { name: true, mimeType: true, storageKey: true },
    });
    const object = file && (await storage.get(file.storageKey));
    if (!file || !object) return refuse(res, 404, "not found");
    const inline = verdict.disposition === "inline" && previewable(file.mimeType);
    res.writeHead(200, {
      "content-type": file.mimeType,
      "content-length": String(object.size),
      "content-disposition": contentDisposition(file.name, { type: inline ? "inline" : "attachment" }),
      "x-content-type-options": "nosniff",
      "content-security-policy": inline ? previewPolicy(file.mimeType) : "default-src 'none'; sandbox",
      ...(inline ? { "x-frame-options": "SAMEORIGIN" } : {}),
      "cache-control": "private, no-store",
    });
    if (req.method === "HEAD") {
      object.body.destroy();
      return void res.end();
    }
    try {
      await pipeline(object.body, res);
    } catch (err) {
      logger.warn({ err, fileId: verdict.fileId }, "download interrupted");
    }
  };
}

/**
 * GET /exports/<id>?expires=…&signature=… : a data export's JSON document, signed like a file's
 * download (only its owner can have the URL made: DataExport's rule). Past the export's own expiry
 * it is refused like an expired link, even before the clean-up has removed it.
 */
export function createExportDownloadHandler(deps: {
  prisma: PrismaClient;
  storage: Storage;
  secret: string;
  logger: Logger;
}) {
  const { prisma, storage, secret, logger } = deps;
  const refuse = (res: ServerResponse, status: number, message: string) => {
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" });
    res.end(message);
  };
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return refuse(res, 405, "method not allowed");
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    const now = Date.now();
    const verdict = verifySigned(secret, url, now, "export");
    if (!verdict.ok) {
      logger.info({ event: "security", kind: "download_refused", reason: verdict.reason }, "export download refused");
      return refuse(res, 403, verdict.reason === "expired" ? "this link has expired" : "invalid link");
    }
    const row = await prisma.dataExport.findUnique({
      where: { id: verdict.fileId },
      select: { status: true, storageKey: true, expiresAt: true, createdAt: true },
    });
    if (row?.expiresAt && row.expiresAt.getTime() <= now) return refuse(res, 403, "this export has expired");
    const object = row?.status === "ready" && row.storageKey ? await storage.get(row.storageKey) : null;
    if (!row || !object) return refuse(res, 404, "not found");
    const name = `userplane-export-${row.createdAt.toISOString().slice(0, 10)}.json`;
    res.writeHead(200, {
      "content-type": "application/json; charset=utf-8",
      "content-length": String(object.size),
      "content-disposition": contentDisposition(name, { type: "attachment" }),
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
      "cache-control": "private, no-store",
    });
    if (req.method === "HEAD") {
      object.body.destroy();
      return void res.end();
    }
    try {
      await pipeline(object.body, res);
    } catch (err) {
      logger.warn({ err, exportId: verdict.fileId }, "export download interrupted");
    }
  };
}
