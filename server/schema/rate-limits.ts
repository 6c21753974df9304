import { z } from "zod";
import { builder } from "../builder.ts";
import { unauthenticated } from "../errors.ts";
import { RATE_LIMIT_ACTIONS } from "../services/rate-limits.ts";
import { isSignedIn } from "../viewer.ts";
import { access } from "./access.ts";

const RateLimitTypeEnum = builder.enumType("RateLimitType", {
  values: ["requests_per_minute", "requests_per_hour", "requests_per_day", "concurrent_requests"] as const,
});
const RateLimitScopeEnum = builder.enumType("RateLimitScope", {
  description: "Whose requests one window counts: everyone's, the tenant's, one user's, one agent's or one API key's.",
  values: ["global", "tenant", "user", "agent", "api_key"] as const,
});

builder.prismaNode("RateLimitConfig", {
  id: { field: "id" },
  authScopes: access.RateLimitConfig.type,
  fields: (t) => ({
    action: t.exposeString("action", { description: `One of ${RATE_LIMIT_ACTIONS.join(", ")}.` }),
    limitType: t.expose("limitType", { type: RateLimitTypeEnum }),
    limitScope: t.expose("limitScope", { type: RateLimitScopeEnum }),
    limitValue: t.exposeInt("limitValue"),
    userId: t.globalID({ nullable: true, resolve: (r) => r.userId && { type: "User", id: r.userId } }),
    agentId: t.globalID({ nullable: true, resolve: (r) => r.agentId && { type: "Agent", id: r.agentId } }),
    apiKeyId: t.globalID({ nullable: true, resolve: (r) => r.apiKeyId && { type: "ApiKey", id: r.apiKeyId } }),
    isActive: t.exposeBoolean("isActive"),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

builder.prismaNode("RateLimitViolation", {
  id: { field: "id" },
  authScopes: access.RateLimitViolation.type,
  fields: (t) => ({
    action: t.exposeString("action"),
    limitType: t.expose("limitType", { type: RateLimitTypeEnum }),
    limitScope: t.expose("limitScope", { type: RateLimitScopeEnum }),
    limitValue: t.exposeInt("limitValue"),
    userId: t.globalID({ nullable: true, resolve: (r) => r.userId && { type: "User", id: r.userId } }),
    apiKeyId: t.globalID({ nullable: true, resolve: (r) => r.apiKeyId && { type: "ApiKey", id: r.apiKeyId } }),
    retryAfterSeconds: t.exposeInt("retryAfterSeconds"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.queryFields((t) => ({
  rateLimits: t.prismaConnection({
    type: "RateLimitConfig",
    cursor: "id",
    authScopes: access.RateLimitConfig.door,
    description: "The rate limits that bind the tenant: its own rows and global ones.",
    resolve: (query, _r, _a, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      return ctx.prisma.rateLimitConfig.findMany({
        ...query,
        where: { OR: [{ tenantId: ctx.viewer.tenantId }, { tenantId: null }] },
        orderBy: { createdAt: "asc" },
      });
    },
  }),
  rateLimitViolations: t.prismaConnection({
    type: "RateLimitViolation",
    cursor: "id",
    authScopes: access.RateLimitViolation.door,
    description: "Requests and analysis starts the tenant's rate limits refused, newest first.",
    resolve: (query, _r, _a, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      return ctx.prisma.rateLimitViolation.findMany({
        ...query,
        where: { tenantId: ctx.viewer.tenantId },
        orderBy: { createdAt: "desc" },
      });
    },
  }),
}));

builder.mutationFields((t) => ({
  setRateLimit: t.prismaField({
    type: "RateLimitConfig",
    authScopes: { tenantAdmin: true },
    description: "Creates a rate limit, or changes the one `id` names. Applies to other instances within 5 s.",
    args: {
      id: t.arg.globalID({ required: false }),
      action: t.arg.string({ required: true, validate: z.string().max(50) }),
      limitType: t.arg({ type: RateLimitTypeEnum, required: true }),
      limitScope: t.arg({ type: RateLimitScopeEnum, required: true }),
      limitValue: t.arg.int({ required: true, validate: z.number().int().min(1).max(1_000_000) }),
      userId: t.arg.globalID({ required: false }),
      agentId: t.arg.globalID({ required: false }),
      apiKeyId: t.arg.globalID({ required: false }),
      isActive: t.arg.boolean({ required: false }),
    },
    resolve: async (query, _r, args, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      const row = await ctx.services.rateLimits.set(ctx.viewer, {
        ...args,
        id: args.id?.id,
        userId: args.userId?.id,
        agentId: args.agentId?.id,
        apiKeyId: args.apiKeyId?.id,
      });
      return ctx.prisma.rateLimitConfig.findUniqueOrThrow({ ...query, where: { id: row.id } });
    },
  }),
  deleteRateLimit: t.prismaField({
    type: "RateLimitConfig",
    authScopes: { tenantAdmin: true },
    args: { id: t.arg.globalID({ required: true }) },
    resolve: async (_query, _r, args, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      return ctx.services.rateLimits.remove(ctx.viewer, args.id.id);
    },
  }),
}));
