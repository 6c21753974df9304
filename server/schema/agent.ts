import { z } from "zod";
import { builder } from "../builder.ts";
import { watchRows } from "../live/queries.ts";
import { access } from "./access.ts";
import { text as str } from "./inputs.ts";
import { agentSummary, RatingSummary } from "./rating.ts";
import { UserRef } from "./user.ts";

const temperature = z.number().min(0, "must be between 0 and 2").max(2, "must be between 0 and 2");
const color = z.string().regex(/^#[0-9a-fA-F]{6}$/, "must be a colour like #1a2b3c");

/** Catalogue: read by the tenant's members; the system prompt only by its admins. */
export const AgentRef = builder.prismaNode("Agent", {
  id: { field: "id" },
  // Select mode: only the columns a query asks for, plus what the rule and ratingSummary read.
  select: { id: true, tenantId: true },
  authScopes: access.Agent.type,
  fields: (t) => ({
    name: t.exposeString("name"),
    description: t.exposeString("description", { nullable: true }),
    avatar: t.exposeString("avatar", { nullable: true }),
    color: t.exposeString("color", { nullable: true }),
    category: t.exposeString("category", { nullable: true }),
    model: t.exposeString("model"),
    temperature: t.exposeFloat("temperature"),
    maxTokens: t.exposeInt("maxTokens"),
    isActive: t.exposeBoolean("isActive"),
    systemPrompt: t.exposeString("systemPrompt", { nullable: true, authScopes: { tenantAdmin: true } }),
    ratingSummary: t.field({
      type: RatingSummary,
      description: "Average, count and distribution of the tenant's ratings of this agent.",
      authScopes: { apiScope: "read:ratings" },
      resolve: (a, _args, ctx) => {
        watchRows(ctx, "Rating", { tenantId: a.tenantId });
        return agentSummary(ctx, a.tenantId, a.id);
      },
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

/**
 * A user's copy of an agent. The owner sees everything; members it is shared with see the
 * presentation fields only (name, description, look, agent, tags).
 */
export const UserAgentRef = builder.prismaNode("UserAgent", {
  id: { field: "id" },
  // Select mode: a row has ~55 columns (seven JSON, decimals, a bigint) and a list of copies
  // usually shows a few; the rule's columns are always read (access.UserAgent, owner-only fields).
  select: { id: true, userId: true, tenantId: true, isShared: true, sharedWith: true },
  authScopes: access.UserAgent.type,
  fields: (t) => {
    const own = (ua: { userId: string }) => ({ self: ua.userId });
    const ownStr = (
      f: "customSystemPrompt" | "notes" | "quickNotes" | "folder" | "displayPosition" | "status" | "source",
    ) => t.exposeString(f, { nullable: true, authScopes: own });
    const ownInt = (
      f: "usageCount" | "messageCount" | "conversationCount" | "successCount" | "errorCount" | "sortOrder",
    ) => t.exposeInt(f, { nullable: true, authScopes: own });
    const ownBool = (
      f: "isFavorite" | "isPinned" | "isActive" | "isEnabled" | "isVisible" | "notificationsEnabled" | "isUserCopy",
    ) => t.exposeBoolean(f, { nullable: true, authScopes: own });
    const ownJson = (
      f:
        | "settings"
        | "preferences"
        | "uiConfig"
        | "notificationSettings"
        | "metadata"
        | "sourceDetails"
        | "shareSettings",
    ) => t.expose(f, { type: "JSON", nullable: true, authScopes: own });
    const ownTime = (f: "addedAt" | "firstUsedAt" | "lastUsedAt" | "archivedAt" | "lastRatingAt") =>
      t.expose(f, { type: "DateTime", nullable: true, authScopes: own });
    return {
      agent: t.relation("agent"),
      owner: t.relation("user", { nullable: true, description: "Null when the owner is hidden from the viewer." }),
      name: t.string({
        description: "The custom name, else the agent's name.",
        select: { customName: true, agent: { select: { name: true } } },
        resolve: (ua) => ua.customName ?? ua.agent.name,
      }),
      customName: t.exposeString("customName", { nullable: true }),
      customDescription: t.exposeString("customDescription", { nullable: true }),
      customAvatar: t.exposeString("customAvatar", { nullable: true }),
      customColor: t.exposeString("customColor", { nullable: true }),
      tags: t.exposeStringList("tags"),
      isShared: t.exposeBoolean("isShared"),
      customSystemPrompt: ownStr("customSystemPrompt"),
      customTemperature: t.exposeFloat("customTemperature", { nullable: true, authScopes: own }),
      customMaxTokens: t.exposeInt("customMaxTokens", { nullable: true, authScopes: own }),
      isFavorite: ownBool("isFavorite"),
      isPinned: ownBool("isPinned"),
      folder: ownStr("folder"),
      sortOrder: ownInt("sortOrder"),
      displayPosition: ownStr("displayPosition"),
      usageCount: ownInt("usageCount"),
      messageCount: ownInt("messageCount"),
      conversationCount: ownInt("conversationCount"),
      successCount: ownInt("successCount"),
      errorCount: ownInt("errorCount"),
      userRating: t.float({
        nullable: true,
        authScopes: own,
        select: { userRating: true },
        resolve: (ua) => (ua.userRating === null ? null : Number(ua.userRating)),
      }),
      qualityScore: t.float({
        nullable: true,
        authScopes: own,
        select: { qualityScore: true },
        resolve: (ua) => (ua.qualityScore === null ? null : Number(ua.qualityScore)),
      }),
      avgResponseTimeMs: t.exposeInt("avgResponseTimeMs", { nullable: true, authScopes: own }),
      totalTokensUsed: t.float({
        nullable: true,
        authScopes: own,
        select: { totalTokensUsed: true },
        resolve: (ua) => Number(ua.totalTokensUsed),
      }),
      totalCostUsd: t.float({
        nullable: true,
        authScopes: own,
        select: { totalCostUsd: true },
        resolve: (ua) => Number(ua.totalCostUsd),
      }),
      addedAt: ownTime("addedAt"),
      firstUsedAt: ownTime("firstUsedAt"),
      lastUsedAt: ownTime("lastUsedAt"),
      archivedAt: ownTime("archivedAt"),
      lastRatingAt: ownTime("lastRatingAt"),
      isActive: ownBool("isActive"),
      isEnabled: ownBool("isEnabled"),
      isVisible: ownBool("isVisible"),
      isUserCopy: ownBool("isUserCopy"),
      status: ownStr("status"),
      settings: ownJson("settings"),
      preferences: ownJson("preferences"),
      uiConfig: ownJson("uiConfig"),
      notificationSettings: ownJson("notificationSettings"),
      metadata: ownJson("metadata"),
      sourceDetails: ownJson("sourceDetails"),
      shareSettings: ownJson("shareSettings"),
      notificationsEnabled: ownBool("notificationsEnabled"),
      notes: ownStr("notes"),
      quickNotes: ownStr("quickNotes"),
      source: ownStr("source"),
      sharedWith: t.globalIDList({
        nullable: true,
        authScopes: own,
        description: "Global IDs of the users this copy is shared with.",
        resolve: (ua) => ua.sharedWith.map((id) => ({ type: "User", id })),
      }),
      createdAt: t.expose("createdAt", { type: "DateTime" }),
      updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    };
  },
});

const AgentInput = builder.inputType("AgentInput", {
  fields: (t) => ({
    name: t.string({ required: false, validate: z.string().trim().min(1, "must not be empty").max(100) }),
    description: t.string({ required: false, validate: str(2000) }),
    avatar: t.string({ required: false, validate: str(2000) }),
    color: t.string({ required: false, validate: color }),
    category: t.string({ required: false, validate: str(100) }),
    systemPrompt: t.string({ required: false, validate: str(20_000) }),
    model: t.string({ required: false, validate: str(100).pipe(z.string().min(1)) }),
    temperature: t.float({ required: false, validate: temperature }),
    maxTokens: t.int({ required: false, validate: z.number().int().min(1).max(200_000) }),
    isActive: t.boolean({ required: false }),
  }),
});

const UserAgentInput = builder.inputType("UserAgentInput", {
  description: "Every customisation, organisation and state field of the seed's user_agents.",
  fields: (t) => ({
    customName: t.string({ required: false, validate: str(100) }),
    customDescription: t.string({ required: false, validate: str(2000) }),
    customAvatar: t.string({ required: false, validate: str(2000) }),
    customColor: t.string({ required: false, validate: color.or(z.literal("")) }),
    customSystemPrompt: t.string({ required: false, validate: str(20_000) }),
    customTemperature: t.float({ required: false, validate: temperature }),
    customMaxTokens: t.int({ required: false, validate: z.number().int().min(1).max(200_000) }),
    isFavorite: t.boolean({ required: false }),
    isPinned: t.boolean({ required: false }),
    folder: t.string({ required: false, validate: str(100) }),
    tags: t.stringList({
      required: false,
      validate: z.array(z.string().trim().min(1).max(50)).max(20, "at most 20 tags"),
    }),
    sortOrder: t.int({ required: false, validate: z.number().int().min(-1_000_000).max(1_000_000) }),
    displayPosition: t.string({ required: false, validate: str(50) }),
    isActive: t.boolean({ required: false }),
    isEnabled: t.boolean({ required: false }),
    isVisible: t.boolean({ required: false }),
    archived: t.boolean({ required: false }),
    status: t.string({ required: false, validate: z.enum(["active", "paused", "archived"]) }),
    notificationsEnabled: t.boolean({ required: false }),
    notes: t.string({ required: false, validate: str(10_000) }),
    quickNotes: t.string({ required: false, validate: str(2_000) }),
    settings: t.field({ type: "JSON", required: false, validate: z.record(z.string(), z.unknown()) }),
    preferences: t.field({ type: "JSON", required: false, validate: z.record(z.string(), z.unknown()) }),
    uiConfig: t.field({ type: "JSON", required: false, validate: z.record(z.string(), z.unknown()) }),
    notificationSettings: t.field({ type: "JSON", required: false, validate: z.record(z.string(), z.boolean()) }),
    metadata: t.field({ type: "JSON", required: false, validate: z.record(z.string(), z.unknown()) }),
  }),
});

builder.queryFields((t) => ({
  agents: t.withAuth({ apiScope: "read:agents" }).prismaConnection({
    type: "Agent",
    cursor: "id",
    description: "The agent catalogue of my tenant.",
    args: {
      search: t.arg.string({ required: false, validate: str(100) }),
      includeInactive: t.arg.boolean({ required: false }),
    },
    resolve: (query, _r, args, ctx) => {
      watchRows(ctx, "Agent", { tenantId: ctx.viewer.tenantId });
      return ctx.prisma.agent.findMany({
        ...query,
        where: {
          tenantId: ctx.viewer.tenantId,
          deletedAt: null,
          ...(args.includeInactive ? {} : { isActive: true }),
          ...(args.search ? { name: { contains: args.search, mode: "insensitive" } } : {}),
        },
        orderBy: { name: "asc" },
      });
    },
  }),
  myAgents: t.withAuth({ apiScope: "read:agents" }).prismaConnection({
    type: "UserAgent",
    cursor: "id",
    description: "My agents: pinned first, then by sort order.",
    args: {
      folder: t.arg.string({ required: false, validate: str(100) }),
      tag: t.arg.string({ required: false, validate: str(50) }),
      favoritesOnly: t.arg.boolean({ required: false }),
      includeArchived: t.arg.boolean({ required: false }),
    },
    resolve: (query, _r, args, ctx) => {
      watchRows(ctx, "UserAgent", { userId: ctx.viewer.userId });
      return ctx.prisma.userAgent.findMany({
        ...query,
        where: {
          userId: ctx.viewer.userId,
          deletedAt: null,
          ...(args.includeArchived ? {} : { archivedAt: null }),
          ...(args.folder ? { folder: args.folder } : {}),
          ...(args.tag ? { tags: { has: args.tag } } : {}),
          ...(args.favoritesOnly ? { isFavorite: true } : {}),
        },
        orderBy: [{ isPinned: "desc" }, { sortOrder: "asc" }, { addedAt: "desc" }],
      });
    },
  }),
  sharedAgents: t.withAuth({ apiScope: "read:agents" }).prismaConnection({
    type: "UserAgent",
    cursor: "id",
    description: "Agent copies other members of my tenant shared with me.",
    resolve: (query, _r, _a, ctx) => {
      watchRows(ctx, "UserAgent", { tenantId: ctx.viewer.tenantId });
      return ctx.prisma.userAgent.findMany({
        ...query,
        where: {
          tenantId: ctx.viewer.tenantId,
          isShared: true,
          sharedWith: { has: ctx.viewer.userId },
          deletedAt: null,
        },
        orderBy: { updatedAt: "desc" },
      });
    },
  }),
}));

builder.mutationFields((t) => ({
  createAgent: t.withAuth({ $all: { tenantAdmin: true, apiScope: "write:agents" } }).prismaField({
    type: "Agent",
    args: { input: t.arg({ type: AgentInput, required: true }) },
    resolve: async (query, _r, { input }, ctx) => {
      const a = await ctx.services.agents.createAgent(ctx.viewer, input);
      return ctx.prisma.agent.findUniqueOrThrow({ ...query, where: { id: a.id } });
    },
  }),
  updateAgent: t.withAuth({ $all: { tenantAdmin: true, apiScope: "write:agents" } }).prismaField({
    type: "Agent",
    args: { id: t.arg.globalID({ required: true, for: AgentRef }), input: t.arg({ type: AgentInput, required: true }) },
    resolve: async (query, _r, { id, input }, ctx) => {
      await ctx.services.agents.updateAgent(ctx.viewer, id.id, input);
      return ctx.prisma.agent.findUniqueOrThrow({ ...query, where: { id: id.id } });
    },
  }),
  addAgent: t.withAuth({ apiScope: "write:agents" }).prismaField({
    type: "UserAgent",
    description: "Adds a catalogue agent to my agents (or returns the existing copy).",
    args: {
      agentId: t.arg.globalID({ required: true, for: AgentRef }),
      input: t.arg({ type: UserAgentInput, required: false }),
      source: t.arg.string({ required: false, validate: str(50) }),
    },
    resolve: async (query, _r, args, ctx) => {
      const ua = await ctx.services.agents.addAgent(ctx.viewer, args.agentId.id, args.input ?? {}, args.source);
      return ctx.prisma.userAgent.findUniqueOrThrow({ ...query, where: { id: ua.id } });
    },
  }),
  updateUserAgent: t.withAuth({ apiScope: "write:agents" }).prismaField({
    type: "UserAgent",
    args: {
      id: t.arg.globalID({ required: true, for: UserAgentRef }),
      input: t.arg({ type: UserAgentInput, required: true }),
    },
    resolve: async (query, _r, { id, input }, ctx) => {
      await ctx.services.agents.updateUserAgent(ctx.viewer, id.id, input);
      return ctx.prisma.userAgent.findUniqueOrThrow({ ...query, where: { id: id.id } });
    },
  }),
  removeUserAgent: t.withAuth({ apiScope: "write:agents" }).globalID({
    description: "Removes one of my agents; returns its ID.",
    args: { id: t.arg.globalID({ required: true, for: UserAgentRef }) },
    resolve: async (_r, { id }, ctx) => {
      await ctx.services.agents.removeUserAgent(ctx.viewer, id.id);
      return { type: "UserAgent", id: id.id };
    },
  }),
  shareUserAgent: t.withAuth({ apiScope: "write:agents" }).prismaField({
    type: "UserAgent",
    description: "Shares my agent with members of my tenant (an empty list stops sharing).",
    args: {
      id: t.arg.globalID({ required: true, for: UserAgentRef }),
      userIds: t.arg.globalIDList({ required: true, for: UserRef, validate: z.array(z.unknown()).max(100) }),
    },
    resolve: async (query, _r, { id, userIds }, ctx) => {
      await ctx.services.agents.shareUserAgent(
        ctx.viewer,
        id.id,
        userIds.map((u) => u.id),
      );
      return ctx.prisma.userAgent.findUniqueOrThrow({ ...query, where: { id: id.id } });
    },
  }),
}));
