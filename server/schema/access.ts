// Who may see each type: the one home of every read rule. A rule has two parts:
// - the door: what kind of viewer may ask at all (an interactive session, or an API key holding a
//   scope; sessions pass every scope door). List fields use the door as their own rule.
// - the row: which rows that viewer may see (owner, tenant member, tenant admin).
// A type's rule is both at once and runs wherever an object of the type is returned (the builder
// sets runScopesOnType): list fields, `node`/`nodes`, nested relations and every subscription
// event alike. A door that is only on a list field would let `node(id)` skip it.
import { createContextCache } from "@pothos/core";
import DataLoader from "dataloader";
import type { Context } from "../context.ts";
import { canSeeRun } from "../services/analysis/index.ts";
import { type ApiScope, inEffectOn, todayUtc } from "../viewer.ts";

/** The builder's auth scopes, as a map a rule returns. */
export interface Scopes {
  public?: boolean;
  signedIn?: boolean;
  session?: boolean;
  apiScope?: ApiScope;
  tenantAdmin?: boolean;
  self?: string;
  tenant?: string;
  oneOfUsers?: readonly string[];
  $all?: Scopes;
  $any?: Scopes;
}

type RowRule<T> = (row: T, ctx: Context) => Scopes | boolean | Promise<Scopes | boolean>;

export interface Rule<T, D extends Scopes = Scopes> {
  /** Who may ask at all: the rule of every list field of the type. */
  door: D;
  /** The type's rule: the door and the row rule together. */
  type: (row: T, ctx: Context) => Scopes | boolean | Promise<Scopes | boolean>;
}

// Scope-auth remembers, per request, the outcome of each scope map by the object itself. Rows that
// get the same answer (every agent of one tenant, every member already known) therefore share one
// object per request, so the map is evaluated once instead of once per row.
const answers = createContextCache((_ctx: Context) => new Map<string, Scopes>());
let rules = 0;

// The door keeps its literal type so `t.withAuth(access.X.door)` can type the resolver's context.
function rule<T, D extends Scopes = Scopes>(door: D, row: RowRule<T>): Rule<T, D> {
  const id = rules++;
  const doorOnly: Scopes = { $all: door };
  const combine = (r: Scopes | boolean, ctx: Context): Scopes | boolean => {
    if (r === false) return false;
    if (r === true) return doorOnly;
    // Answers are small maps of ids: their JSON names them exactly.
    const key = `${id}:${JSON.stringify(r)}`;
    const known = answers(ctx);
    let scopes = known.get(key);
    if (!scopes) {
      scopes = { $all: { ...door, $all: r } };
      known.set(key, scopes);
    }
    return scopes;
  };
  return {
    door,
    type: (value, ctx) => {
      const r = row(value, ctx);
      return r instanceof Promise ? r.then((x) => combine(x, ctx)) : combine(r, ctx);
    },
  };
}

const member = (ctx: Context, userId: string) => memberOfViewerTenant(ctx, userId);
const owner = (userId: string): Scopes => ({ self: userId });
const ownerOrAdmin = (userId: string, tenantId: string): Scopes => ({
  $any: { self: userId, $all: { tenant: tenantId, tenantAdmin: true } },
});

/** Interactive sessions only: API keys never read or manage credentials. */
export const SESSION_ONLY = { session: true } as const satisfies Scopes;
/** Tenant admins; an API key needs the `admin` scope (see isTenantAdmin). */
export const TENANT_ADMIN = { tenantAdmin: true } as const satisfies Scopes;
/** Tenant admins in an interactive session: changes to how the tenant's members sign in. */
export const TENANT_ADMIN_SESSION: Scopes = { $all: { session: true, tenantAdmin: true } };
/**
 * Deleting one's own account, and what it answers (the purge date): the user, from an interactive
 * session (an API key never deletes its owner). Taking it back (cancelAccountDeletion) is public:
 * no session is left, and it asks for the email, password and second factor instead.
 */
