// Workspaces: a user's work sessions (luminary's product sessions), their owner's alone
// (access.Workspace), with the files under them. The stale-workspace job lives in
// services/files/workspaces.ts.
import { z } from "zod";
import { builder } from "../builder.ts";
import { unauthenticated } from "../errors.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { MAX_NAME_CHARS } from "../services/files/names.ts";
import { isSignedIn } from "../viewer.ts";
import { access } from "./access.ts";

const WorkspaceStatusEnum = builder.enumType("WorkspaceStatus", {
  values: {
    active: { description: "Open for files." },
    completed: { description: "Marked done by its owner; never stale." },
    archived: { description: "Closed to new files (stale, or archived); restoreWorkspace opens it again." },
  } as const,
});
type Status = "active" | "completed" | "archived";

const statusOf = (w: { completedAt: Date | null; archivedAt: Date | null }): Status =>
  w.archivedAt ? "archived" : w.completedAt ? "completed" : "active";

const whereStatus: Record<Status, Prisma.WorkspaceWhereInput> = {
  active: { completedAt: null, archivedAt: null },
  completed: { completedAt: { not: null }, archivedAt: null },
  archived: { archivedAt: { not: null } },
};

export const WorkspaceRef = builder.prismaNode("Workspace", {
  id: { field: "id" },
  authScopes: access.Workspace.type,
  description: "A user's work session (a product session): files hang under it.",
  fields: (t) => ({
    name: t.exposeString("name"),
    status: t.field({ type: WorkspaceStatusEnum, resolve: statusOf }),
    completedAt: t.expose("completedAt", { type: "DateTime", nullable: true }),
    archivedAt: t.expose("archivedAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", {
      type: "DateTime",
      description: "Last activity (a file added, renamed, completed): idle since.",
    }),
    files: t.relatedConnection("files", {
      cursor: "id",
      query: () => ({ orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
    }),
  }),
});

const name = z
  .string()
  .min(1, "must not be empty")
  .max(MAX_NAME_CHARS * 4, `must be at most ${MAX_NAME_CHARS} characters`);

builder.queryFields((t) => ({
  workspaces: t.prismaConnection({
    type: "Workspace",
    cursor: "id",
    authScopes: access.Workspace.door,
    args: { status: t.arg({ type: WorkspaceStatusEnum, required: false }) },
    resolve: (query, _r, args, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      return ctx.prisma.workspace.findMany({
        ...query,
        where: {
          userId: ctx.viewer.userId,
          tenantId: ctx.viewer.tenantId,
          ...(args.status ? whereStatus[args.status] : {}),
        },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      });
    },
  }),
}));

builder.mutationFields((t) => ({
  createWorkspace: t.prismaField({
    type: "Workspace",
    authScopes: { apiScope: "write:files" },
    args: { name: t.arg.string({ required: true, validate: name }) },
    resolve: async (query, _r, args, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      const w = await ctx.services.workspaces.create(ctx.viewer, args.name);
      return ctx.prisma.workspace.findUniqueOrThrow({ ...query, where: { id: w.id } });
    },
  }),
  renameWorkspace: t.prismaField({
    type: "Workspace",
    authScopes: { apiScope: "write:files" },
    args: {
      id: t.arg.globalID({ required: true, for: WorkspaceRef }),
      name: t.arg.string({ required: true, validate: name }),
    },
    resolve: async (query, _r, args, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      await ctx.services.workspaces.rename(ctx.viewer, args.id.id, args.name);
      return ctx.prisma.workspace.findUniqueOrThrow({ ...query, where: { id: args.id.id } });
    },
  }),
  completeWorkspace: t.prismaField({
    type: "Workspace",
    authScopes: { apiScope: "write:files" },
    description: "Marks the work done; a completed workspace is never stale.",
    args: { id: t.arg.globalID({ required: true, for: WorkspaceRef }) },
    resolve: async (query, _r, args, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      await ctx.services.workspaces.complete(ctx.viewer, args.id.id);
      return ctx.prisma.workspace.findUniqueOrThrow({ ...query, where: { id: args.id.id } });
    },
  }),
  restoreWorkspace: t.prismaField({
    type: "Workspace",
    authScopes: { apiScope: "write:files" },
    description: "Opens an archived workspace to files again.",
    args: { id: t.arg.globalID({ required: true, for: WorkspaceRef }) },
    resolve: async (query, _r, args, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      await ctx.services.workspaces.restore(ctx.viewer, args.id.id);
      return ctx.prisma.workspace.findUniqueOrThrow({ ...query, where: { id: args.id.id } });
    },
  }),
  deleteWorkspace: t.globalID({
    authScopes: { apiScope: "write:files" },
    description: "Deletes the workspace with its files; their bytes leave storage.",
    args: { id: t.arg.globalID({ required: true, for: WorkspaceRef }) },
    resolve: async (_r, args, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      await ctx.services.workspaces.delete(ctx.viewer, args.id.id);
      return { type: "Workspace", id: args.id.id };
    },
  }),
}));
