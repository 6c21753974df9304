// TOTP secrets at rest: AES-256-GCM with the user's id as associated data, so a sealed secret
// copied onto another user's row does not open. Sealed values carry a version prefix; a value
// without it is a secret stored before sealing existed, read as is and sealed on the way
// (sealLegacyTotpSecrets at start-up, and on its next use).
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { PrismaClient } from "../../generated/prisma/client.ts";

const PREFIX = "enc1:";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SecretBox {
  seal(plain: string, userId: string): string;
  open(stored: string, userId: string): string;
  isSealed(stored: string): boolean;
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error("the TOTP encryption key must be 32 bytes");
  return {
    isSealed: (stored) => stored.startsWith(PREFIX),
    seal(plain, userId) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(userId));
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
    },
    open(stored, userId) {
      if (!stored.startsWith(PREFIX)) return stored;
      const raw = Buffer.from(stored.slice(PREFIX.length), "base64url");
      const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(userId));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
    },
  };
}

/** Seals every TOTP secret still stored in plain text; returns how many it sealed. */
export async function sealLegacyTotpSecrets(prisma: PrismaClient, box: SecretBox): Promise<number> {
  const plain = await prisma.user.findMany({
    where: { totpSecret: { not: null }, NOT: { totpSecret: { startsWith: PREFIX } } },
    select: { id: true, totpSecret: true },
  });
  let sealed = 0;
  for (const u of plain) {
    if (!u.totpSecret) continue;
    // Only if still the same plain value: a concurrent enrolment wins.
    const { count } = await prisma.user.updateMany({
      where: { id: u.id, totpSecret: u.totpSecret },
      data: { totpSecret: box.seal(u.totpSecret, u.id) },
    });
    sealed += count;
  }
  return sealed;
}