export const ACCOUNT_DELETION = SESSION_ONLY;
/** Deactivating and reactivating members: the tenant's admins (a key needs the `admin` scope), as assignRole. */
export const MEMBER_STATUS = TENANT_ADMIN;
/** A user's account state (email verified, second factor): the user and their tenant's admins. */
export const accountStateOf = (user: { id: string }): Scopes => ({ $any: { self: user.id, tenantAdmin: true } });

export const access = {
  User: rule({ apiScope: "read:profile" }, (u: { id: string }, ctx) => member(ctx, u.id)),
  Profile: rule({ apiScope: "read:profile" }, (p: { userId: string }, ctx) => member(ctx, p.userId)),
  Tenant: rule({ apiScope: "read:profile" }, (t: { id: string }) => ({ tenant: t.id })),
  RoleAssignment: rule({ apiScope: "read:profile" }, (ra: { userId: string; tenantId: string }) => ({
    $all: { tenant: ra.tenantId, $any: { self: ra.userId, tenantAdmin: true } },
  })),
  Session: rule(SESSION_ONLY, (s: { userId: string; tenantId: string }) => ownerOrAdmin(s.userId, s.tenantId)),
  ApiKey: rule(SESSION_ONLY, (k: { userId: string }) => owner(k.userId)),
  Invite: rule(TENANT_ADMIN, (i: { tenantId: string }) => ({ tenant: i.tenantId })),
  /** Rate limits of the tenant, and the requests they refused: for its admins. Global rows (no tenant) are shown to every admin they bind. */
  RateLimitConfig: rule(TENANT_ADMIN, (r: { tenantId: string | null }) => (r.tenantId ? { tenant: r.tenantId } : true)),
  RateLimitViolation: rule(TENANT_ADMIN, (v: { tenantId: string }) => ({ tenant: v.tenantId })),
  /** Retention policies and what each pass removed: for the tenant's admins. */
  RetentionPolicy: rule(TENANT_ADMIN, (r: { tenantId: string }) => ({ tenant: r.tenantId })),
  RetentionRun: rule(TENANT_ADMIN, (r: { tenantId: string }) => ({ tenant: r.tenantId })),
  AuditLog: rule(TENANT_ADMIN, (a: { tenantId: string | null }) => (a.tenantId ? { tenant: a.tenantId } : false)),
  Agent: rule({ apiScope: "read:agents" }, (a: { tenantId: string }) => ({ tenant: a.tenantId })),
  UserAgent: rule(
    { apiScope: "read:agents" },
    (ua: { userId: string; tenantId: string; isShared: boolean; sharedWith: string[] }) => ({
      $all: { tenant: ua.tenantId, $any: { self: ua.userId, oneOfUsers: ua.isShared ? ua.sharedWith : [] } },
    }),
  ),
  Favorite: rule({ apiScope: "read:agents" }, (f: { userId: string }) => owner(f.userId)),
  Rating: rule({ apiScope: "read:ratings" }, (r: { tenantId: string }) => ({ tenant: r.tenantId })),
  Memory: rule({ apiScope: "read:memories" }, (m: { userId: string }) => owner(m.userId)),
  Quota: rule({ apiScope: "read:usage" }, (q: { tenantId: string }) => ({ tenant: q.tenantId })),
  UsageLog: rule({ apiScope: "read:usage" }, (u: { userId: string; tenantId: string }) =>
    ownerOrAdmin(u.userId, u.tenantId),
  ),
  /** What recordAgentUsage answers: the backend (or user) that recorded it, with the write door. */
  AgentUsageRecord: rule({ apiScope: "write:usage" }, (r: { usageLog: { userId: string } }) =>
    owner(r.usageLog.userId),
  ),
  ContentItem: rule({ apiScope: "analysis:read" }, (c: { userId: string }) => owner(c.userId)),
  /** A run's status and progress: its owner and the tenant's admins (canSeeRun, shared with the service). */
  AnalysisRun: rule({ apiScope: "analysis:read" }, (r: { userId: string; tenantId: string }, ctx) =>
    canSeeRun(ctx.viewer, r),
  ),
  /** Files and work sessions are their owner's alone; admins see storage totals only (tenantStorageStats). */
  File: rule<{ userId: string }>({ apiScope: "read:files" }, (f) => owner(f.userId)),
  Workspace: rule<{ userId: string }>({ apiScope: "read:files" }, (w) => owner(w.userId)),
  /** A notification is its recipient's alone (admins do not read each other's). */
  Notification: rule({ apiScope: "read:profile" }, (n: { userId: string }) => owner(n.userId)),
  /** Webhook endpoints and their delivery log: the tenant's admins. */
  WebhookEndpoint: rule(TENANT_ADMIN, (e: { tenantId: string }) => ({ tenant: e.tenantId })),
  WebhookDelivery: rule(TENANT_ADMIN, (d: { tenantId: string }) => ({ tenant: d.tenantId })),
  /** Conversations and their messages are their owner's alone (no admin, no sharing). */
  Conversation: rule<{ userId: string }>({ apiScope: "read:conversations" }, (c) => owner(c.userId)),
  Message: rule<{ userId: string }>({ apiScope: "read:conversations" }, (m) => owner(m.userId)),
  /** A data export (and its download URL): its owner alone, from an interactive session; no admin, no API key. */
  DataExport: rule(SESSION_ONLY, (e: { userId: string }) => owner(e.userId)),
  /**
   * The privacy transparency log: its subject alone, in a session. Not the tenant's admins (whose
   * reads it records), and no API key scope opens it: deny by default.
   */
  DataAccessEntry: rule(SESSION_ONLY, (e: { subjectUserId: string }) => owner(e.subjectUserId)),
  /** What a run found: its owner only. */
  AnalysisResult: rule({ apiScope: "analysis:read" }, (r: { userId: string }) => owner(r.userId)),
};

