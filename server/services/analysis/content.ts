import { createHash } from "node:crypto";
import { AppError, badInput, notFound } from "../../errors.ts";
import type { ContentSource, PrismaClient } from "../../generated/prisma/client.ts";
import type { SignedInViewer } from "../../viewer.ts";

export const CONTENT_SOURCES = ["instagram", "linkedin", "twitter", "facebook", "tiktok", "text"] as const;
export const MAX_ITEMS_PER_IMPORT = 500;
export const MAX_TEXT_LENGTH = 10_000;

export interface ContentInput {
  text: string;
  externalId?: string | null;
  postedAt?: Date | null;
}

/**
 * The de-duplication key: the same post imported twice (or re-exported with other whitespace or
 * Unicode composition) is one item, so it is scored and billed once.
 */
export function contentHash(text: string): string {
  const normal = text.normalize("NFC").trim().replace(/\s+/g, " ");
  return createHash("sha256").update(normal).digest("hex");
}

export interface ImportResult {
  imported: number;
  duplicates: number;
  ids: string[];
}

/** Stores new items of one source, all or nothing, skipping those already stored for this user. */
export async function importContent(
  prisma: PrismaClient,
  viewer: SignedInViewer,
  source: ContentSource,
  items: readonly ContentInput[],
  maxPerSource: number,
): Promise<ImportResult> {
  if (items.length === 0) throw badInput("items", "items: give at least one item");
  if (items.length > MAX_ITEMS_PER_IMPORT) throw badInput("items", `items: at most ${MAX_ITEMS_PER_IMPORT} per import`);
  const unique = new Map<string, ContentInput & { text: string }>();
  for (const item of items) {
    const text = item.text.trim();
    const hash = contentHash(text);
    if (!unique.has(hash)) unique.set(hash, { ...item, text });
  }
  return prisma.$transaction(async (tx) => {
    const existing = await tx.contentItem.findMany({
      where: { userId: viewer.userId, source, contentHash: { in: [...unique.keys()] } },
      select: { contentHash: true },
    });
    for (const e of existing) unique.delete(e.contentHash);
    const stored = await tx.contentItem.count({ where: { userId: viewer.userId, source } });
    if (stored + unique.size > maxPerSource) {
      throw new AppError(
        "QUOTA_EXCEEDED",
        `At most ${maxPerSource} ${source} items can be stored; ${stored} are, and this import adds ${unique.size}. Delete some first.`,
      );
    }
    const rows = [...unique].map(([hash, item]) => ({
      userId: viewer.userId,
      tenantId: viewer.tenantId,
      source,
      text: item.text,
      contentHash: hash,
      externalId: item.externalId ?? null,
      postedAt: item.postedAt ?? null,
    }));
    // skipDuplicates covers a concurrent import of the same items between the read and the insert.
    const created = rows.length
      ? await tx.contentItem.createManyAndReturn({ data: rows, skipDuplicates: true, select: { id: true } })
      : [];
    return { imported: created.length, duplicates: items.length - created.length, ids: created.map((c) => c.id) };
  });
}

/** Deletes my items by id or all of a source. Any id that is not mine fails the whole call. */
export async function deleteContent(
  prisma: PrismaClient,
  viewer: SignedInViewer,
  args: { ids?: readonly string[] | null; source?: ContentSource | null },
): Promise<number> {
  if (!args.ids?.length && !args.source) throw badInput("ids", "give ids or a source");
  return prisma.$transaction(async (tx) => {
    if (args.ids?.length) {
      const mine = await tx.contentItem.count({ where: { id: { in: [...args.ids] }, userId: viewer.userId } });
      if (mine !== new Set(args.ids).size) throw notFound("Content item");
    }
    const { count } = await tx.contentItem.deleteMany({
      where: {
        userId: viewer.userId,
        ...(args.ids?.length ? { id: { in: [...args.ids] } } : {}),
        ...(args.source ? { source: args.source } : {}),
      },
    });
    return count;
  });
}
