// The users meter: a tenant's active members (not deleted, with a role in effect today) against its
// `users` quota. Sign-ups by invite and new invites are refused beyond it; an open invite holds a
// seat, so a tenant cannot hand out more invites than it has seats left.
import { quotaExceeded } from "../errors.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import type { Change } from "../live/changes.ts";
import { inEffectOn, todayUtc } from "../viewer.ts";
import { levelCrossings } from "./notifications/events.ts";

export function activeMembers(tx: Prisma.TransactionClient, tenantId: string, now = new Date()): Promise<number> {
  return tx.user.count({
    where: { deletedAt: null, roleAssignments: { some: { tenantId, ...inEffectOn(todayUtc(now)) } } },
  });
}

/**
 * Refuses with QUOTA_EXCEEDED when `joining` more members (and, for a new invite, the open
 * invites) would pass the tenant's users quota, and records the member count on the quota (returning
 * its change and any alert the new count crossed, to publish after commit). The
 * quota row is locked first, so concurrent sign-ups of one tenant are counted one after another.
 */
export async function claimSeats(
  tx: Prisma.TransactionClient,
  tenantId: string,
  options: { joining: number; holdInvites?: boolean; now?: Date },
): Promise<Change[]> {
  const now = options.now ?? new Date();
  const [quota] = await tx.$queryRaw<{ id: string; quota_limit: bigint; current_usage: bigint }[]>`
    SELECT id, quota_limit, current_usage FROM quotas
    WHERE tenant_id = ${tenantId}::uuid AND quota_type = 'users' FOR UPDATE`;
  if (!quota) return [];
  const members = await activeMembers(tx, tenantId, now);
  const invites = options.holdInvites
    ? await tx.invite.count({ where: { tenantId, acceptedAt: null, expiresAt: { gt: now } } })
    : 0;
  const limit = Number(quota.quota_limit);
  if (members + invites + options.joining > limit)
    throw quotaExceeded(
      `This workspace has ${limit} seats: ${members} members${invites ? ` and ${invites} open invites` : ""} hold them.`,
    );
  const usage = options.holdInvites ? members : members + options.joining;
  const moved = await tx.quota.update({
    where: { id: quota.id },
    data: { currentUsage: usage, isExceeded: usage >= limit },
  });
  return levelCrossings(tx, moved, BigInt(quota.current_usage), now);
}