/** Usage figures (reports, buckets): the door of every usage read. */
export const USAGE_READER = { apiScope: "read:usage" } as const satisfies Scopes;

/**
 * Usage of the whole tenant is for its admins; anyone else asking for it is refused rather than
 * quietly given their own figures, which the client could not tell apart.
 */
export const usageOf = (wholeTenant: boolean | null | undefined): Scopes =>
  wholeTenant ? { $all: { ...USAGE_READER, tenantAdmin: true } } : USAGE_READER;

/** The owner-only part of an object whose type is wider (results on a run, private profile fields). */
export const ownerOnly = (row: { userId: string }): Scopes => owner(row.userId);

// Per request: the answers known so far (read synchronously, so a list of members whose
// membership the query already proved costs no promise per row) and a loader for the rest.
const memberCaches = createContextCache((ctx: Context) => {
  const known = new Map<string, boolean>();
  const loader = new DataLoader(async (ids: readonly string[]) => {
    const viewer = ctx.viewer;
    if (viewer.kind === "anonymous") return ids.map(() => false);
    const rows = await ctx.prisma.roleAssignment.findMany({
      where: { tenantId: viewer.tenantId, userId: { in: [...ids] }, ...inEffectOn() },
      select: { userId: true },
    });
    const found = new Set(rows.map((r) => r.userId));
    return ids.map((id) => {
      known.set(id, found.has(id));
      return found.has(id);
    });
  });
  return { known, loader };
});

/**
 * Users a query has just found to be members of `tenantId` on `day`: when that is the viewer's
 * tenant today, the membership check starts with the answer instead of asking the database again.
 */
export function knownMembers(ctx: Context, tenantId: string, day: Date, users: readonly { id: string }[]) {
  const viewer = ctx.viewer;
  if (viewer.kind === "anonymous" || viewer.tenantId !== tenantId || day.getTime() !== todayUtc().getTime()) return;
  const { known } = memberCaches(ctx);
  for (const u of users) known.set(u.id, true);
}

/**
 * Whether a user belongs to the viewer's tenant today, batched per request: a list of N users
 * costs one query. Cached in the request's context cache, which a live operation renews before
 * each event, so a membership that ended stops showing.
 */
export function memberOfViewerTenant(ctx: Context, userId: string): Promise<boolean> | boolean {
  const viewer = ctx.viewer;
  if (viewer.kind === "anonymous") return false;
  if (viewer.userId === userId) return true;
  const { known, loader } = memberCaches(ctx);
  return known.get(userId) ?? loader.load(userId);
}
