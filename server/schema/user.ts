import { z } from "zod";
import { builder } from "../builder.ts";
import { watchRows } from "../live/queries.ts";
import { inEffectOn, isInEffect, isSignedIn, todayUtc } from "../viewer.ts";
import { access, knownMembers, ownerOnly as ownerRule } from "./access.ts";
import { text } from "./inputs.ts";

export const RoleEnum = builder.enumType("Role", { values: ["member", "admin", "superadmin"] as const });

/** Users: id and display name for anyone in the viewer's tenant; email and roles for self and admins. */
export const UserRef = builder.prismaNode("User", {
  id: { field: "id" },
  // Select mode: only the columns the query asks for (never password_hash), and `me { id }` or
  // `me { tenant }` need no row at all (onlyId).
  select: { id: true },
  authScopes: access.User.type,
  fields: (t) => ({
    displayName: t.exposeString("displayName"),
    email: t.exposeString("email", {
      nullable: true,
      authScopes: (user) => ({ $any: { self: user.id, tenantAdmin: true } }),
    }),
    lastSignInAt: t.expose("lastSignInAt", {
      type: "DateTime",
      nullable: true,
      authScopes: (user) => ({ $any: { self: user.id, tenantAdmin: true } }),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    profile: t.relation("profile", { nullable: true }),
    roles: t.relation("roleAssignments", {
      nullable: true,
      description: "Role assignments in the viewer's tenant, including past and future ones.",
      authScopes: (user) => ({ $any: { self: user.id, tenantAdmin: true } }),
      query: (_args, ctx) => {
        if (isSignedIn(ctx.viewer)) watchRows(ctx, "RoleAssignment", { tenantId: ctx.viewer.tenantId });
        return {
          // Anonymous viewers never get here (the rule above), but the query is planned before rules
          // run: it must stay a valid query that matches nothing rather than compare a UUID with "".
          where: isSignedIn(ctx.viewer) ? { tenantId: ctx.viewer.tenantId } : { id: { in: [] } },
          orderBy: { effectiveFrom: "desc" },
        };
      },
    }),
    tenant: t.prismaField({
      type: "Tenant",
      nullable: true,
      description: "The tenant the viewer is signed in to (only on `me`).",
      authScopes: (user) => ({ self: user.id }),
      resolve: (query, _user, _args, ctx) => {
        const idOnly = onlyId(query);
        if (!isSignedIn(ctx.viewer)) return null;
        // The viewer's session or key references its tenant (a foreign key), so the id is all a
        // selection of `members` alone needs.
        if (idOnly) return { id: ctx.viewer.tenantId } as never;
        // findFirst, as the `me` field reads its row: one per request, nothing to batch with.
        return ctx.prisma.tenant.findFirst({ ...query, where: { id: ctx.viewer.tenantId } });
      },
    }),
    myAgents: t.relatedConnection("userAgents", {
      cursor: "id",
      nullable: true,
      authScopes: (user) => ({ $all: { self: user.id, apiScope: "read:agents" } }),
      query: () => ({
        where: { deletedAt: null },
        orderBy: [{ isPinned: "desc" }, { sortOrder: "asc" }, { addedAt: "desc" }],
      }),
    }),
  }),
});

/** Public part for the tenant, private part (preferences, notifications, handles) for the owner only. */
builder.prismaObject("Profile", {
  select: { userId: true },
  authScopes: access.Profile.type,
  fields: (t) => {
    const ownerOnly = ownerRule;
    const ownerOrAdmin = (p: { userId: string }) => ({ $any: { self: p.userId, tenantAdmin: true } });
    return {
      fullName: t.exposeString("fullName", { nullable: true }),
      avatarUrl: t.string({
        nullable: true,
        description:
          "The uploaded avatar as a signed, time-limited path (/files/…, 5 to 10 minutes), else the URL set with updateProfile.",
        select: { avatarUrl: true, avatarFileId: true },
        resolve: (p, _a, ctx) => (p.avatarFileId ? ctx.services.files.avatarPath(p.avatarFileId) : p.avatarUrl),
      }),
      avatarUploaded: t.boolean({
        description: "avatarUrl is an uploaded image (uploadAvatar), not a URL set with updateProfile.",
        select: { avatarFileId: true },
        resolve: (p) => p.avatarFileId !== null,
      }),
      jobTitle: t.exposeString("jobTitle", { nullable: true }),
      department: t.exposeString("department", { nullable: true }),
      organization: t.exposeString("organization", { nullable: true }),
      country: t.exposeString("country", { nullable: true, authScopes: ownerOnly }),
      isActive: t.exposeBoolean("isActive"),
      lastSeenAt: t.expose("lastSeenAt", { type: "DateTime", nullable: true, authScopes: ownerOrAdmin }),
      onboardingCompleted: t.exposeBoolean("onboardingCompleted", { nullable: true, authScopes: ownerOnly }),
      preferences: t.expose("preferences", { type: "JSON", nullable: true, authScopes: ownerOnly }),
      notificationSettings: t.expose("notificationSettings", { type: "JSON", nullable: true, authScopes: ownerOnly }),
      instagram: t.exposeString("instagram", { nullable: true, authScopes: ownerOnly }),
      linkedin: t.exposeString("linkedin", { nullable: true, authScopes: ownerOnly }),
      twitter: t.exposeString("twitter", { nullable: true, authScopes: ownerOnly }),
      facebook: t.exposeString("facebook", { nullable: true, authScopes: ownerOnly }),
      tiktok: t.exposeString("tiktok", { nullable: true, authScopes: ownerOnly }),
      updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    };
  },
});

export const TenantRef = builder.prismaNode("Tenant", {
  id: { field: "id" },
  select: { id: true },
  authScopes: access.Tenant.type,
  fields: (t) => ({
    name: t.exposeString("name"),
    slug: t.exposeString("slug"),
    members: t.prismaConnection({
      type: "User",
      cursor: "id",
      description: "Users with a role in this tenant in effect today.",
      resolve: async (query, tenant, _args, ctx) => {
        // Membership is a role in effect: a role given or ended changes the list as a new user does.
        watchRows(ctx, "User", { tenantId: tenant.id });
        watchRows(ctx, "RoleAssignment", { tenantId: tenant.id });
        const day = todayUtc();
        const users = await ctx.prisma.user.findMany({
          ...query,
          where: {
            deletedAt: null,
            roleAssignments: {
              some: { tenantId: tenant.id, ...inEffectOn(day) },
            },
          },
          orderBy: { createdAt: "asc" },
        });
        // These rows are members of this tenant today by the query's own filter: the User and
        // Profile rules need not ask again.
        knownMembers(ctx, tenant.id, day, users);
        return users;
      },
    }),
  }),
});

export const RoleAssignmentRef = builder.prismaNode("RoleAssignment", {
  id: { field: "id" },
  authScopes: access.RoleAssignment.type,
  fields: (t) => ({
    role: t.expose("role", { type: RoleEnum }),
    isActing: t.exposeBoolean("isActing"),
    isPrimary: t.exposeBoolean("isPrimary"),
    effectiveFrom: t.expose("effectiveFrom", { type: "Date" }),
    effectiveTo: t.expose("effectiveTo", { type: "Date", nullable: true }),
    inEffect: t.boolean({ resolve: (ra) => isInEffect(ra) }),
    // Nullable: the user may be hidden from this viewer (a former member, a key without read:profile).
    user: t.relation("user", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const Theme = z.enum(["light", "dark", "system"]);
const PreferencesInput = builder.inputType("PreferencesInput", {
  description: "UI preferences as in the seed's user_profiles.preferences.",
  fields: (t) => ({
    theme: t.string({ required: false, validate: Theme }),
    language: t.string({
      required: false,
      validate: z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, "must be a language tag like en or en-GB"),
    }),
    timezone: t.string({
      required: false,
      validate: z
        .string()
        .refine((tz) => Intl.supportedValuesOf("timeZone").includes(tz) || tz === "UTC", "must be an IANA time zone"),
    }),
    sidebarCollapsed: t.boolean({ required: false }),
    defaultView: t.string({ required: false, validate: z.enum(["grid", "list"]) }),
    animationsEnabled: t.boolean({ required: false }),
  }),
});

const NotificationSettingsInput = builder.inputType("NotificationSettingsInput", {
  fields: (t) => ({
    email: t.boolean({ required: false }),
    inApp: t.boolean({ required: false }),
    weeklyDigest: t.boolean({ required: false }),
    agentUpdates: t.boolean({ required: false }),
    newFeatures: t.boolean({ required: false }),
  }),
});

const handle = z
  .string()
  .trim()
  .max(100)
  .regex(/^@?[\w.-]*$/, "may contain letters, digits, '.', '-' and '_'");

const UpdateProfileInput = builder.inputType("UpdateProfileInput", {
  fields: (t) => ({
    displayName: t.string({ required: false, validate: z.string().trim().min(1).max(100) }),
    fullName: t.string({ required: false, validate: text(200) }),
    // http(s) only: the client renders it as an image source, and javascript:/data: URLs are not avatars.
    avatarUrl: t.string({
      required: false,
      validate: z
        .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
        .max(2000)
        .or(z.literal("")),
    }),
    jobTitle: t.string({ required: false, validate: text(200) }),
    department: t.string({ required: false, validate: text(200) }),
    organization: t.string({ required: false, validate: text(200) }),
    country: t.string({ required: false, validate: text(100) }),
    onboardingCompleted: t.boolean({ required: false }),
    preferences: t.field({ type: PreferencesInput, required: false }),
    notificationSettings: t.field({ type: NotificationSettingsInput, required: false }),
    instagram: t.string({ required: false, validate: handle }),
    linkedin: t.string({ required: false, validate: handle }),
    twitter: t.string({ required: false, validate: handle }),
    facebook: t.string({ required: false, validate: handle }),
    tiktok: t.string({ required: false, validate: handle }),
  }),
});

builder.queryField("me", (t) =>
  t.prismaField({
    type: "User",
    nullable: true,
    description: "The signed-in user, or null for anonymous requests.",
    authScopes: { public: true },
    resolve: (query, _root, _args, ctx) => {
      // Read first: a query left unread counts as a bug (onUnusedQuery), even when no row is wanted.
      const idOnly = onlyId(query);
      if (!isSignedIn(ctx.viewer)) return null;
      // The viewer was resolved with a role in effect, which findCredential only finds for a user
      // who exists and is not deleted: nothing to read when only the id is asked for.
      if (idOnly) return { id: ctx.viewer.userId } as never;
      // findFirst, not findUnique: Prisma batches findUniques sent in one tick, and keys each one
      // for that by walking its whole selection, sorted, level by level (everything `me` reaches).
      // One viewer's row per request has nothing to batch with.
      return ctx.prisma.user.findFirst({ ...query, where: { id: ctx.viewer.userId } });
    },
  }),
);

/** A select-mode query that asks for the id alone (the id the resolver already knows). */
function onlyId(query: { select?: Record<string, unknown> } | object): boolean {
  const select = (query as { select?: Record<string, unknown> }).select;
  return !!select && Object.keys(select).every((k) => k === "id");
}

builder.mutationField("updateProfile", (t) =>
  t.withAuth({ apiScope: "write:profile" }).prismaField({
    type: "User",
    args: { input: t.arg({ type: UpdateProfileInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      await ctx.services.profile.update(ctx.viewer.userId, input);
      return ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: ctx.viewer.userId } });
    },
  }),
);
