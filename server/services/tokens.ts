import { createHash, randomBytes } from "node:crypto";

/** 256-bit random secrets; only their SHA-256 is stored (they are not guessable, so no slow hash is needed). */
export function newSecret(prefix: "ups" | "upk" | "upi"): string {
  return `${prefix}_${randomBytes(32).toString("base64url")}`;
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function secretKind(token: string): "session" | "apiKey" | "invite" | null {
  if (token.startsWith("ups_")) return "session";
  if (token.startsWith("upk_")) return "apiKey";
  if (token.startsWith("upi_")) return "invite";
  return null;
}
