import { z } from "zod";
import { builder } from "../builder.ts";
import { watchRows } from "../live/queries.ts";
import { access } from "./access.ts";

/** The audit log is read by tenant admins only. */
builder.prismaNode("AuditLog", {
  id: { field: "id" },
  authScopes: access.AuditLog.type,
  fields: (t) => ({
    action: t.exposeString("action"),
    resource: t.exposeString("resource", { nullable: true }),
    resourceId: t.exposeString("resourceId", { nullable: true }),
    metadata: t.expose("metadata", { type: "JSON" }),
    ipAddress: t.exposeString("ipAddress", { nullable: true }),
    userAgent: t.exposeString("userAgent", { nullable: true }),
    actor: t.relation("user", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.queryField("auditLog", (t) =>
  t.withAuth(access.AuditLog.door).prismaConnection({
    type: "AuditLog",
    cursor: "id",
    args: { action: t.arg.string({ required: false, validate: z.string().max(100) }) },
    resolve: (query, _r, args, ctx) => {
      watchRows(ctx, "AuditLog", { tenantId: ctx.viewer.tenantId });
      return ctx.prisma.auditLog.findMany({
        ...query,
        where: { tenantId: ctx.viewer.tenantId, ...(args.action ? { action: args.action } : {}) },
        orderBy: { createdAt: "desc" },
      });
    },
  }),
);
