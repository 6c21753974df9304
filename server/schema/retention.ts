import { z } from "zod";
import { builder } from "../builder.ts";
import { watchRows } from "../live/queries.ts";
import { DEFAULT_RETENTION_DAYS, RETENTION_KINDS, type RemovedCount } from "../services/retention.ts";
import { access, TENANT_ADMIN } from "./access.ts";

const RetentionKindEnum = builder.enumType("RetentionKind", {
  description:
    "A kind of data a tenant keeps for a number of days: ended sessions, memories (since last used), " +
    "finished analyses with their results, imported content, usage detail (rolled into monthly totals), " +
    "audit entries, conversations idle that long (with their messages), and the access log (who read a member's data).",
  values: RETENTION_KINDS,
});

builder.prismaNode("RetentionPolicy", {
  id: { field: "id" },
  authScopes: access.RetentionPolicy.type,
  fields: (t) => ({
    kind: t.expose("kind", { type: RetentionKindEnum }),
    keepDays: t.exposeInt("keepDays", {
      nullable: true,
      description: "Days kept; null keeps forever. A member's shorter dataRetentionDays wins for their own rows.",
    }),
    defaultKeepDays: t.int({ nullable: true, resolve: (r) => DEFAULT_RETENTION_DAYS[r.kind] }),
    isDefault: t.boolean({ description: "No admin has changed it.", resolve: (r) => r.updatedById === null }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const RetentionCount = builder.objectRef<RemovedCount>("RetentionCount").implement({
  description: "Rows one retention pass removed from one table, for one reason.",
  // Reached only through a RetentionRun, which is its tenant's admins' alone.
  authScopes: TENANT_ADMIN,
  fields: (t) => ({
    table: t.exposeString("table"),
    reason: t.exposeString("reason", { description: "`expired`, `policy` or `pruned`." }),
    count: t.exposeInt("count"),
  }),
});

builder.prismaNode("RetentionRun", {
  id: { field: "id" },
  authScopes: access.RetentionRun.type,
  fields: (t) => ({
    trigger: t.exposeString("trigger", { description: "`schedule` or `manual`." }),
    asOf: t.expose("asOf", { type: "DateTime" }),
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
    removed: t.field({
      type: [RetentionCount],
      resolve: (r) => (Array.isArray(r.counts) ? (r.counts as unknown as RemovedCount[]) : []),
    }),
    totalRemoved: t.int({
      resolve: (r) =>
        (Array.isArray(r.counts) ? (r.counts as unknown as RemovedCount[]) : []).reduce((n, c) => n + c.count, 0),
    }),
  }),
});

builder.queryFields((t) => ({
  retentionPolicies: t.withAuth(access.RetentionPolicy.door).prismaField({
    type: ["RetentionPolicy"],
    description: "How long the tenant keeps each kind of data, one row per kind.",
    resolve: async (_query, _r, _a, ctx) => {
      watchRows(ctx, "RetentionPolicy", { tenantId: ctx.viewer.tenantId });
      return ctx.services.retention.list(ctx.viewer);
    },
  }),
  retentionRuns: t.withAuth(access.RetentionRun.door).prismaConnection({
    type: "RetentionRun",
    cursor: "id",
    description: "The tenant's retention passes, newest first.",
    resolve: (query, _r, _a, ctx) => {
      watchRows(ctx, "RetentionRun", { tenantId: ctx.viewer.tenantId });
      return ctx.prisma.retentionRun.findMany({
        ...query,
        where: { tenantId: ctx.viewer.tenantId },
        orderBy: [{ startedAt: "desc" }, { id: "desc" }],
      });
    },
  }),
}));

builder.mutationField("setRetentionPolicy", (t) =>
  t.withAuth(access.RetentionPolicy.door).prismaField({
    type: "RetentionPolicy",
    description: "Sets how many days the tenant keeps one kind of data (1 to 3650; null: forever). Audited.",
    args: {
      kind: t.arg({ type: RetentionKindEnum, required: true }),
      keepDays: t.arg.int({ required: false, validate: z.number().int().min(1).max(3650).nullish() }),
    },
    resolve: (_query, _r, args, ctx) => ctx.services.retention.set(ctx.viewer, args.kind, args.keepDays ?? null),
  }),
);
