// Conversations with agents (issue 12, the luminary and vital flows). A message is accounted as the
// vital seed's usage flow in the same transaction that stores it: the tenant's tokens quota first
// (over it, nothing is written), then the message, the conversation's and the user agent's
// counters, and a UsageLog row when tokens are reported. Only after commit do live queries hear of
// it (transact) and subscribers of the conversation receive it (`conversation:events`).
import { createHash } from "node:crypto";
import { AppError, badInput, isPrismaError, notFound } from "../errors.ts";
import type { Conversation, Message, PrismaClient } from "../generated/prisma/client.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { isUuid } from "../ids.ts";
import { announce, changeOf, transact } from "../live/changes.ts";
import { oncePerObject } from "../live/once-per-object.ts";
import type { ConversationEvent, PubSub } from "../pubsub.ts";
import type { SignedInViewer } from "../viewer.ts";
import { AGENT_PROVIDER } from "./agent-usage.ts";
import type { Embedder } from "./embeddings.ts";
import { type SearchHit, searchMemories } from "./memories.ts";
import type { MemoryAccessCounter } from "./memory-access.ts";
import type { MemoryIndex } from "./memory-index.ts";
import { consumeQuota } from "./quota.ts";

export const MAX_TITLE_CHARS = 200;
/** A message is text for a model's context, not a document store: files go in as attachments. */
export const MAX_MESSAGE_CHARS = 32_000;
export const MAX_ATTACHMENTS = 10;
export const MAX_MODEL_CHARS = 200;
export const MAX_MESSAGE_TOKENS = 10_000_000;
export const MAX_MESSAGE_COST = 100_000;
/** A title made from the first message when none was given. */
const AUTO_TITLE_CHARS = 80;

export const MESSAGE_ROLES = ["user", "assistant", "system", "tool"] as const;
export type MessageRoleName = (typeof MESSAGE_ROLES)[number];

export interface StartInput {
  title?: string | null;
  userAgentId?: string | null;
  workspaceId?: string | null;
}

export interface PostInput {
  conversationId: string;
  role: MessageRoleName;
  content: string;
  tokens?: number | null;
  cost?: number | null;
  model?: string | null;
  attachmentIds?: readonly string[] | null;
  /** The poster's key: a retry with it returns the first message instead of writing another. */
  idempotencyKey?: string | null;
}

type MessageEvent = Extract<ConversationEvent, { kind: "message" }>["message"];

/** The row a subscriber's event carries, back in the shape Prisma returns. */
export function reviveMessage(m: MessageEvent): Message {
  return {
    ...m,
    role: m.role as MessageRoleName,
    cost: new Prisma.Decimal(m.cost),
    createdAt: new Date(m.createdAt),
    // The poster's key stays with the poster; subscribers never read it.
    idempotencyKey: null,
    requestHash: null,
  };
}

const toEvent = (m: Message): MessageEvent => ({
  id: m.id,
  conversationId: m.conversationId,
  userId: m.userId,
  tenantId: m.tenantId,
  role: m.role,
  content: m.content,
  tokens: m.tokens,
  cost: m.cost.toString(),
  model: m.model,
  createdAt: m.createdAt.toISOString(),
});

function cleanTitle(title: string): string {
  // One line, no control or format characters: titles are shown in lists and page titles.
  const cleaned = title
    .normalize("NFC")
    .replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}]/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  return Array.from(cleaned).slice(0, MAX_TITLE_CHARS).join("").trim();
}

/**
 * One revived row per published event for all its subscribers: the subscription's result is then
 * executed once for all who see it alike (live/shared-results.ts).
 */
const revivedOnce = oncePerObject(reviveMessage);

/**
 * The messages of one conversation's events, ending at its deletion. A class rather than an async
 * generator: a generator waiting for the next event cannot be returned until one comes, so a
 * client that leaves an idle conversation would hold its listener until then.
 */
class MessageStream implements AsyncIterableIterator<Message> {
  constructor(
    private readonly source: AsyncIterator<ConversationEvent>,
    private pending: Promise<IteratorResult<ConversationEvent>> | null,
  ) {}

  [Symbol.asyncIterator]() {
    return this;
  }

  async next(): Promise<IteratorResult<Message>> {
    const step = this.pending ?? this.source.next();
    this.pending = null;
    const r = await step;
    if (r.done || r.value.kind === "deleted") return this.return();
    return { done: false, value: revivedOnce(r.value.message) };
  }

  async return(): Promise<IteratorResult<Message>> {
    await this.source.return?.();
    return { done: true, value: undefined };
  }
}

