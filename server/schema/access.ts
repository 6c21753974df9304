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

export interface Rule<T> {
  /** Who may ask at all: the rule of every list field of the type. */
  door: Scopes;
  /** The type's rule: the door and the row rule together. */
  type: (row: T, ctx: Context) => Scopes | boolean | Promise<Scopes | boolean>;
}

function rule<T>(door: Scopes, row: RowRule<T>): Rule<T> {
  const combine = (r: Scopes | boolean): Scopes | boolean => {
    if (r === false) return false;
    return r === true ? { $all: door } : { $all: { ...door, $all: r } };
  };
  return {
    door,
    type: (value, ctx) => {
      const r = row(value, ctx);
      return r instanceof Promise ? r.then(combine) : combine(r);
    },
  };
}

const member = (ctx: Context, userId: string) => memberOfViewerTenant(ctx, userId);
const owner = (userId: string): Scopes => ({ self: userId });
const ownerOrAdmin = (userId: string, tenantId: string): Scopes => ({
  $any: { self: userId, $all: { tenant: tenantId, tenantAdmin: true } },
});

/** Interactive sessions only: API keys never read or manage credentials. */
export const SESSION_ONLY: Scopes = { session: true };
/** Tenant admins; an API key needs the `admin` scope (see isTenantAdmin). */
export const TENANT_ADMIN: Scopes = { tenantAdmin: true };

export const access = {
  User: rule<{ id: string }>({ apiScope: "read:profile" }, (u, ctx) => member(ctx, u.id)),
  Profile: rule<{ userId: string }>({ apiScope: "read:profile" }, (p, ctx) => member(ctx, p.userId)),
  Tenant: rule<{ id: string }>({ apiScope: "read:profile" }, (t) => ({ tenant: t.id })),
  RoleAssignment: rule<{ userId: string; tenantId: string }>({ apiScope: "read:profile" }, (ra) => ({
    $all: { tenant: ra.tenantId, $any: { self: ra.userId, tenantAdmin: true } },
  })),
  Session: rule<{ userId: string; tenantId: string }>(SESSION_ONLY, (s) => ownerOrAdmin(s.userId, s.tenantId)),
  ApiKey: rule<{ userId: string }>(SESSION_ONLY, (k) => owner(k.userId)),
  Invite: rule<{ tenantId: string }>(TENANT_ADMIN, (i) => ({ tenant: i.tenantId })),
  AuditLog: rule<{ tenantId: string | null }>(TENANT_ADMIN, (a) => (a.tenantId ? { tenant: a.tenantId } : false)),
  Agent: rule<{ tenantId: string }>({ apiScope: "read:agents" }, (a) => ({ tenant: a.tenantId })),
  UserAgent: rule<{ userId: string; tenantId: string; isShared: boolean; sharedWith: string[] }>(
    { apiScope: "read:agents" },
    (ua) => ({
      $all: { tenant: ua.tenantId, $any: { self: ua.userId, oneOfUsers: ua.isShared ? ua.sharedWith : [] } },
    }),
  ),
  Favorite: rule<{ userId: string }>({ apiScope: "read:agents" }, (f) => owner(f.userId)),
  Rating: rule<{ tenantId: string }>({ apiScope: "read:ratings" }, (r) => ({ tenant: r.tenantId })),
  Memory: rule<{ userId: string }>({ apiScope: "read:memories" }, (m) => owner(m.userId)),
  Quota: rule<{ tenantId: string }>({ apiScope: "read:usage" }, (q) => ({ tenant: q.tenantId })),
  UsageLog: rule<{ userId: string; tenantId: string }>({ apiScope: "read:usage" }, (u) =>
    ownerOrAdmin(u.userId, u.tenantId),
  ),
  /** What recordAgentUsage answers: the backend (or user) that recorded it, with the write door. */
  AgentUsageRecord: rule<{ usageLog: { userId: string } }>({ apiScope: "write:usage" }, (r) =>
    owner(r.usageLog.userId),
  ),
  ContentItem: rule<{ userId: string }>({ apiScope: "analysis:read" }, (c) => owner(c.userId)),
  /** A run's status and progress: its owner and the tenant's admins (canSeeRun, shared with the service). */
  AnalysisRun: rule<{ userId: string; tenantId: string }>({ apiScope: "analysis:read" }, (r, ctx) =>
    canSeeRun(ctx.viewer, r),
  ),
  /** What a run found: its owner only. */
  AnalysisResult: rule<{ userId: string }>({ apiScope: "analysis:read" }, (r) => owner(r.userId)),
};

/** The owner-only part of an object whose type is wider (results on a run, private profile fields). */
export const ownerOnly = (row: { userId: string }): Scopes => owner(row.userId);

const memberLoaders = createContextCache(
  (ctx: Context) =>
    new DataLoader(async (ids: readonly string[]) => {
      const viewer = ctx.viewer;
      if (viewer.kind === "anonymous") return ids.map(() => false);
      const rows = await ctx.prisma.roleAssignment.findMany({
        where: { tenantId: viewer.tenantId, userId: { in: [...ids] }, ...inEffectOn() },
        select: { userId: true },
      });
      const found = new Set(rows.map((r) => r.userId));
      return ids.map((id) => found.has(id));
    }),
);

/**
 * Users a query has just found to be members of `tenantId` on `day`: when that is the viewer's
 * tenant today, the membership loader starts with the answer instead of asking the database again.
 */
export function knownMembers(ctx: Context, tenantId: string, day: Date, users: readonly { id: string }[]) {
  const viewer = ctx.viewer;
  if (viewer.kind === "anonymous" || viewer.tenantId !== tenantId || day.getTime() !== todayUtc().getTime()) return;
  const loader = memberLoaders(ctx);
  for (const u of users) loader.prime(u.id, true);
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
  return memberLoaders(ctx).load(userId);
}
