import { z } from "zod";
import { builder } from "../builder.ts";
import { watchRows } from "../live/queries.ts";
import {
  MAX_ATTACHMENTS,
  MAX_MESSAGE_CHARS,
  MAX_MESSAGE_COST,
  MAX_MESSAGE_TOKENS,
  MAX_MODEL_CHARS,
  MAX_TITLE_CHARS,
  MESSAGE_ROLES,
} from "../services/conversations.ts";
import { isSignedIn } from "../viewer.ts";
import { access } from "./access.ts";
import { UserAgentRef } from "./agent.ts";
import { IDEMPOTENCY_KEY } from "./agent-usage.ts";
import { FileRef } from "./files.ts";
import { MemoryHit } from "./memory.ts";
import { WorkspaceRef } from "./workspaces.ts";

const READ = { apiScope: "read:conversations" } as const;
const WRITE = { apiScope: "write:conversations" } as const;

export const MessageRoleEnum = builder.enumType("MessageRole", { values: MESSAGE_ROLES });

export const ConversationRef = builder.prismaNode("Conversation", {
  id: { field: "id" },
  authScopes: access.Conversation.type,
  description: "A user's conversation, with one of their agents or none; its owner's alone.",
  fields: (t) => ({
    title: t.exposeString("title", { description: "Empty until given or taken from the first message." }),
    messageCount: t.exposeInt("messageCount"),
    lastMessageAt: t.expose("lastMessageAt", { type: "DateTime", nullable: true }),
    archived: t.boolean({ resolve: (c) => c.archivedAt !== null }),
    archivedAt: t.expose("archivedAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    owner: t.relation("user"),
    userAgent: t.relation("userAgent", { nullable: true }),
    workspace: t.relation("workspace", { nullable: true }),
    messages: t.relatedConnection("messages", {
      cursor: "id",
      description: "Oldest first; `last` (with `before`) pages back from the newest.",
      query: (_args, ctx) => {
        // Only the owner gets here (the type's rule), so the owner's messages are the list watched.
        if (isSignedIn(ctx.viewer)) watchRows(ctx, "Message", { userId: ctx.viewer.userId });
        return { orderBy: [{ createdAt: "asc" }, { id: "asc" }] };
      },
    }),
  }),
});

export const MessageRef = builder.prismaNode("Message", {
  id: { field: "id" },
  authScopes: access.Message.type,
  fields: (t) => ({
    role: t.field({ type: MessageRoleEnum, resolve: (m) => m.role }),
    content: t.exposeString("content"),
    tokens: t.exposeInt("tokens"),
    cost: t.float({ description: "USD.", resolve: (m) => Number(m.cost) }),
    model: t.exposeString("model", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    conversation: t.relation("conversation"),
    attachments: t.field({
      type: [FileRef],
      description: "Files of the owner attached to the message, in the order given.",
      select: { attachments: { select: { file: true }, orderBy: { position: "asc" } } },
      resolve: (m) => m.attachments.map((a) => a.file),
    }),
  }),
});

const title = z.string().max(MAX_TITLE_CHARS, `must be at most ${MAX_TITLE_CHARS} characters`);

builder.queryFields((t) => ({
  conversations: t.withAuth(READ).prismaConnection({
    type: "Conversation",
    cursor: "id",
    description: "My conversations, most recently active first.",
    args: {
      archived: t.arg.boolean({ required: false, description: "true: archived only; false (default): not archived." }),
    },
    resolve: (query, _r, args, ctx) => {
      watchRows(ctx, "Conversation", { userId: ctx.viewer.userId });
      return ctx.prisma.conversation.findMany({
        ...query,
        where: {
          userId: ctx.viewer.userId,
          tenantId: ctx.viewer.tenantId,
          archivedAt: args.archived ? { not: null } : null,
        },
        orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
      });
    },
  }),
  conversation: t.prismaField({
    type: "Conversation",
    nullable: true,
    authScopes: READ,
    args: { id: t.arg.globalID({ required: true, for: ConversationRef }) },
    resolve: (query, _r, { id }, ctx) => ctx.prisma.conversation.findUnique({ ...query, where: { id: id.id } }),
  }),
  memoryContext: t.withAuth({ $all: { apiScope: "read:memories", $all: READ } }).field({
    type: [MemoryHit],
    description:
      "My memories most relevant to the conversation (to `query`, else its last user message), best first, for an agent's prompt; each counts as an access.",
    args: {
      conversationId: t.arg.globalID({ required: true, for: ConversationRef }),
      query: t.arg.string({ required: false, validate: z.string().max(2000, "must be at most 2000 characters") }),
      first: t.arg.int({ required: false, validate: z.number().int().min(1).max(50, "must be at most 50") }),
    },
    resolve: (_r, args, ctx) =>
      ctx.services.conversations.memoryContext(ctx.viewer, args.conversationId.id, args.query ?? null, args.first ?? 5),
  }),
}));

builder.mutationFields((t) => ({
  startConversation: t.withAuth(WRITE).prismaField({
    type: "Conversation",
    args: {
      title: t.arg.string({ required: false, validate: title }),
      userAgentId: t.arg.globalID({ required: false, for: UserAgentRef }),
      workspaceId: t.arg.globalID({ required: false, for: WorkspaceRef }),
    },
    resolve: async (query, _r, args, ctx) => {
      const c = await ctx.services.conversations.start(ctx.viewer, {
        title: args.title,
        userAgentId: args.userAgentId?.id,
        workspaceId: args.workspaceId?.id,
      });
      return ctx.prisma.conversation.findUniqueOrThrow({ ...query, where: { id: c.id } });
    },
  }),
  postMessage: t.withAuth(WRITE).prismaField({
    type: "Message",
    description:
      "Adds a message; with tokens, charges the tenant's tokens quota (QUOTA_EXCEEDED: nothing is written) and logs the usage. Pushed to conversationEvents.",
    args: {
      conversationId: t.arg.globalID({ required: true, for: ConversationRef }),
      role: t.arg({ type: MessageRoleEnum, required: false, description: "Default: user." }),
      content: t.arg.string({
        required: true,
        validate: z
          .string()
          .min(1, "must not be empty")
          .max(MAX_MESSAGE_CHARS, `must be at most ${MAX_MESSAGE_CHARS} characters`),
      }),
      tokens: t.arg.int({
        required: false,
        validate: z.number().int().min(0).max(MAX_MESSAGE_TOKENS, `must be at most ${MAX_MESSAGE_TOKENS}`),
      }),
      cost: t.arg.float({
        required: false,
        validate: z.number().min(0).max(MAX_MESSAGE_COST, `must be at most ${MAX_MESSAGE_COST}`),
      }),
      model: t.arg.string({
        required: false,
        validate: z.string().max(MAX_MODEL_CHARS, `must be at most ${MAX_MODEL_CHARS} characters`),
      }),
      attachmentIds: t.arg.globalIDList({
        required: false,
        for: FileRef,
        validate: z.array(z.unknown()).max(MAX_ATTACHMENTS, `at most ${MAX_ATTACHMENTS} attachments`),
      }),
      idempotencyKey: t.arg.string({
        required: false,
        description:
          "My unique key for this message (1-200 visible ASCII characters, e.g. a UUID): a retry with it returns the first message, written and counted once; the key with a different message is refused (CONFLICT).",
        validate: IDEMPOTENCY_KEY,
      }),
    },
    resolve: async (query, _r, args, ctx) => {
      const m = await ctx.services.conversations.post(ctx.viewer, {
        conversationId: args.conversationId.id,
        role: args.role ?? "user",
        content: args.content,
        tokens: args.tokens,
        cost: args.cost,
        model: args.model,
        attachmentIds: args.attachmentIds?.map((g) => g.id),
        idempotencyKey: args.idempotencyKey,
      });
      return ctx.prisma.message.findUniqueOrThrow({ ...query, where: { id: m.id } });
    },
  }),
  archiveConversation: t.withAuth(WRITE).prismaField({
    type: "Conversation",
    args: {
      id: t.arg.globalID({ required: true, for: ConversationRef }),
      archived: t.arg.boolean({ required: false, description: "false restores it; default true." }),
    },
    resolve: async (query, _r, args, ctx) => {
      await ctx.services.conversations.archive(ctx.viewer, args.id.id, args.archived ?? true);
      return ctx.prisma.conversation.findUniqueOrThrow({ ...query, where: { id: args.id.id } });
    },
  }),
  deleteConversation: t.withAuth(WRITE).globalID({
    description: "Deletes the conversation and its messages (attached files stay); its subscriptions complete.",
    args: { id: t.arg.globalID({ required: true, for: ConversationRef }) },
    resolve: async (_r, args, ctx) => {
      await ctx.services.conversations.delete(ctx.viewer, args.id.id);
      return { type: "Conversation", id: args.id.id };
    },
  }),
}));

builder.subscriptionFields((t) => ({
  conversationEvents: t.withAuth(READ).field({
    type: MessageRef,
    description:
      "Each new message of my conversation, from every client and API key, on every instance; completes when it is deleted.",
    args: { conversationId: t.arg.globalID({ required: true, for: ConversationRef }) },
    subscribe: (_r, args, ctx) => ctx.services.conversations.events(ctx.viewer, args.conversationId.id),
    resolve: (m) => m,
  }),
}));