export interface ConversationDeps {
  prisma: PrismaClient;
  pubsub: PubSub;
  embedder: Embedder;
  memoryIndex: MemoryIndex;
  memoryAccess: MemoryAccessCounter;
}

export function createConversationService({ prisma, pubsub, embedder, memoryIndex, memoryAccess }: ConversationDeps) {
  /** The viewer's conversation, or NOT_FOUND: another's is not confirmed to exist. */
  const own = async (viewer: SignedInViewer, id: string): Promise<Conversation> => {
    const c = isUuid(id)
      ? await prisma.conversation.findFirst({ where: { id, userId: viewer.userId, tenantId: viewer.tenantId } })
      : null;
    if (!c) throw notFound("Conversation");
    return c;
  };

  return {
    own,

    async start(viewer: SignedInViewer, input: StartInput): Promise<Conversation> {
      const title = input.title ? cleanTitle(input.title) : "";
      if (input.userAgentId) {
        const ua = await prisma.userAgent.findFirst({
          where: { id: input.userAgentId, userId: viewer.userId, tenantId: viewer.tenantId, deletedAt: null },
          select: { id: true },
        });
        if (!ua) throw notFound("UserAgent");
      }
      if (input.workspaceId) {
        const ws = await prisma.workspace.findFirst({
          where: { id: input.workspaceId, userId: viewer.userId, tenantId: viewer.tenantId },
          select: { id: true },
        });
        if (!ws) throw notFound("Workspace");
      }
      return prisma.conversation
        .create({
          data: {
            userId: viewer.userId,
            tenantId: viewer.tenantId,
            userAgentId: input.userAgentId ?? null,
            workspaceId: input.workspaceId ?? null,
            title,
          },
        })
        .then(announce(prisma, "Conversation", "create"));
    },

    async post(viewer: SignedInViewer, input: PostInput, now: Date = new Date()): Promise<Message> {
      const tokens = input.tokens ?? 0;
      const cost = input.cost ?? 0;
      if (!Number.isInteger(tokens) || tokens < 0 || tokens > MAX_MESSAGE_TOKENS)
        throw badInput("tokens", `tokens must be a whole number from 0 to ${MAX_MESSAGE_TOKENS}`);
      if (!Number.isFinite(cost) || cost < 0 || cost > MAX_MESSAGE_COST)
        throw badInput("cost", `cost must be from 0 to ${MAX_MESSAGE_COST}`);
      if (!input.content.trim()) throw badInput("content", "content must not be empty");
      const model = input.model?.trim() || null;
      const attachmentIds = [...new Set(input.attachmentIds ?? [])];
      const conv = await own(viewer, input.conversationId);
      const key = input.idempotencyKey ?? null;
      // What makes a retry the same post; the key alone would let a client's bug pass as a retry.
      const requestHash = key
        ? createHash("sha256")
            .update(JSON.stringify([conv.id, input.role, input.content, tokens, cost, model, attachmentIds]))
            .digest("hex")
        : null;
      const earlier = async () => {
        if (!key) return null;
        const m = await prisma.message.findUnique({
          where: { userId_idempotencyKey: { userId: viewer.userId, idempotencyKey: key } },
        });
        if (m && m.requestHash !== requestHash)
          throw new AppError("CONFLICT", "This idempotency key was already used for a different message.", {
            field: "idempotencyKey",
          });
        return m;
      };
      const before = await earlier();
      if (before) return before;
      if (attachmentIds.length > 0) {
        const files = attachmentIds.every((id) => isUuid(id))
          ? await prisma.file.count({
              where: { id: { in: attachmentIds }, userId: viewer.userId, tenantId: viewer.tenantId },
            })
          : 0;
        // Another user's file is as unknown as a missing one.
        if (files !== attachmentIds.length) throw notFound("File");
      }
      const write = transact(prisma, async (tx, note) => {
        // First, so a message over the quota writes nothing at all.
        if (tokens > 0) note(...(await consumeQuota(tx, viewer.tenantId, "tokens", tokens, { now })));
        const autoTitle = input.content.trim().split("\n")[0]?.slice(0, AUTO_TITLE_CHARS) ?? "";
        // One statement: concurrent posts cannot both see themselves as the first message.
        const [counted] = await tx.$queryRaw<{ message_count: number; user_agent_id: string | null }[]>`
          UPDATE conversations SET
            message_count = message_count + 1,
            last_message_at = ${now}::timestamptz,
            title = CASE WHEN title = '' THEN ${cleanTitle(autoTitle)} ELSE title END,
            updated_at = now()
          WHERE id = ${conv.id}::uuid
          RETURNING message_count, user_agent_id`;
        if (!counted) throw notFound("Conversation"); // deleted since it was read
        const m = await tx.message.create({
          data: {
            conversationId: conv.id,
            userId: viewer.userId,
            tenantId: viewer.tenantId,
            role: input.role,
            content: input.content,
            tokens,
            cost,
            model,
            createdAt: now,
            idempotencyKey: key,
            requestHash,
            attachments: { create: attachmentIds.map((fileId, position) => ({ fileId, position })) },
          },
        });
        note(changeOf("Message", "create", m), changeOf("Conversation", "update", conv));
        const userAgentId = counted.user_agent_id;
        if (userAgentId) {
          const assistant = input.role === "assistant" ? 1 : 0;
          await tx.$executeRaw`
            UPDATE user_agents SET
              message_count = message_count + 1,
              conversation_count = conversation_count + ${counted.message_count === 1 ? 1 : 0}::int,
              usage_count = usage_count + ${assistant}::int,
              success_count = success_count + ${assistant}::int,
              total_tokens_used = total_tokens_used + ${tokens}::bigint,
              total_cost_usd = total_cost_usd + ${cost}::numeric,
              last_conversation_id = ${conv.id}::uuid,
              first_used_at = COALESCE(first_used_at, ${now}::timestamptz),
              last_used_at = GREATEST(last_used_at, ${now}::timestamptz),
              updated_at = now()
            WHERE id = ${userAgentId}::uuid`;
          note(changeOf("UserAgent", "update", { id: userAgentId, userId: viewer.userId, tenantId: viewer.tenantId }));
        }
        if (tokens > 0) {
          const log = await tx.usageLog.create({
            data: {
              userId: viewer.userId,
              tenantId: viewer.tenantId,
              userAgentId,
              provider: AGENT_PROVIDER,
              model: model ?? "unknown",
              tokensUsed: tokens,
              cost,
              createdAt: now,
            },
          });
          note(changeOf("UsageLog", "create", log));
        }
        return m;
      });
      let message: Message;
      try {
        message = await write;
      } catch (e) {
        // A concurrent retry with the same key committed first: its message and counts stand, and
        // this attempt (quota, counters, usage row) rolled back whole.
        const first = isPrismaError(e, "P2002") ? await earlier() : null;
        if (first) return first;
        throw e;
      }
      pubsub.publish("conversation:events", conv.id, { kind: "message", message: toEvent(message) });
      return message;
    },

    async archive(viewer: SignedInViewer, id: string, archived: boolean): Promise<Conversation> {
      await own(viewer, id);
      return prisma.conversation
        .update({ where: { id }, data: { archivedAt: archived ? new Date() : null } })
        .then(announce(prisma, "Conversation", "update"));
    },

    async delete(viewer: SignedInViewer, id: string): Promise<void> {
      const c = await own(viewer, id);
      await prisma.conversation.delete({ where: { id } }).then(announce(prisma, "Conversation", "delete"));
      pubsub.publish("conversation:events", id, { kind: "deleted", conversationId: id, userId: c.userId });
    },

    /**
     * New messages of one of the viewer's conversations, from now on; ends when it is deleted.
     * Each event is authorized again by the Message rule against the current viewer (live-auth.ts).
     */
    async events(viewer: SignedInViewer, id: string): Promise<AsyncIterableIterator<Message>> {
      const source = pubsub.subscribe("conversation:events", id)[Symbol.asyncIterator]();
      // The first next() registers the listener, so nothing posted after the check is missed.
      const first = source.next();
      try {
        await own(viewer, id);
      } catch (err) {
        await source.return?.();
        throw err;
      }
      return new MessageStream(source, first);
    },

    /**
     * The viewer's memories nearest to `query` (default: the conversation's last user message), for
     * an agent backend to put in its prompt. Each one returned counts as an access (seed's flow).
     */
    async memoryContext(viewer: SignedInViewer, id: string, query: string | null, first: number): Promise<SearchHit[]> {
      const conv = await own(viewer, id);
      let q = query?.trim() ?? "";
      if (!q) {
        const last = await prisma.message.findFirst({
          where: { conversationId: conv.id, role: "user" },
          orderBy: [{ createdAt: "desc" }, { id: "desc" }],
          select: { content: true },
        });
        q = (last?.content ?? conv.title).slice(0, 2000);
      }
      if (!q)
        throw new AppError("BAD_USER_INPUT", "Give a query: the conversation has no message yet.", { field: "query" });
      return searchMemories(prisma, embedder, memoryIndex, memoryAccess, viewer, q, first);
    },
  };
}

export type ConversationService = ReturnType<typeof createConversationService>;
