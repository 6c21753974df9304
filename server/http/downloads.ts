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
import { type SignedResource, type Verdict, verifySigned } from "../services/files/signing.ts";
import type { Storage } from "../services/files/storage.ts";
import { ymd } from "../viewer.ts";

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

interface Deps {
  prisma: PrismaClient;
  storage: Storage;
  secret: string;
  logger: Logger;
}

/** What a signed link serves: the object with its own headers, or why not. */
type Served =
  | { object: NonNullable<Awaited<ReturnType<Storage["get"]>>>; headers: Record<string, string> }
  | { status: 403 | 404; message: string };

/**
 * The door every signed link goes through: GET or HEAD only, the signature checked for this kind of
 * resource (a file's link cannot open an export), never sniffed, never cached, streamed.
 */
function signedDownloads(
  { secret, logger }: Pick<Deps, "secret" | "logger">,
  resource: SignedResource,
  serve: (verdict: Extract<Verdict, { ok: true }>, now: number) => Promise<Served>,
) {
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
    const verdict = verifySigned(secret, url, now, resource);
    if (!verdict.ok) {
      logger.info(
        { event: "security", kind: "download_refused", resource, reason: verdict.reason },
        "download refused",
      );
      return refuse(res, 403, verdict.reason === "expired" ? "this link has expired" : "invalid link");
    }
    const served = await serve(verdict, now);
    if ("status" in served) return refuse(res, served.status, served.message);
    const { object, headers } = served;
    res.writeHead(200, {
      "content-length": String(object.size),
      "x-content-type-options": "nosniff",
      "cache-control": "private, no-store",
      ...headers,
    });
    if (req.method === "HEAD") {
      object.body.destroy();
      return void res.end();
    }
    try {
      await pipeline(object.body, res);
    } catch (err) {
      logger.warn({ err, resource, id: verdict.fileId }, "download interrupted");
    }
  };
}

const NOT_FOUND: Served = { status: 404, message: "not found" };

export function createDownloadHandler(deps: Deps) {
  return signedDownloads(deps, "file", async (verdict): Promise<Served> => {
    const file = await deps.prisma.file.findUnique({
      where: { id: verdict.fileId },
      select: { name: true, mimeType: true, storageKey: true },
    });
    const object = file && (await deps.storage.get(file.storageKey));
    if (!file || !object) return NOT_FOUND;
    const inline = verdict.disposition === "inline" && previewable(file.mimeType);
    return {
      object,
      headers: {
        "content-type": file.mimeType,
        "content-disposition": contentDisposition(file.name, { type: inline ? "inline" : "attachment" }),
        "content-security-policy": inline ? previewPolicy(file.mimeType) : "default-src 'none'; sandbox",
        ...(inline ? { "x-frame-options": "SAMEORIGIN" } : {}),
      },
    };
  });
}

/**
 * GET /exports/<id>?expires=…&signature=… : a data export's JSON document, signed like a file's
 * download (only its owner can have the URL made: DataExport's rule). Past the export's own expiry
 * it is refused like an expired link, even before the clean-up has removed it.
 */
export function createExportDownloadHandler(deps: Deps) {
  return signedDownloads(deps, "export", async (verdict, now): Promise<Served> => {
    const row = await deps.prisma.dataExport.findUnique({
      where: { id: verdict.fileId },
      select: { status: true, storageKey: true, expiresAt: true, createdAt: true },
    });
    if (row?.expiresAt && row.expiresAt.getTime() <= now) return { status: 403, message: "this export has expired" };
    const object = row?.status === "ready" && row.storageKey ? await deps.storage.get(row.storageKey) : null;
    if (!row || !object) return NOT_FOUND;
    const name = `userplane-export-${ymd(row.createdAt)}.json`;
    return {
      object,
      headers: {
        "content-type": "application/json; charset=utf-8",
        "content-disposition": contentDisposition(name, { type: "attachment" }),
        "content-security-policy": "default-src 'none'; sandbox",
      },
    };
  });
}
