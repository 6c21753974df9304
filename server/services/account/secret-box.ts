// Secrets at rest (TOTP secrets, webhook signing secrets): AES-256-GCM with the owning row's
// identity as associated data (a TOTP secret: the user's id; a webhook secret: `webhook:<endpoint
// id>`), so a sealed secret copied onto another row does not open. Sealed values carry a version
// prefix; a value without it is a secret stored before sealing existed, read as is and sealed on
// the way (sealLegacy*Secrets at start-up).
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { PrismaClient } from "../../generated/prisma/client.ts";

const PREFIX = "enc1:";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SecretBox {
  /** `context`: the owning row's identity (associated data); the same is needed to open it. */
  seal(plain: string, context: string): string;
  open(stored: string, context: string): string;
  isSealed(stored: string): boolean;
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error("the secrets' encryption key must be 32 bytes");
  return {
    isSealed: (stored) => stored.startsWith(PREFIX),
    seal(plain, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
    },
    open(stored, context) {
      if (!stored.startsWith(PREFIX)) return stored;
      const raw = Buffer.from(stored.slice(PREFIX.length), "base64url");
      const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
    },
  };
}

/** A row when some TOTP or webhook secret is still stored in plain text (asked before sealing). */
export const PLAIN_SECRETS_SQL = `SELECT 1 FROM users WHERE totp_secret IS NOT NULL AND totp_secret NOT LIKE '${PREFIX}%'
  UNION ALL SELECT 1 FROM webhook_endpoints WHERE secret NOT LIKE '${PREFIX}%' LIMIT 1`;

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

/** The associated data of an endpoint's signing secret. */
export const webhookSecretContext = (endpointId: string) => `webhook:${endpointId}`;

/** Seals every webhook signing secret still stored in plain text; returns how many it sealed. */
export async function sealLegacyWebhookSecrets(prisma: PrismaClient, box: SecretBox): Promise<number> {
  const plain = await prisma.webhookEndpoint.findMany({
    where: { NOT: { secret: { startsWith: PREFIX } } },
    select: { id: true, secret: true },
  });
  let sealed = 0;
  for (const e of plain) {
    const { count } = await prisma.webhookEndpoint.updateMany({
      where: { id: e.id, secret: e.secret },
      data: { secret: box.seal(e.secret, webhookSecretContext(e.id)) },
    });
    sealed += count;
  }
  return sealed;
}
