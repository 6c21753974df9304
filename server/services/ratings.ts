import { badInput, isPrismaError, notFound } from "../errors.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { changeOf, publishChange } from "../live/changes.ts";
import type { SignedInViewer } from "../viewer.ts";

export interface RatingSummary {
  itemType: string;
  itemId: string;
  average: number | null;
  count: number;
  distribution: number[];
}

export async function summary(
  prisma: PrismaClient,
  tenantId: string,
  itemType: string,
  itemId: string,
): Promise<RatingSummary> {
  const groups = await prisma.rating.groupBy({
    by: ["rating"],
    where: { tenantId, itemType, itemId },
    _count: { _all: true },
  });
  const distribution = [1, 2, 3, 4, 5].map((star) => groups.find((g) => g.rating === star)?._count._all ?? 0);
  return fromDistribution(itemType, itemId, distribution);
}

/** A summary from the count of each star, 1 to 5. */
export function fromDistribution(itemType: string, itemId: string, distribution: number[]): RatingSummary {
  const count = distribution.reduce((a, b) => a + b, 0);
  const total = distribution.reduce((sum, n, i) => sum + n * (i + 1), 0);
  return { itemType, itemId, count, distribution, average: count ? Math.round((total / count) * 100) / 100 : null };
}

async function assertRateable(prisma: PrismaClient, viewer: SignedInViewer, itemType: string, itemId: string) {
  if (itemType !== "agent") return;
  const agent = await prisma.agent.findFirst({
    where: { id: itemId, tenantId: viewer.tenantId, deletedAt: null },
    select: { id: true },
  });
  if (!agent) throw notFound("Agent");
}

export async function rate(
  prisma: PrismaClient,
  viewer: SignedInViewer,
  input: { itemType: string; itemId: string; rating: number; review?: string | null },
) {
  await assertRateable(prisma, viewer, input.itemType, input.itemId);
  const review = input.review?.trim() || null;
  return prisma
    .$transaction(async (tx) => {
      const rating = await tx.rating.upsert({
        where: { userId_itemType_itemId: { userId: viewer.userId, itemType: input.itemType, itemId: input.itemId } },
        create: {
          userId: viewer.userId,
          tenantId: viewer.tenantId,
          itemType: input.itemType,
          itemId: input.itemId,
          rating: input.rating,
          review,
        },
        update: { rating: input.rating, review },
      });
      if (input.itemType === "agent") {
        // The user's own copy mirrors their rating, as user_agents.user_rating does in the seed.
        await tx.userAgent.updateMany({
          where: { userId: viewer.userId, agentId: input.itemId },
          data: { userRating: input.rating, lastRatingAt: new Date() },
        });
      }
      return rating;
    })
    .then(announceRating(prisma));
}

/** A rating changes its own row and, for an agent, what the catalogue shows of that agent. */
const announceRating =
  (prisma: PrismaClient) =>
  <T extends { id: string; tenantId: string; userId: string; itemType: string; itemId: string }>(rating: T): T => {
    publishChange(
      prisma,
      changeOf("Rating", "update", rating),
      ...(rating.itemType === "agent"
        ? [changeOf("Agent", "update", { id: rating.itemId, tenantId: rating.tenantId })]
        : []),
    );
    return rating;
  };

export async function markHelpful(prisma: PrismaClient, viewer: SignedInViewer, ratingId: string) {
  const rating = await prisma.rating.findFirst({ where: { id: ratingId, tenantId: viewer.tenantId } });
  if (!rating) throw notFound("Rating");
  if (rating.userId === viewer.userId) throw badInput("id", "You cannot mark your own rating as helpful.");
  try {
    await prisma.$transaction([
      prisma.ratingHelpfulVote.create({ data: { ratingId, userId: viewer.userId } }),
      prisma.rating.update({ where: { id: ratingId }, data: { helpfulCount: { increment: 1 } } }),
    ]);
  } catch (e) {
    // A second vote by the same user changes nothing.
    if (!isPrismaError(e, "P2002")) throw e;
    return;
  }
  publishChange(prisma, changeOf("Rating", "update", rating));
}
