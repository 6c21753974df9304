import { hash, randomBytes } from "node:crypto";

/** 256-bit random secrets; only their SHA-256 is stored (they are not guessable, so no slow hash is needed). */
/** ups session, upk API key, upi invite, upa account link or sign-in challenge (account/tokens.ts). */
export function newSecret(prefix: "ups" | "upk" | "upi" | "upa"): string {
  return `${prefix}_${randomBytes(32).toString("base64url")}`;
}

// One-shot: every request hashes its bearer token, and a Hash object per call cost twice the time.
export function hashSecret(secret: string): string {
  return hash("sha256", secret, "hex");
}

export function secretKind(token: string): "session" | "apiKey" | "invite" | null {
  if (token.startsWith("ups_")) return "session";
  if (token.startsWith("upk_")) return "apiKey";
  if (token.startsWith("upi_")) return "invite";
  return null;
}
