import { z } from "zod";
import { builder } from "../builder.ts";
import { badInput, unauthenticated } from "../errors.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { MAX_FOLDER_CHARS, MAX_NAME_CHARS } from "../services/files/names.ts";
import { previewable } from "../services/files/preview.ts";
import type * as stats from "../services/files/stats.ts";
import { isSignedIn } from "../viewer.ts";
import { access, TENANT_ADMIN } from "./access.ts";
import { WorkspaceRef } from "./workspaces.ts";

const TenantPlanEnum = builder.enumType("TenantPlan", {
  values: ["free", "standard", "professional", "unlimited"] as const,
});

export const FileRef = builder.prismaNode("File", {
  id: { field: "id" },
  authScopes: access.File.type,
  description: "An uploaded file; its owner's alone.",
  fields: (t) => ({
    name: t.exposeString("name", { description: "Display name, cleaned of control characters and path separators." }),
    folder: t.exposeString("folder"),
    size: t.float({ description: "Bytes.", resolve: (f) => Number(f.size) }),
    mimeType: t.exposeString("mimeType", { description: "Sniffed from the content at upload." }),
    checksum: t.exposeString("sha256", { description: "SHA-256 of the content, hex." }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    owner: t.relation("user"),
    workspace: t.relation("workspace", { nullable: true }),
    isAvatar: t.boolean({
      description: "This file is its owner's avatar (deleting it takes the avatar off the profile).",
      select: { avatarOf: { select: { userId: true } } },
      resolve: (f) => f.avatarOf !== null,
    }),
    downloadUrl: t.string({
      description: "A signed path (/files/…) that downloads the file until it expires; relative to the API's origin.",
      args: {
        expiresIn: t.arg.int({ required: false, description: "Seconds; default 300." }),
      },
      resolve: (f, args, ctx) => ctx.services.files.downloadPath(f.id, urlSeconds(args.expiresIn, ctx.config)),
    }),
    previewUrl: t.string({
      nullable: true,
      description:
        "A signed path that shows an image or PDF inline (in the app's own frames only) until it expires; null for other types.",
      args: {
        expiresIn: t.arg.int({ required: false, description: "Seconds; default 300." }),
      },
      resolve: (f, args, ctx) => {
        const seconds = urlSeconds(args.expiresIn, ctx.config);
        return previewable(f.mimeType) ? ctx.services.files.downloadPath(f.id, seconds, Date.now(), "inline") : null;
      },
    }),
  }),
});

function urlSeconds(
  asked: number | null | undefined,
  config: { FILE_URL_DEFAULT_SECONDS: number; FILE_URL_MAX_SECONDS: number },
) {
  const seconds = asked ?? config.FILE_URL_DEFAULT_SECONDS;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > config.FILE_URL_MAX_SECONDS)
    throw badInput("expiresIn", `expiresIn must be between 1 and ${config.FILE_URL_MAX_SECONDS} seconds`);
  return seconds;
}

const Bucket = builder.objectRef<stats.Bucket>("StorageBucket").implement({
  authScopes: { signedIn: true },
  fields: (t) => ({
    key: t.exposeString("key", { description: "The MIME type, or the workspace's id (empty: no workspace)." }),
    files: t.exposeInt("files"),
    bytes: t.exposeFloat("bytes"),
  }),
});

const StorageStats = builder.objectRef<stats.UserStats>("StorageStats").implement({
  authScopes: { signedIn: true },
  fields: (t) => ({
    files: t.exposeInt("files"),
    bytes: t.exposeFloat("bytes"),
    limitBytes: t.exposeFloat("limitBytes", { nullable: true, description: "Your plan's limit; null: unlimited." }),
    maxFileBytes: t.exposeFloat("maxFileBytes"),
    allowedTypes: t.exposeStringList("allowedTypes"),
    byType: t.field({ type: [Bucket], resolve: (s) => s.byType }),
    byWorkspace: t.field({ type: [Bucket], resolve: (s) => s.byWorkspace }),
  }),
});

const TenantStorageStats = builder.objectRef<stats.TenantStats>("TenantStorageStats").implement({
  authScopes: TENANT_ADMIN,
  fields: (t) => ({
    files: t.exposeInt("files"),
    bytes: t.exposeFloat("bytes"),
    users: t.exposeInt("users", { description: "Users holding at least one file." }),
    quotaBytes: t.exposeFloat("quotaBytes", { nullable: true, description: "The storage quota; null: none set." }),
    byType: t.field({ type: [Bucket], resolve: (s) => s.byType }),
  }),
});

