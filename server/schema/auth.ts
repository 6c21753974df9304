import { z } from "zod";
import { builder } from "../builder.ts";
import { watchRows } from "../live/queries.ts";
import { passwordPolicy } from "../services/account/password-policy.ts";
import { API_SCOPES, type ApiScope } from "../viewer.ts";
import { access, SESSION_ONLY } from "./access.ts";
import { RoleAssignmentRef, RoleEnum, UserRef } from "./user.ts";

const email = z.string().trim().toLowerCase().email("must be an email address").max(254);
const password = passwordPolicy;

export const ApiScopeEnum = builder.enumType("ApiScope", {
  values: Object.fromEntries(API_SCOPES.map((s) => [s.replace(":", "_").toUpperCase(), { value: s }])) as Record<
    string,
    { value: ApiScope }
  >,
});

/** Sessions: the owner, and admins of the session's tenant (to revoke). */
export const SessionRef = builder.prismaNode("Session", {
  id: { field: "id" },
  authScopes: access.Session.type,
  fields: (t) => ({
    user: t.relation("user", { nullable: true, description: "Null when the user is hidden from the viewer." }),
    current: t.boolean({
      description: "Whether this is the session making the request.",
      resolve: (s, _a, ctx) => ctx.viewer.kind === "session" && ctx.viewer.sessionId === s.id,
    }),
    active: t.boolean({ resolve: (s) => !s.revokedAt && s.expiresAt > new Date() }),
    sessionStart: t.expose("sessionStart", { type: "DateTime" }),
    sessionEnd: t.expose("sessionEnd", { type: "DateTime", nullable: true }),
    lastSeenAt: t.expose("lastSeenAt", { type: "DateTime" }),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
    durationSeconds: t.exposeInt("durationSeconds", { nullable: true }),
    deviceType: t.exposeString("deviceType", { nullable: true }),
    browser: t.exposeString("browser", { nullable: true }),
    os: t.exposeString("os", { nullable: true }),
    ipAddress: t.exposeString("ipAddress", { nullable: true }),
    referrerUrl: t.exposeString("referrerUrl", { nullable: true }),
    utmSource: t.exposeString("utmSource", { nullable: true }),
    utmMedium: t.exposeString("utmMedium", { nullable: true }),
    utmCampaign: t.exposeString("utmCampaign", { nullable: true }),
  }),
});

