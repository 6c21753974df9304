import { AppError, badInput, isPrismaError, notFound } from "../errors.ts";
import type { Memory, MemoryType, Prisma, PrismaClient } from "../generated/prisma/client.ts";
import { announce } from "../live/changes.ts";
import type { SignedInViewer } from "../viewer.ts";
import type { Embedder } from "./embeddings.ts";
import type { MemoryAccessCounter } from "./memory-access.ts";
import type { MemoryIndex } from "./memory-index.ts";

export interface MemoryInput {
  memoryType?: MemoryType | null;
  memoryKey?: string | null;
  content?: string | null;
  value?: Record<string, unknown> | null;
  importanceScore?: number | null;
  expiresAt?: Date | null;
}

/** Rows whose expiry has passed are treated as gone everywhere. */
export const notExpired = (): Prisma.MemoryWhereInput => ({
  OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }],
});

const MAX_LIFETIME_MS = 100 * 365.25 * 86_400_000;

/**
 * An expiry already past would save a memory that no query ever shows again, so it is refused
 * rather than silently hidden; one beyond a century is a mistake of units, not a plan.
 */
function assertExpiry(expiresAt: Date | null | undefined, now: Date): void {
  if (!expiresAt) return;
  if (expiresAt.getTime() <= now.getTime())
    throw badInput(
      "input.expiresAt",
      "expiresAt must be in the future (leave it empty for a memory that does not expire).",
    );
  if (expiresAt.getTime() - now.getTime() > MAX_LIFETIME_MS)
    throw badInput("input.expiresAt", "expiresAt must be within 100 years.");
}

function duplicateKey(e: unknown): never {
  if (isPrismaError(e, "P2002"))
    throw new AppError("CONFLICT", "A memory with this key already exists.", { field: "memoryKey" });
  throw e;
}

export async function createMemory(
  prisma: PrismaClient,
  embedder: Embedder,
  viewer: SignedInViewer,
  input: Required<Pick<MemoryInput, "memoryType" | "memoryKey" | "content">> & MemoryInput,
  now: Date = new Date(),
) {
  assertExpiry(input.expiresAt, now);
  const content = input.content!.trim();
  const [embedding] = await embedder.embed([content]);
  return prisma.memory
    .create({
      data: {
        userId: viewer.userId,
        tenantId: viewer.tenantId,
        memoryType: input.memoryType!,
        memoryKey: input.memoryKey!.trim(),
        content,
        memoryValue: { ...(input.value ?? {}), content } as Prisma.InputJsonObject,
        importanceScore: input.importanceScore ?? 0.5,
        expiresAt: input.expiresAt ?? null,
        embedding: embedding!,
        embeddingModel: embedder.model,
      },
    })
    .catch(duplicateKey)
    .then(announce(prisma, "Memory", "create"));
}

async function ownMemory(prisma: PrismaClient, viewer: SignedInViewer, id: string) {
  const m = await prisma.memory.findFirst({ where: { id, userId: viewer.userId, ...notExpired() } });
  if (!m) throw notFound("Memory");
  return m;
}

export async function updateMemory(
  prisma: PrismaClient,
  embedder: Embedder,
  viewer: SignedInViewer,
  id: string,
  input: MemoryInput,
  now: Date = new Date(),
) {
  assertExpiry(input.expiresAt, now);
  const current = await ownMemory(prisma, viewer, id);
  const content = input.content?.trim();
  const embedding = content && content !== current.content ? (await embedder.embed([content]))[0] : undefined;
  const value = input.value ?? (current.memoryValue as Record<string, unknown>);
  return prisma.memory
    .update({
      where: { id },
      data: {
        memoryType: input.memoryType ?? undefined,
        memoryKey: input.memoryKey?.trim() || undefined,
        content: content || undefined,
        memoryValue: { ...value, content: content || current.content } as Prisma.InputJsonObject,
        importanceScore: input.importanceScore ?? undefined,
        expiresAt: input.expiresAt === undefined ? undefined : input.expiresAt,
        ...(embedding ? { embedding, embeddingModel: embedder.model } : {}),
      },
    })
    .catch(duplicateKey)
    .then(announce(prisma, "Memory", "update"));
}