const name = z
  .string()
  .min(1, "must not be empty")
  .max(MAX_NAME_CHARS * 4, `must be at most ${MAX_NAME_CHARS} characters`);
const folder = z.string().max(MAX_FOLDER_CHARS * 4, `must be at most ${MAX_FOLDER_CHARS} characters`);

builder.queryFields((t) => ({
  files: t.prismaConnection({
    type: "File",
    cursor: "id",
    authScopes: access.File.door,
    args: {
      workspaceId: t.arg.globalID({ required: false, for: WorkspaceRef }),
      folder: t.arg.string({ required: false, validate: folder }),
      mimeTypePrefix: t.arg.string({ required: false, validate: z.string().max(100), description: "e.g. image/" }),
      nameContains: t.arg.string({ required: false, validate: z.string().max(MAX_NAME_CHARS) }),
    },
    resolve: (query, _r, args, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      const where: Prisma.FileWhereInput = { userId: ctx.viewer.userId, tenantId: ctx.viewer.tenantId };
      if (args.workspaceId) where.workspaceId = args.workspaceId.id;
      if (args.folder !== null && args.folder !== undefined) where.folder = args.folder;
      if (args.mimeTypePrefix) where.mimeType = { startsWith: args.mimeTypePrefix };
      if (args.nameContains) where.name = { contains: args.nameContains, mode: "insensitive" };
      return ctx.prisma.file.findMany({ ...query, where, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
    },
  }),
  storageStats: t.field({
    type: StorageStats,
    authScopes: access.File.door,
    description: "My files: counts and bytes, by type and by workspace, against my plan's limit.",
    resolve: (_r, _a, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      return ctx.services.fileStats.user(ctx.viewer);
    },
  }),
  tenantStorageStats: t.field({
    type: TenantStorageStats,
    authScopes: TENANT_ADMIN,
    description: "The tenant's totals (admins): no file, name or owner is shown.",
    resolve: (_r, _a, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      return ctx.services.fileStats.tenant(ctx.viewer.tenantId);
    },
  }),
}));

builder.mutationFields((t) => ({
  uploadFile: t.prismaField({
    type: "File",
    authScopes: { apiScope: "write:files" },
    description: "Uploads one file (GraphQL multipart request); refused whole when over a limit.",
    args: {
      file: t.arg({ type: "Upload", required: true }),
      folder: t.arg.string({ required: false, validate: folder }),
      workspaceId: t.arg.globalID({ required: false, for: WorkspaceRef }),
    },
    resolve: async (query, _r, args, ctx) => {
      if (!isSignedIn(ctx.viewer)) {
        args.file.discard();
        throw unauthenticated();
      }
      const f = await ctx.services.files.upload(ctx.viewer, args.file, {
        folder: args.folder,
        workspaceId: args.workspaceId?.id ?? null,
      });
      return ctx.prisma.file.findUniqueOrThrow({ ...query, where: { id: f.id } });
    },
  }),
  renameFile: t.prismaField({
    type: "File",
    authScopes: { apiScope: "write:files" },
    args: {
      id: t.arg.globalID({ required: true, for: FileRef }),
      name: t.arg.string({ required: true, validate: name }),
    },
    resolve: async (query, _r, args, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      await ctx.services.files.rename(ctx.viewer, args.id.id, args.name);
      return ctx.prisma.file.findUniqueOrThrow({ ...query, where: { id: args.id.id } });
    },
  }),
  deleteFile: t.globalID({
    authScopes: { apiScope: "write:files" },
    args: { id: t.arg.globalID({ required: true, for: FileRef }) },
    resolve: async (_r, args, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      await ctx.services.files.delete(ctx.viewer, args.id.id);
      return { type: "File", id: args.id.id };
    },
  }),
  setStoragePolicy: t.withAuth(TENANT_ADMIN).boolean({
    description: "The tenant's plan (per-user storage tier), largest file and accepted MIME types (admins).",
    args: {
      plan: t.arg({ type: TenantPlanEnum, required: false }),
      fileMaxBytes: t.arg.float({
        required: false,
        validate: z
          .number()
          .int()
          .min(1)
          .max(2 ** 50),
      }),
      fileMimeTypes: t.arg.stringList({
        required: false,
        validate: z
          .array(z.string().regex(/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/, "must be MIME types like image/png"))
          .max(100),
      }),
    },
    resolve: async (_r, args, ctx) => {
      await ctx.services.files.setStoragePolicy(ctx.viewer, args);
      return true;
    },
  }),
}));
