// The viewer behind a bearer token, on every request: read from its credential, renewed while in
// use, and kept by token hash until it may have changed; and the after-commit events that say it
// may have.
import type { PrismaClient } from "../generated/prisma/client.ts";
import { changeOf, publishChange } from "../live/changes.ts";
import type { Logger } from "../logger.ts";
import type { PubSub } from "../pubsub.ts";
import { sharedReads } from "../shared-reads.ts";
import type { ApiScope, Viewer } from "../viewer.ts";
import { API_SCOPES } from "../viewer.ts";
import { findCredential } from "./credential.ts";
import { hashSecret, secretKind } from "./tokens.ts";
import { createViewerCache, type ViewerCacheOptions, type ViewerScope, viewerChangedLocally } from "./viewer-cache.ts";

/** Sliding renewal is written at most this often per session, not on every request. */
const RENEW_EVERY_MS = 60_000;

export function createBearerResolver(
  prisma: PrismaClient,
  pubsub: PubSub,
  options: { sessionTtlMs: number; viewerCache: ViewerCacheOptions; logger: Logger },
) {
  const ttlMs = options.sessionTtlMs;
  const viewers = createViewerCache(pubsub, options.viewerCache);
  const reading = sharedReads<string, Viewer>();

  /**
   * Writes a sliding renewal; false if the write failed. The credential was read valid just now, so
   * the request goes on under its current expiry, and the viewer is not kept: the next request
   * reads the credential again and retries the renewal. A request must not fail because bookkeeping
   * is slow (at a load of 30 a renewal in a transaction waited past Prisma's transaction timeout).
   */
  async function renew(write: () => Promise<unknown>, kind: string, id: string): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (err) {
      options.logger.warn({ err, kind, id }, "sliding renewal not written; retried on the next request");
      return false;
    }
  }

  /**
   * The viewer behind a token, read from its credential (credential.ts: one statement), and when
   * its sliding renewal is next due; unknown, expired or revoked tokens are anonymous.
   */
  async function readViewer(token: string, tokenHash: string): Promise<{ viewer: Viewer; renewBy: number | null }> {
    const kind = secretKind(token);
    const now = new Date();
    if (kind === "session") {
      const s = await findCredential(prisma, "session", tokenHash);
      if (!s?.expiresAt || s.revokedAt || s.expiresAt <= now) return { viewer: { kind: "anonymous" }, renewBy: null };
      let expiresAt = s.expiresAt;
      let renewedAt = s.lastSeenAt?.getTime() ?? now.getTime();
      if (!s.lastSeenAt || now.getTime() - s.lastSeenAt.getTime() > RENEW_EVERY_MS) {
        const until = new Date(now.getTime() + ttlMs);
        if (await renew(() => renewSession(prisma, s.id, now, until), "session", s.id)) {
          renewedAt = now.getTime();
          expiresAt = until;
          // At most once a minute per session: screens showing "last seen" move with it.
          const row = { id: s.id, userId: s.userId, tenantId: s.tenantId };
          publishChange(
            prisma,
            changeOf("Session", "update", row),
            changeOf("User", "update", { ...row, id: s.userId }),
          );
        } else renewedAt = Number.NEGATIVE_INFINITY;
      }
      const roles = s.roles;
      // No role in effect today: the membership has ended (or not begun), so the session no
      // longer opens the tenant.
      if (roles.length === 0) return { viewer: { kind: "anonymous" }, renewBy: null };
      const viewer: Viewer = {
        kind: "session",
        userId: s.userId,
        tenantId: s.tenantId,
        sessionId: s.id,
        expiresAt,
        roles,
        ...(s.mfaPending ? { mfaEnrollmentRequired: true } : {}),
      };
      return { viewer, renewBy: renewedAt + RENEW_EVERY_MS };
    }
    if (kind === "apiKey") {
      const k = await findCredential(prisma, "apiKey", tokenHash);
      if (!k || k.revokedAt || (k.expiresAt && k.expiresAt <= now))
        return { viewer: { kind: "anonymous" }, renewBy: null };
      let usedAt = k.lastSeenAt?.getTime() ?? now.getTime();
      if (!k.lastSeenAt || now.getTime() - k.lastSeenAt.getTime() > RENEW_EVERY_MS) {
        const used = () => prisma.apiKey.update({ where: { id: k.id }, data: { lastUsedAt: now } });
        if (await renew(used, "apiKey", k.id)) {
          usedAt = now.getTime();
          publishChange(prisma, changeOf("ApiKey", "update", { id: k.id, userId: k.userId, tenantId: k.tenantId }));
        } else usedAt = Number.NEGATIVE_INFINITY;
      }
      const roles = k.roles;
      if (roles.length === 0) return { viewer: { kind: "anonymous" }, renewBy: null };
      const viewer: Viewer = {
        kind: "apiKey",
        userId: k.userId,
        tenantId: k.tenantId,
        apiKeyId: k.id,
        expiresAt: k.expiresAt,
        scopes: k.scopes.filter((s): s is ApiScope => (API_SCOPES as readonly string[]).includes(s)),
        roles,
        ...(k.mfaPending ? { mfaEnrollmentRequired: true } : {}),
      };
      return { viewer, renewBy: usedAt + RENEW_EVERY_MS };
    }
    return { viewer: { kind: "anonymous" }, renewBy: null };
  }

  /**
   * The viewer behind a bearer token; unknown, expired or revoked tokens are anonymous. A signed-in
   * viewer is kept until it may have changed (viewer-cache.ts). Answered at once, not as a promise,
   * when the database need not be asked (no token, or a viewer kept), so that a request's context
   * is built without waiting on one.
   */
  function viewerOf(token: string | null | undefined): Viewer | Promise<Viewer> {
    if (!token) return { kind: "anonymous" };
    const tokenHash = hashSecret(token);
    const kept = viewers.get(tokenHash);
    if (kept) return kept;
    const mark = viewers.mark();
    // A thousand subscribers of one token connecting together read it (and renew it) once.
    return reading(
      tokenHash,
      () =>
        readViewer(token, tokenHash).then(({ viewer, renewBy }) => {
          viewers.set(tokenHash, viewer, mark, renewBy);
          return viewer;
        }),
      mark,
    );
  }

  return {
    viewerOf,

    /** viewerOf, always as a promise. */
    resolveViewer: async (token: string | null | undefined): Promise<Viewer> => viewerOf(token),

    /** Stops following viewer changes (before the pub/sub closes). */
    close: () => viewers.close(),
  };
}