export async function deleteMemory(prisma: PrismaClient, viewer: SignedInViewer, id: string) {
  await ownMemory(prisma, viewer, id);
  await prisma.memory.delete({ where: { id } }).then(announce(prisma, "Memory", "delete"));
}

export interface SearchHit {
  score: number;
  memory: Memory;
}

/**
 * Nearest memories of one user by cosine similarity, computed exactly over the user's vectors held
 * in memory (memory-index.ts). Reading a memory counts as an access (the seed's retrieval flow);
 * counts are written after the answer (memory-access.ts), and the answer shows them already.
 */
export async function searchMemories(
  prisma: PrismaClient,
  embedder: Embedder,
  index: MemoryIndex,
  access: MemoryAccessCounter,
  viewer: SignedInViewer,
  query: string,
  first: number,
  memoryType?: MemoryType | null,
): Promise<SearchHit[]> {
  const [q] = await embedder.embed([query]);
  const vector = q ?? [];
  const { candidates } = await index.search(viewer.userId, embedder.model, vector, first, memoryType);
  if (candidates.length === 0) return [];
  const rows = await prisma.memory.findMany({ where: { id: { in: candidates.map((c) => c.id) } } });
  // The index ranked by float32 vectors; the stored float64 ones give the exact order, summed as
  // the database sums them. Ties go to the more important memory, then the smaller id.
  const hits = rows
    .filter((m) => m.embedding.length === vector.length)
    .map((memory) => {
      let score = 0;
      for (let d = 0; d < vector.length; d++) score += (memory.embedding[d] as number) * (vector[d] as number);
      return { score, memory };
    })
    .sort(
      (a, b) =>
        b.score - a.score ||
        b.memory.importanceScore - a.memory.importanceScore ||
        (a.memory.id < b.memory.id ? -1 : a.memory.id > b.memory.id ? 1 : 0),
    )
    .slice(0, first);
  access.note(hits.map((h) => h.memory.id));
  for (const { memory } of hits) {
    const unwritten = access.unwritten(memory.id);
    if (!unwritten) continue;
    memory.accessCount += unwritten.n;
    memory.lastAccessedAt = new Date(Math.max(memory.lastAccessedAt?.getTime() ?? 0, unwritten.at));
  }
  return hits;
}

/** The memory service the schema calls: the functions above with their dependencies given once. */
export function createMemoryService(deps: {
  prisma: PrismaClient;
  embedder: Embedder;
  memoryIndex: MemoryIndex;
  memoryAccess: MemoryAccessCounter;
}) {
  const { prisma, embedder, memoryIndex, memoryAccess } = deps;
  return {
    /** A new memory needs its type, key and content; the rest is optional. */
    create: (viewer: SignedInViewer, input: MemoryInput) => {
      const { memoryType, memoryKey, content } = input;
      if (!memoryType) throw badInput("input.memoryType", "input.memoryType is required");
      if (!memoryKey) throw badInput("input.memoryKey", "input.memoryKey is required");
      if (!content) throw badInput("input.content", "input.content is required");
      return createMemory(prisma, embedder, viewer, { ...input, memoryType, memoryKey, content });
    },
    update: (viewer: SignedInViewer, id: string, input: MemoryInput) =>
      updateMemory(prisma, embedder, viewer, id, input),
    remove: (viewer: SignedInViewer, id: string) => deleteMemory(prisma, viewer, id),
    search: (viewer: SignedInViewer, query: string, first: number, memoryType?: MemoryType | null) =>
      searchMemories(prisma, embedder, memoryIndex, memoryAccess, viewer, query, first, memoryType),
  };
}
