// Favourites: a user's marks on agents, workflows, templates and documents.
import { z } from "zod";
import { builder } from "../builder.ts";
import { requireUuid } from "../ids.ts";
import { watchRows } from "../live/queries.ts";
import { access } from "./access.ts";
import { text } from "./inputs.ts";

builder.prismaObject("Favorite", {
  authScopes: access.Favorite.type,
  fields: (t) => ({
    id: t.exposeID("id"),
    itemType: t.exposeString("itemType"),
    itemId: t.exposeID("itemId"),
    notes: t.exposeString("notes", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.queryFields((t) => ({
  favorites: t.withAuth({ apiScope: "read:agents" }).prismaConnection({
    type: "Favorite",
    cursor: "id",
    args: { itemType: t.arg.string({ required: false, validate: text(50) }) },
    resolve: (query, _r, args, ctx) => {
      watchRows(ctx, "Favorite", { userId: ctx.viewer.userId });
      return ctx.prisma.favorite.findMany({
        ...query,
        where: { userId: ctx.viewer.userId, ...(args.itemType ? { itemType: args.itemType } : {}) },
        orderBy: { createdAt: "desc" },
      });
    },
  }),
}));

builder.mutationFields((t) => ({
  setFavorite: t.withAuth({ apiScope: "write:agents" }).boolean({
    description: "Marks or unmarks an item as a favourite; returns the new state.",
    args: {
      itemType: t.arg.string({ required: true, validate: z.enum(["agent", "workflow", "template", "document"]) }),
      itemId: t.arg.id({ required: true, description: "The item's global ID or UUID.", validate: z.string().max(200) }),
      favorite: t.arg.boolean({ required: true }),
      notes: t.arg.string({ required: false, validate: text(1000) }),
    },
    resolve: async (_r, args, ctx) => {
      return ctx.services.agents.setFavorite(ctx.viewer, { ...args, itemId: requireUuid(args.itemId, "itemId") });
    },
  }),
}));
