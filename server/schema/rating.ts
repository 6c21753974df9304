import { createContextCache } from "@pothos/core";
import DataLoader from "dataloader";
import { z } from "zod";
import { builder } from "../builder.ts";
import type { Context } from "../context.ts";
import { requireUuid } from "../ids.ts";
import { watchRows } from "../live/queries.ts";
import { fromDistribution, type RatingSummary as Summary } from "../services/ratings.ts";
import { isSignedIn } from "../viewer.ts";
import { access } from "./access.ts";

const itemType = z.enum(["agent", "workflow", "template", "document"]);

/** Ratings are visible to everyone in the rater's tenant. */
export const RatingRef = builder.prismaNode("Rating", {
  id: { field: "id" },
  authScopes: access.Rating.type,
  fields: (t) => ({
    itemType: t.exposeString("itemType"),
    itemId: t.exposeID("itemId"),
    rating: t.exposeInt("rating"),
    review: t.exposeString("review", { nullable: true }),
    helpfulCount: t.exposeInt("helpfulCount"),
    // Nullable: a former member or a key without read:profile may not see the author, and a
    // hidden author must not hide the rating (or null the whole list).
    author: t.relation("user", { nullable: true }),
    mine: t.boolean({ resolve: (r, _a, ctx) => isSignedIn(ctx.viewer) && ctx.viewer.userId === r.userId }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

export const RatingSummary = builder.objectRef<Summary>("RatingSummary").implement({
  authScopes: { apiScope: "read:ratings" },
  fields: (t) => ({
    itemType: t.exposeString("itemType"),
    itemId: t.exposeID("itemId"),
    average: t.exposeFloat("average", { nullable: true, description: "Null when nobody has rated the item." }),
    count: t.exposeInt("count"),
    distribution: t.exposeIntList("distribution", { description: "Number of ratings with 1, 2, 3, 4 and 5 stars." }),
  }),
});

builder.queryFields((t) => ({
  ratings: t.withAuth({ apiScope: "read:ratings" }).prismaConnection({
    type: "Rating",
    cursor: "id",
    args: {
      itemType: t.arg.string({ required: true, validate: itemType }),
      itemId: t.arg.id({ required: true, validate: z.string().max(200) }),
    },
    resolve: (query, _r, args, ctx) => {
      watchRows(ctx, "Rating", { tenantId: ctx.viewer.tenantId });
      return ctx.prisma.rating.findMany({
        ...query,
        where: { tenantId: ctx.viewer.tenantId, itemType: args.itemType, itemId: requireUuid(args.itemId, "itemId") },
        orderBy: [{ helpfulCount: "desc" }, { updatedAt: "desc" }],
      });
    },
  }),
  ratingSummary: t.withAuth({ apiScope: "read:ratings" }).field({
    type: RatingSummary,
    args: {
      itemType: t.arg.string({ required: true, validate: itemType }),
      itemId: t.arg.id({ required: true, validate: z.string().max(200) }),
    },
    resolve: (_r, args, ctx) => {
      watchRows(ctx, "Rating", { tenantId: ctx.viewer.tenantId });
      return ctx.services.ratings.summary(ctx.viewer.tenantId, args.itemType, requireUuid(args.itemId, "itemId"));
    },
  }),
}));

builder.mutationFields((t) => ({
  rate: t.withAuth({ apiScope: "write:ratings" }).prismaField({
    type: "Rating",
    description: "Rates an item 1..5; rating it again updates my rating.",
    args: {
      itemType: t.arg.string({ required: true, validate: itemType }),
      itemId: t.arg.id({ required: true, validate: z.string().max(200) }),
      rating: t.arg.int({
        required: true,
        validate: z.number().int().min(1, "must be 1 to 5").max(5, "must be 1 to 5"),
      }),
      review: t.arg.string({ required: false, validate: z.string().max(5000, "must be at most 5000 characters") }),
    },
    resolve: async (query, _r, args, ctx) => {
      const r = await ctx.services.ratings.rate(ctx.viewer, { ...args, itemId: requireUuid(args.itemId, "itemId") });
      return ctx.prisma.rating.findUniqueOrThrow({ ...query, where: { id: r.id } });
    },
  }),
  markRatingHelpful: t.withAuth({ apiScope: "write:ratings" }).prismaField({
    type: "Rating",
    description: "Counts my vote that a rating was helpful, once per user; not for my own ratings.",
    args: { id: t.arg.globalID({ required: true, for: RatingRef }) },
    resolve: async (query, _r, { id }, ctx) => {
      await ctx.services.ratings.markHelpful(ctx.viewer, id.id);
      return ctx.prisma.rating.findUniqueOrThrow({ ...query, where: { id: id.id } });
    },
  }),
}));

// Per Pothos request cache, not per context object: a live query's re-execution starts a new cache
// and must not read the summaries its last run loaded.
const agentSummaryLoader = createContextCache(
  (ctx: Context, tenantId: string) =>
    new DataLoader(async (ids: readonly string[]) => {
      const groups = await ctx.prisma.rating.groupBy({
        by: ["itemId", "rating"],
        where: { tenantId, itemType: "agent", itemId: { in: [...ids] } },
        _count: { _all: true },
      });
      return ids.map((itemId) => {
        const distribution = [1, 2, 3, 4, 5].map(
          (star) => groups.find((g) => g.itemId === itemId && g.rating === star)?._count._all ?? 0,
        );
        return fromDistribution("agent", itemId, distribution);
      });
    }),
);

/** Rating summaries of many agents in one query per request (a catalogue page asks for each). */
export function agentSummary(ctx: Context, tenantId: string, agentId: string): Promise<Summary> {
  return agentSummaryLoader(ctx, tenantId).load(agentId);
}