/**
 * The session's renewal and its user's "last seen", in one statement: atomic without a transaction,
 * so it never waits for a pooled connection to open one nor holds one open between round trips.
 * It extends only a session still open (neither revoked nor expired since it was read). A user
 * without a profile row has nothing to touch.
 */
function renewSession(prisma: PrismaClient, sessionId: string, now: Date, expiresAt: Date) {
  return prisma.$executeRaw`
    WITH s AS (
      UPDATE sessions SET last_seen_at = ${now}, expires_at = ${expiresAt}
      WHERE id = ${sessionId}::uuid AND revoked_at IS NULL AND expires_at > ${now}
      RETURNING user_id)
    UPDATE profiles p SET last_seen_at = ${now}, updated_at = ${now} FROM s WHERE p.user_id = s.user_id`;
}

/**
 * After commit: live operations of this user re-resolve their viewer (live-auth.ts), and every
 * instance drops the viewers it keeps for them (viewer-cache.ts), this one at once.
 */
export function publishViewerChanged(pubsub: PubSub, userId: string, reason: string) {
  viewerChangedLocally(pubsub, { userId });
  pubsub.publish("viewers:changed", { userId });
  pubsub.publish("viewer:changed", userId, { userId, reason });
}

/** After commit: what every member of a tenant may do changed (its sign-in rules). */
export function publishTenantViewersChanged(pubsub: PubSub, tenantId: string) {
  const scope: ViewerScope = { tenantId };
  viewerChangedLocally(pubsub, scope);
  pubsub.publish("viewers:changed", scope);
}