/** API keys: the owner only; the secret is never readable after creation. */
export const ApiKeyRef = builder.prismaNode("ApiKey", {
  id: { field: "id" },
  authScopes: access.ApiKey.type,
  fields: (t) => ({
    name: t.exposeString("name"),
    prefix: t.exposeString("prefix", { description: "First characters of the secret, to recognise it." }),
    scopes: t.field({ type: [ApiScopeEnum], resolve: (k) => k.scopes as ApiScope[] }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", nullable: true }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

export const InviteRef = builder.prismaNode("Invite", {
  id: { field: "id" },
  authScopes: access.Invite.type,
  fields: (t) => ({
    email: t.exposeString("email", { nullable: true }),
    role: t.expose("role", { type: RoleEnum }),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
    acceptedAt: t.expose("acceptedAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

export const AuthPayload = builder.objectRef<{ token: string; userId: string }>("AuthPayload").implement({
  description: "A new session. Send the token as `Authorization: Bearer <token>`.",
  authScopes: { public: true },
  fields: (t) => ({
    token: t.exposeString("token"),
    user: t.prismaField({
      type: "User",
      resolve: (query, p, _a, ctx) => ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: p.userId } }),
    }),
  }),
});

type SignInResult = { token: string; userId: string } | { challenge: string; expiresAt: Date };

const MfaChallenge = builder.objectRef<{ challenge: string; expiresAt: Date }>("MfaChallenge").implement({
  description: "Sign-in needs a second factor: answer with completeSignIn(challengeToken, code).",
  authScopes: { public: true },
  fields: (t) => ({
    challengeToken: t.exposeString("challenge"),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
  }),
});

const SignInPayload = builder.objectRef<SignInResult>("SignInPayload").implement({
  description: "A new session (token and user), or, for a user with a second factor, a challenge instead.",
  authScopes: { public: true },
  fields: (t) => ({
    token: t.string({ nullable: true, resolve: (p) => ("token" in p ? p.token : null) }),
    // Not a prismaField: a challenge has no user yet, and a Prisma query left unused is an error
    // outside production. The row's other columns load as the selection needs them.
    user: t.field({
      type: UserRef,
      nullable: true,
      resolve: (p, _a, ctx) =>
        "userId" in p ? ctx.prisma.user.findUniqueOrThrow({ where: { id: p.userId }, select: { id: true } }) : null,
    }),
    mfaChallenge: t.field({ type: MfaChallenge, nullable: true, resolve: (p) => ("challenge" in p ? p : null) }),
  }),
});

const CreatedApiKey = builder.objectRef<{ secret: string; apiKeyId: string }>("CreatedApiKey").implement({
  description: "Returned once by createApiKey: the secret is not stored and cannot be shown again.",
  authScopes: SESSION_ONLY,
  fields: (t) => ({
    secret: t.exposeString("secret"),
    apiKey: t.prismaField({
      type: "ApiKey",
      resolve: (query, p, _a, ctx) => ctx.prisma.apiKey.findUniqueOrThrow({ ...query, where: { id: p.apiKeyId } }),
    }),
  }),
});

const CreatedInvite = builder.objectRef<{ token: string; inviteId: string }>("CreatedInvite").implement({
  description: "Returned once by createInvite: pass `token` to signUp as `inviteToken`.",
  authScopes: { tenantAdmin: true },
  fields: (t) => ({
    token: t.exposeString("token"),
    invite: t.prismaField({
      type: "Invite",
      resolve: (query, p, _a, ctx) => ctx.prisma.invite.findUniqueOrThrow({ ...query, where: { id: p.inviteId } }),
    }),
  }),
});

const Attribution = builder.inputType("AttributionInput", {
  description: "Where the visit came from, recorded on the session.",
  fields: (t) => ({
    referrerUrl: t.string({ required: false, validate: z.string().max(2000) }),
    utmSource: t.string({ required: false, validate: z.string().max(200) }),
    utmMedium: t.string({ required: false, validate: z.string().max(200) }),
    utmCampaign: t.string({ required: false, validate: z.string().max(200) }),
  }),
});

builder.mutationFields((t) => ({
  signUp: t.field({
    type: AuthPayload,
    authScopes: { public: true },
    description: "Creates an account. Without an invite the user gets a new tenant and is its admin.",
    args: {
      email: t.arg.string({ required: true, validate: email }),
      password: t.arg.string({ required: true, validate: password }),
      displayName: t.arg.string({ required: true, validate: z.string().trim().min(1).max(100) }),
      inviteToken: t.arg.string({ required: false, validate: z.string().max(200) }),
      tenantName: t.arg.string({ required: false, validate: z.string().trim().max(100) }),
      attribution: t.arg({ type: Attribution, required: false }),
    },
    resolve: async (_r, args, ctx) => {
      const { token, user } = await ctx.services.sessions.signUp(args, ctx.request, args.attribution ?? {});
      await ctx.services.account.sendVerification(user.id);
      ctx.viewer = await ctx.services.sessions.resolveViewer(token);
      return { token, userId: user.id };
    },
  }),
  signIn: t.field({
    type: SignInPayload,
    authScopes: { public: true },
    args: {
      email: t.arg.string({ required: true, validate: z.string().trim().max(254) }),
      password: t.arg.string({ required: true, validate: z.string().max(200) }),
      tenantSlug: t.arg.string({ required: false, validate: z.string().max(100) }),
      attribution: t.arg({ type: Attribution, required: false }),
    },
    resolve: async (_r, args, ctx): Promise<SignInResult> => {
      const result = await ctx.services.sessions.signIn(args, ctx.request, args.attribution ?? {});
      if ("challenge" in result) return result;
      ctx.viewer = await ctx.services.sessions.resolveViewer(result.token);
      return { token: result.token, userId: result.user.id };
    },
  }),
  signOut: t.boolean({
    authScopes: SESSION_ONLY,
    resolve: (_r, _a, ctx) => ctx.services.sessions.signOut(ctx.viewer, ctx.request),
  }),
  revokeSession: t.withAuth(SESSION_ONLY).prismaField({
    type: "Session",
    args: { id: t.arg.globalID({ required: true, for: SessionRef }) },
    resolve: async (query, _r, { id }, ctx) => {
      const s = await ctx.services.sessions.revokeSession(ctx.viewer, id.id, ctx.request);
      return ctx.prisma.session.findUniqueOrThrow({ ...query, where: { id: s.id } });
    },
  }),
  createApiKey: t.withAuth(SESSION_ONLY).field({
    type: CreatedApiKey,
    args: {
      name: t.arg.string({ required: true, validate: z.string().trim().min(1).max(100) }),
      scopes: t.arg({
        type: [ApiScopeEnum],
        required: true,
        validate: z.array(z.string()).min(1, "give at least one scope"),
      }),
      expiresAt: t.arg({
        type: "DateTime",
        required: false,
        validate: z.date().refine((d) => d > new Date(), "must be in the future"),
      }),
    },
    resolve: async (_r, args, ctx) => {
      const { apiKey, secret } = await ctx.services.keys.createApiKey(ctx.viewer, args, ctx.request);
      return { secret, apiKeyId: apiKey.id };
    },
  }),
  revokeApiKey: t.withAuth(SESSION_ONLY).prismaField({
    type: "ApiKey",
    args: { id: t.arg.globalID({ required: true, for: ApiKeyRef }) },
    resolve: async (query, _r, { id }, ctx) => {
      await ctx.services.keys.revokeApiKey(ctx.viewer, id.id, ctx.request);
      return ctx.prisma.apiKey.findUniqueOrThrow({ ...query, where: { id: id.id } });
    },
  }),
  createInvite: t.withAuth({ tenantAdmin: true }).field({
    type: CreatedInvite,
    args: {
      email: t.arg.string({ required: false, validate: email.or(z.literal("")) }),
      role: t.arg({ type: RoleEnum, required: false }),
      expiresInDays: t.arg.int({ required: false, validate: z.number().int().min(1).max(90) }),
    },
    resolve: async (_r, args, ctx) => {
      const { invite, token } = await ctx.services.membership.createInvite(
        ctx.viewer,
        { email: args.email, role: args.role ?? "member", expiresInDays: args.expiresInDays ?? 7 },
        ctx.request,
      );
      return { token, inviteId: invite.id };
    },
  }),
  revokeInvite: t.withAuth(access.Invite.door).globalID({
    description: "Withdraws an invite nobody has accepted yet; returns its ID.",
    args: { id: t.arg.globalID({ required: true, for: InviteRef }) },
    resolve: async (_r, { id }, ctx) => {
      await ctx.services.membership.revokeInvite(ctx.viewer, id.id, ctx.request);
      return { type: "Invite", id: id.id };
    },
  }),
  endRoleAssignment: t.withAuth({ tenantAdmin: true }).prismaField({
    type: "RoleAssignment",
    description: "Ends a role in my tenant now, or cancels a future one (admins; not one's own admin role).",
    args: { id: t.arg.globalID({ required: true, for: RoleAssignmentRef }) },
    resolve: async (query, _r, { id }, ctx) => {
      await ctx.services.membership.endRoleAssignment(ctx.viewer, id.id, ctx.request);
      return ctx.prisma.roleAssignment.findUniqueOrThrow({ ...query, where: { id: id.id } });
    },
  }),
  assignRole: t.withAuth({ tenantAdmin: true }).prismaField({
    type: "RoleAssignment",
    args: {
      userId: t.arg.globalID({ required: true, for: UserRef }),
      role: t.arg({ type: RoleEnum, required: true }),
      effectiveFrom: t.arg({ type: "Date", required: false }),
      effectiveTo: t.arg({ type: "Date", required: false }),
      isActing: t.arg.boolean({ required: false }),
    },
    resolve: async (query, _r, args, ctx) => {
      const ra = await ctx.services.membership.assignRole(ctx.viewer, { ...args, userId: args.userId.id }, ctx.request);
      return ctx.prisma.roleAssignment.findUniqueOrThrow({ ...query, where: { id: ra.id } });
    },
  }),
}));

builder.queryFields((t) => ({
  sessions: t.withAuth(access.Session.door).prismaConnection({
    type: "Session",
    cursor: "id",
    description: "My sessions; with `allInTenant` a tenant admin sees every session in the tenant.",
    // Asking for the tenant's sessions without being its admin is refused, not quietly narrowed to
    // mine: the client could not tell the two answers apart.
    authScopes: (_r, args) =>
      args.allInTenant ? { $all: { ...access.Session.door, tenantAdmin: true } } : access.Session.door,
    args: {
      activeOnly: t.arg.boolean({ required: false }),
      allInTenant: t.arg.boolean({ required: false }),
    },
    resolve: (query, _r, args, ctx) => {
      const scope = args.allInTenant ? { tenantId: ctx.viewer.tenantId } : { userId: ctx.viewer.userId };
      watchRows(ctx, "Session", scope);
      return ctx.prisma.session.findMany({
        ...query,
        where: { ...scope, ...(args.activeOnly ? { revokedAt: null, expiresAt: { gt: new Date() } } : {}) },
        orderBy: { sessionStart: "desc" },
      });
    },
  }),
  apiKeys: t.withAuth(access.ApiKey.door).prismaConnection({
    type: "ApiKey",
    cursor: "id",
    resolve: (query, _r, _a, ctx) => {
      watchRows(ctx, "ApiKey", { userId: ctx.viewer.userId });
      return ctx.prisma.apiKey.findMany({
        ...query,
        where: { userId: ctx.viewer.userId },
        orderBy: { createdAt: "desc" },
      });
    },
  }),
  invites: t.withAuth(access.Invite.door).prismaConnection({
    type: "Invite",
    cursor: "id",
    resolve: (query, _r, _a, ctx) => {
      watchRows(ctx, "Invite", { tenantId: ctx.viewer.tenantId });
      return ctx.prisma.invite.findMany({
        ...query,
        where: { tenantId: ctx.viewer.tenantId },
        orderBy: { createdAt: "desc" },
      });
    },
  }),
}));
