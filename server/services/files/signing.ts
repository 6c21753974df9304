// Download URLs as S3's presigned URLs work: the path names the file, the query carries an expiry
// (and, for previews, the inline disposition) and an HMAC-SHA256 of them under a server secret.
// Whoever holds the URL may download until it expires; only the file's owner can have one made
// (File's read rule), and a URL made for download cannot be turned into a preview. Data exports
// (/exports/<id>) are signed the same way; the resource is under the signature, so a file's URL
// cannot be turned into an export's.
import { createHmac, timingSafeEqual } from "node:crypto";

export type Disposition = "attachment" | "inline";
/** What a signed path names: an uploaded file, or a data export document (always an attachment). */
export type SignedResource = "file" | "export";

const ROOT: Record<SignedResource, string> = { file: "/files/", export: "/exports/" };

const mac = (secret: string, resource: SignedResource, id: string, expires: number, disposition: Disposition) =>
  createHmac("sha256", secret)
    .update(`${resource}:${id}:${expires}${disposition === "inline" ? ":inline" : ""}`)
    .digest("base64url");

export function signedPath(
  secret: string,
  id: string,
  expires: number,
  disposition: Disposition = "attachment",
  resource: SignedResource = "file",
) {
  const inline = disposition === "inline" ? "&disposition=inline" : "";
  return `${ROOT[resource]}${id}?expires=${expires}${inline}&signature=${mac(secret, resource, id, expires, disposition)}`;
}

export type Verdict =
  | { ok: true; fileId: string; disposition: Disposition }
  | { ok: false; reason: "malformed" | "signature" | "expired" };

const ID = /^([0-9a-f-]{36})$/;

/** Checks a download URL's path and query at `now` (ms). */
export function verifySigned(secret: string, url: URL, now: number, resource: SignedResource = "file"): Verdict {
  const root = ROOT[resource];
  const m = url.pathname.startsWith(root) ? ID.exec(url.pathname.slice(root.length)) : null;
  const expires = Number(url.searchParams.get("expires"));
  const signature = url.searchParams.get("signature") ?? "";
  const asked = url.searchParams.get("disposition");
  if (!m?.[1] || !Number.isSafeInteger(expires) || !/^[A-Za-z0-9_-]{43}$/.test(signature))
    return { ok: false, reason: "malformed" };
  if (asked !== null && (asked !== "inline" || resource !== "file")) return { ok: false, reason: "malformed" };
  const disposition: Disposition = asked === "inline" ? "inline" : "attachment";
  const expected = Buffer.from(mac(secret, resource, m[1], expires, disposition));
  if (!timingSafeEqual(expected, Buffer.from(signature))) return { ok: false, reason: "signature" };
  if (expires * 1000 <= now) return { ok: false, reason: "expired" };
  return { ok: true, fileId: m[1], disposition };
}
