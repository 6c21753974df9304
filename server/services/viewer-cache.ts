// Signed-in viewers by token hash, so a request does not read its credential again while nothing
// about it can have changed. An entry ends at the first of:
// - a viewer change (publishViewerChanged, sessions.ts): sign-out, a session or key revoked, a
//   role given or ended, a password changed, a second factor turned on or off, a tenant's sign-in
//   rules changed. It is published on every instance (Redis when configured) and also applied here
//   at once, so the instance that made the change never answers from a stale entry;
// - the clock: the credential's expiry, or midnight UTC, when roles start and end;
// - the next sliding renewal of the session or key (its last-seen time plus RENEW_EVERY_MS), so
//   renewal is written as often as without the cache;
// - VIEWER_CACHE_MS after it was read: a bound on anything that changes the rows without telling.
// Unknown or refused tokens are never kept (a flood of made-up tokens cannot fill the cache).
import type { PubSub } from "../pubsub.ts";
import { isSignedIn, type SignedInViewer, type Viewer } from "../viewer.ts";

/** Whose viewers changed: one user's, or every member's of a tenant. */
export type ViewerScope = { userId: string } | { tenantId: string };

export interface ViewerCacheOptions {
  /** Longest an entry is used; 0 turns the cache off. */
  ttlMs: number;
  maxEntries: number;
}

interface Entry {
  viewer: SignedInViewer;
  until: number;
}

/** Applied at once on this instance by publishViewerChanged, before the pub/sub carries it. */
const local = new WeakMap<PubSub, Set<(scope: ViewerScope) => void>>();

export function viewerChangedLocally(pubsub: PubSub, scope: ViewerScope) {
  for (const forget of local.get(pubsub) ?? []) forget(scope);
}

function nextMidnightUtc(now: number): number {
  const d = new Date(now);
  d.setUTCHours(24, 0, 0, 0);
  return d.getTime();
}

export function createViewerCache(pubsub: PubSub, options: ViewerCacheOptions) {
  const entries = new Map<string, Entry>();
  // Bumped by every change: a resolution that began before a change does not store its answer.
  let generation = 0;

  const forget = (scope: ViewerScope) => {
    generation++;
    for (const [key, e] of entries)
      if ("userId" in scope ? e.viewer.userId === scope.userId : e.viewer.tenantId === scope.tenantId)
        entries.delete(key);
  };
  const listeners = local.get(pubsub) ?? new Set();
  local.set(pubsub, listeners);
  listeners.add(forget);

  const changes = options.ttlMs > 0 ? pubsub.subscribe("viewers:changed") : null;
  if (changes)
    void (async () => {
      for await (const scope of changes) forget(scope);
    })();

  return {
    /** The viewer kept for this token hash, if still good. */
    get(tokenHash: string, now = Date.now()): SignedInViewer | undefined {
      const e = entries.get(tokenHash);
      if (!e) return undefined;
      if (e.until > now) return e.viewer;
      entries.delete(tokenHash);
      return undefined;
    },

    /** Where a resolution starts: pass it to set() so an answer overtaken by a change is dropped. */
    mark: () => generation,

    set(tokenHash: string, viewer: Viewer, mark: number, renewBy: number | null, now = Date.now()) {
      if (options.ttlMs <= 0 || !isSignedIn(viewer) || mark !== generation) return;
      const until = Math.min(
        now + options.ttlMs,
        nextMidnightUtc(now),
        viewer.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY,
        renewBy ?? Number.POSITIVE_INFINITY,
      );
      if (until <= now) return;
      if (entries.size >= options.maxEntries && !entries.has(tokenHash)) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
      entries.set(tokenHash, { viewer, until });
    },

    /** Stops following changes (before the pub/sub closes). */
    async close() {
      listeners.delete(forget);
      entries.clear();
      await changes?.return?.();
    },
  };
}

export type ViewerCache = ReturnType<typeof createViewerCache>;
