import { z } from "zod";
import { builder } from "../builder.ts";
import type { Memory } from "../generated/prisma/client.ts";
import { watchRows } from "../live/queries.ts";
import * as memories from "../services/memories.ts";
import { access } from "./access.ts";

export const MemoryTypeEnum = builder.enumType("MemoryType", {
  values: ["preference", "context", "fact", "instruction"] as const,
});

const importance = z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1");
const content = z.string().trim().min(1, "must not be empty").max(10_000, "must be at most 10000 characters");
const key = z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");
const value = z
  .record(z.string(), z.unknown())
  .refine((v) => JSON.stringify(v).length <= 50_000, "must be at most 50 KB of JSON");

/** Memories are private to their owner: no admin, member or API key without the scope reads them. */
export const MemoryRef = builder.prismaNode("Memory", {
  id: { field: "id" },
  authScopes: access.Memory.type,
  fields: (t) => ({
    memoryType: t.expose("memoryType", { type: MemoryTypeEnum }),
    memoryKey: t.exposeString("memoryKey"),
    content: t.exposeString("content"),
    value: t.expose("memoryValue", { type: "JSON" }),
    importanceScore: t.exposeFloat("importanceScore"),
    accessCount: t.exposeInt("accessCount"),
    lastAccessedAt: t.expose("lastAccessedAt", { type: "DateTime", nullable: true }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
    embeddingModel: t.exposeString("embeddingModel"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

export const MemoryHit = builder.objectRef<memories.SearchHit>("MemorySearchHit").implement({
  authScopes: (hit, ctx) => access.Memory.type(hit.memory, ctx),
  fields: (t) => ({
    score: t.exposeFloat("score", { description: "Cosine similarity to the query, -1..1." }),
    memory: t.field({ type: MemoryRef, resolve: (hit) => hit.memory as Memory }),
  }),
});

const MemoryInput = builder.inputType("MemoryInput", {
  fields: (t) => ({
    memoryType: t.field({ type: MemoryTypeEnum, required: false }),
    memoryKey: t.string({ required: false, validate: key }),
    content: t.string({ required: false, validate: content }),
    value: t.field({
      type: "JSON",
      required: false,
      description: "Extra JSON (source, confidence, tags, context).",
      validate: value,
    }),
    importanceScore: t.float({ required: false, validate: importance }),
    expiresAt: t.field({ type: "DateTime", required: false }),
  }),
});

builder.queryFields((t) => ({
  memories: t.withAuth({ apiScope: "read:memories" }).prismaConnection({
    type: "Memory",
    cursor: "id",
    args: {
      memoryType: t.arg({ type: MemoryTypeEnum, required: false }),
      minImportance: t.arg.float({ required: false, validate: importance }),
    },
    resolve: (query, _r, args, ctx) => {
      watchRows(ctx, "Memory", { userId: ctx.viewer.userId });
      return ctx.prisma.memory.findMany({
        ...query,
        where: {
          userId: ctx.viewer.userId,
          ...memories.notExpired(),
          ...(args.memoryType ? { memoryType: args.memoryType } : {}),
          ...(args.minImportance !== null && args.minImportance !== undefined
            ? { importanceScore: { gte: args.minImportance } }
            : {}),
        },
        orderBy: [{ importanceScore: "desc" }, { createdAt: "desc" }],
      });
    },
  }),
  searchMemories: t.withAuth({ apiScope: "read:memories" }).field({
    type: [MemoryHit],
    description: "My memories nearest in meaning to `query`, best first.",
    args: {
      query: t.arg.string({ required: true, validate: content }),
      first: t.arg.int({ required: false, validate: z.number().int().min(1).max(50, "must be at most 50") }),
      memoryType: t.arg({ type: MemoryTypeEnum, required: false }),
    },
    resolve: (_r, args, ctx) => {
      return ctx.services.memories.search(ctx.viewer, args.query, args.first ?? 5, args.memoryType);
    },
  }),
}));

builder.mutationFields((t) => ({
  createMemory: t.withAuth({ apiScope: "write:memories" }).prismaField({
    type: "Memory",
    args: { input: t.arg({ type: MemoryInput, required: true }) },
    resolve: async (query, _r, { input }, ctx) => {
      const m = await ctx.services.memories.create(ctx.viewer, input as memories.MemoryInput);
      return ctx.prisma.memory.findUniqueOrThrow({ ...query, where: { id: m.id } });
    },
  }),
  updateMemory: t.withAuth({ apiScope: "write:memories" }).prismaField({
    type: "Memory",
    args: {
      id: t.arg.globalID({ required: true, for: MemoryRef }),
      input: t.arg({ type: MemoryInput, required: true }),
    },
    resolve: async (query, _r, { id, input }, ctx) => {
      await ctx.services.memories.update(ctx.viewer, id.id, input as memories.MemoryInput);
      return ctx.prisma.memory.findUniqueOrThrow({ ...query, where: { id: id.id } });
    },
  }),
  deleteMemory: t.withAuth({ apiScope: "write:memories" }).globalID({
    args: { id: t.arg.globalID({ required: true, for: MemoryRef }) },
    resolve: async (_r, { id }, ctx) => {
      await ctx.services.memories.remove(ctx.viewer, id.id);
      return { type: "Memory", id: id.id };
    },
  }),
}));
