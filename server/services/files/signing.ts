// Download URLs as S3's presigned URLs work: the path names the file, the query carries an expiry
// (and, for previews, the inline disposition) and an HMAC-SHA256 of them under a server secret.
// Whoever holds the URL may download until it expires; only the file's owner can have one made
// (File's read rule), and a URL made for download cannot be turned into a preview.
import { createHmac, timingSafeEqual } from "node:crypto";

export type Disposition = "attachment" | "inline";

const mac = (secret: string, fileId: string, expires: number, disposition: Disposition) =>
  createHmac("sha256", secret)
    .update(disposition === "inline" ? `file:${fileId}:${expires}:inline` : `file:${fileId}:${expires}`)
    .digest("base64url");

export function signedPath(secret: string, fileId: string, expires: number, disposition: Disposition = "attachment") {
  const inline = disposition === "inline" ? "&disposition=inline" : "";
  return `/files/${fileId}?expires=${expires}${inline}&signature=${mac(secret, fileId, expires, disposition)}`;
}

export type Verdict =
  | { ok: true; fileId: string; disposition: Disposition }
  | { ok: false; reason: "malformed" | "signature" | "expired" };

const PATH = /^\/files\/([0-9a-f-]{36})$/;

/** Checks a download URL's path and query at `now` (ms). */
export function verifySigned(secret: string, url: URL, now: number): Verdict {
  const m = PATH.exec(url.pathname);
  const expires = Number(url.searchParams.get("expires"));
  const signature = url.searchParams.get("signature") ?? "";
  const asked = url.searchParams.get("disposition");
  if (!m?.[1] || !Number.isSafeInteger(expires) || !/^[A-Za-z0-9_-]{43}$/.test(signature))
    return { ok: false, reason: "malformed" };
  if (asked !== null && asked !== "inline") return { ok: false, reason: "malformed" };
  const disposition: Disposition = asked === "inline" ? "inline" : "attachment";
  const expected = Buffer.from(mac(secret, m[1], expires, disposition));
  if (!timingSafeEqual(expected, Buffer.from(signature))) return { ok: false, reason: "signature" };
  if (expires * 1000 <= now) return { ok: false, reason: "expired" };
  return { ok: true, fileId: m[1], disposition };
}
