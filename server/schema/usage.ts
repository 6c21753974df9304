import { z } from "zod";
import { builder } from "../builder.ts";
import { watchRows } from "../live/queries.ts";
import * as quotas from "../services/quota.ts";
import type * as usage from "../services/usage.ts";
import { access, USAGE_READER, usageOf } from "./access.ts";

export const QuotaTypeEnum = builder.enumType("QuotaType", {
  values: ["tokens", "api_calls", "storage_gb", "users"] as const,
});

export const QuotaPeriodEnum = builder.enumType("QuotaPeriod", {
  description: "How often a quota's usage starts again from zero (UTC days, ISO weeks, months, years).",
  values: quotas.QUOTA_PERIODS,
});

// The stored row keeps the period last charged; every figure is read as of now, so a period that
// has ended shows as the next one with usage zero even before anything is charged in it.
const current = (q: Parameters<typeof quotas.quotaAt>[0]) => quotas.quotaAt(q, new Date());

/** Quota status is read by every member of the tenant and written by its admins. */
builder.prismaNode("Quota", {
  id: { field: "id" },
  authScopes: access.Quota.type,
  fields: (t) => ({
    quotaType: t.expose("quotaType", { type: QuotaTypeEnum }),
    period: t.expose("period", { type: QuotaPeriodEnum, description: "The limit binds every period of this kind." }),
    quotaLimit: t.float({ resolve: (q) => Number(q.quotaLimit) }),
    currentUsage: t.float({
      description: "Usage in the period in course.",
      resolve: (q) => Number(current(q).currentUsage),
    }),
    periodStart: t.field({
      type: "Date",
      description: "First day of the period in course.",
      resolve: (q) => current(q).periodStart,
    }),
    periodEnd: t.field({
      type: "Date",
      description: "Last day of the period in course.",
      resolve: (q) => current(q).periodEnd,
    }),
    alertThresholdPercentage: t.exposeFloat("alertThresholdPercentage"),
    usagePercentage: t.float({ resolve: (q) => quotas.percentage(current(q)) }),
    alert: t.boolean({
      description: "Usage has reached the alert threshold.",
      resolve: (q) => quotas.percentage(current(q)) >= q.alertThresholdPercentage,
    }),
    isExceeded: t.boolean({ resolve: (q) => current(q).isExceeded }),
    resetsOn: t.field({
      type: "Date",
      nullable: true,
      description: "The day usage starts again from zero; null for levels (users, storage), which never reset.",
      resolve: (q) => (quotas.isLevel(q.quotaType) ? null : new Date(current(q).periodEnd.getTime() + 86_400_000)),
    }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

/** Usage and cost: the user's own rows, and every row of the tenant for its admins. */
builder.prismaNode("UsageLog", {
  id: { field: "id" },
  authScopes: access.UsageLog.type,
  fields: (t) => ({
    provider: t.exposeString("provider"),
    model: t.exposeString("model"),
    tokensUsed: t.exposeInt("tokensUsed"),
    cost: t.float({ resolve: (u) => Number(u.cost) }),
    user: t.relation("user", { nullable: true, description: "Null when the user is hidden from the viewer." }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const UsageBucket = builder.objectRef<usage.UsageBucket>("UsageBucket").implement({
  authScopes: USAGE_READER,
  fields: (t) => ({
    key: t.exposeString("key", {
      description: "The month (YYYY-MM), day (YYYY-MM-DD), model name, user agent id or user id.",
    }),
    label: t.exposeString("label", { description: "The agent's or user's name; else the key." }),
    requests: t.exposeInt("requests"),
    tokens: t.exposeFloat("tokens"),
    cost: t.exposeFloat("cost"),
  }),
});

const ApiCallDay = builder.objectRef<usage.DayCount>("ApiCallDay").implement({
  authScopes: USAGE_READER,
  fields: (t) => ({
    day: t.exposeString("day", { description: "YYYY-MM-DD (UTC)." }),
    calls: t.exposeInt("calls"),
  }),
});

const UsageReport = builder.objectRef<usage.UsageReport>("UsageReport").implement({
  authScopes: USAGE_READER,
  fields: (t) => ({
    totalTokens: t.exposeFloat("totalTokens"),
    totalCost: t.exposeFloat("totalCost"),
    byMonth: t.field({ type: [UsageBucket], resolve: (r) => r.byMonth }),
    byDay: t.field({ type: [UsageBucket], description: "The last `days` days with usage.", resolve: (r) => r.byDay }),
    byModel: t.field({ type: [UsageBucket], description: "Most expensive first.", resolve: (r) => r.byModel }),
    byAgent: t.field({
      type: [UsageBucket],
      description: "Per user agent, most tokens first; usage without an agent (analyses) has the key ''.",
      resolve: (r) => r.byAgent,
    }),
    byUser: t.field({ type: [UsageBucket], description: "Per user, most tokens first.", resolve: (r) => r.byUser }),
    apiCallsByDay: t.field({
      type: [ApiCallDay],
      description: "GraphQL operations made with API keys, per day (the api_calls meter, flushed in batches).",
      resolve: (r) => r.apiCallsByDay,
    }),
  }),
});

const wholeTenantRule = (_root: unknown, args: { wholeTenant?: boolean | null }) => usageOf(args.wholeTenant);

builder.queryFields((t) => ({
  quotas: t.withAuth(USAGE_READER).prismaConnection({
    type: "Quota",
    cursor: "id",
    description: "The tenant's standing limits, one per type, with usage in the period in course.",
    resolve: (query, _r, _args, ctx) => {
      watchRows(ctx, "Quota", { tenantId: ctx.viewer.tenantId });
      return ctx.prisma.quota.findMany({
        ...query,
        where: { tenantId: ctx.viewer.tenantId },
        orderBy: { quotaType: "asc" },
      });
    },
  }),
  usage: t.withAuth(USAGE_READER).field({
    // Narrower than the door when the whole tenant is asked for; it still implies the door.
    authScopes: wholeTenantRule,
    type: UsageReport,
    description:
      "My usage by month, day, model, agent and user, and my API calls by day; tenant admins may ask for the whole tenant.",
    args: {
      months: t.arg.int({ required: false, validate: z.number().int().min(1).max(36) }),
      days: t.arg.int({ required: false, validate: z.number().int().min(1).max(366) }),
      wholeTenant: t.arg.boolean({ required: false }),
    },
    resolve: (_r, args, ctx) => {
      const scope = args.wholeTenant ? { tenantId: ctx.viewer.tenantId } : { userId: ctx.viewer.userId };
      watchRows(ctx, "UsageLog", scope);
      return ctx.services.usage.report(scope, args.months ?? 12, { days: args.days ?? 30 });
    },
  }),
  usageLogs: t.withAuth(USAGE_READER).prismaConnection({
    authScopes: wholeTenantRule,
    type: "UsageLog",
    cursor: "id",
    args: { wholeTenant: t.arg.boolean({ required: false }) },
    resolve: (query, _r, args, ctx) => {
      const scope = args.wholeTenant ? { tenantId: ctx.viewer.tenantId } : { userId: ctx.viewer.userId };
      watchRows(ctx, "UsageLog", scope);
      return ctx.prisma.usageLog.findMany({ ...query, where: scope, orderBy: { createdAt: "desc" } });
    },
  }),
}));

builder.mutationField("setQuota", (t) =>
  t.withAuth({ tenantAdmin: true }).prismaField({
    type: "Quota",
    description:
      "Sets the tenant's standing limit of a type; it binds every period of its kind (a month unless given, else the kind it had).",
    args: {
      quotaType: t.arg({ type: QuotaTypeEnum, required: true }),
      quotaLimit: t.arg.float({
        required: true,
        validate: z.number().int("must be a whole number").min(0).max(Number.MAX_SAFE_INTEGER),
      }),
      alertThresholdPercentage: t.arg.float({ required: false, validate: z.number().min(0).max(100) }),
      period: t.arg({ type: QuotaPeriodEnum, required: false }),
    },
    resolve: async (query, _r, args, ctx) => {
      const q = await ctx.services.quotas.setQuota(ctx.viewer, args);
      return ctx.prisma.quota.findUniqueOrThrow({ ...query, where: { id: q.id } });
    },
  }),
);
