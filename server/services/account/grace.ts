// When a deleted account is purged, and the refusals that name the account's state. Kept apart
// from deletion.ts so that sign-in (sessions.ts) can use them without an import circle.
import { AppError } from "../../errors.ts";

const DAY = 86_400_000;

/** The instant after which a user deleted at `deletedAt` is purged and can no longer cancel. */
export function purgeAfter(deletedAt: Date, graceDays: number): Date {
  return new Date(deletedAt.getTime() + graceDays * DAY);
}

/** Told only to whoever gave the account's right password, so it reveals nothing to others. */
export const pendingDeletion = (after: Date) =>
  new AppError(
    "ACCOUNT_PENDING_DELETION",
    `This account is scheduled for deletion on ${after.toISOString()}. Cancel the deletion to use it again.`,
    { purgeAfter: after.toISOString() },
  );

export const deactivated = () =>
  new AppError("ACCOUNT_DEACTIVATED", "This account has been deactivated by an admin of its workspace.");
