// Account tokens (email verification, password reset, sign-in challenge): 256-bit random, only
// their SHA-256 kept, single use, expiring. Issuing one voids the user's earlier unused ones of
// the same purpose, so only the newest link works.
import { AppError } from "../../errors.ts";
import type { AccountTokenPurpose, Prisma } from "../../generated/prisma/client.ts";
import { hashSecret, newSecret } from "../tokens.ts";

type Tx = Pick<Prisma.TransactionClient, "accountToken">;

export const TOKEN_TTL_MS: Record<AccountTokenPurpose, number> = {
  verify_email: 48 * 3_600_000,
  reset_password: 30 * 60_000,
  mfa_challenge: 5 * 60_000,
};

export const invalidToken = () =>
  new AppError("INVALID_TOKEN", "This link or code is invalid, expired or already used.");

export async function issueToken(
  tx: Tx,
  userId: string,
  purpose: AccountTokenPurpose,
  tenantId: string | null = null,
  now = new Date(),
): Promise<string> {
  await tx.accountToken.updateMany({ where: { userId, purpose, usedAt: null }, data: { usedAt: now } });
  const token = newSecret("upa");
  await tx.accountToken.create({
    data: {
      userId,
      purpose,
      tenantId,
      tokenHash: hashSecret(token),
      expiresAt: new Date(now.getTime() + TOKEN_TTL_MS[purpose]),
    },
  });
  return token;
}

/** Spends a token in one conditional write, so two concurrent uses cannot both succeed. */
export async function consumeToken(tx: Tx, token: string, purpose: AccountTokenPurpose, now = new Date()) {
  const tokenHash = hashSecret(token);
  const { count } = await tx.accountToken.updateMany({
    where: { tokenHash, purpose, usedAt: null, expiresAt: { gt: now } },
    data: { usedAt: now },
  });
  if (count !== 1) throw invalidToken();
  return tx.accountToken.findUniqueOrThrow({ where: { tokenHash } });
}

/** Reads an unspent token without spending it (a challenge survives a wrong code). */
export async function peekToken(tx: Tx, token: string, purpose: AccountTokenPurpose, now = new Date()) {
  const row = await tx.accountToken.findUnique({ where: { tokenHash: hashSecret(token) } });
  if (!row || row.purpose !== purpose || row.usedAt || row.expiresAt <= now) throw invalidToken();
  return row;
}
