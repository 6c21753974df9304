// Webhook signatures in the shape Stripe made familiar: `Userplane-Signature: t=<unix seconds>,v1=<hex>`
// where v1 = HMAC-SHA256(secret, `${t}.${body}`). The timestamp is signed too, so a receiver that
// refuses old timestamps cannot be fed a replayed delivery.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "userplane-signature";

export const newWebhookSecret = () => `whsec_${randomBytes(32).toString("base64url")}`;

export function sign(secret: string, body: string, timestamp: number): string {
  const v1 = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
  return `t=${timestamp},v1=${v1}`;
}

/** What a receiver does: true when the header signs this body with this secret within `toleranceSeconds`. */
export function verify(secret: string, body: string, header: string, nowSeconds: number, toleranceSeconds = 300) {
  const parts = new Map(header.split(",").map((p) => p.split("=", 2) as [string, string]));
  const t = Number(parts.get("t"));
  const v1 = parts.get("v1") ?? "";
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(sign(secret, body, t).split("v1=")[1] ?? "", "hex");
  const given = Buffer.from(v1, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}
