import { builder } from "../builder.ts";
import { watchRows } from "../live/queries.ts";
import { access } from "./access.ts";

export const NotificationKindEnum = builder.enumType("NotificationKind", {
  description: "What a notification or webhook event is about.",
  values: ["quota_threshold", "quota_exceeded", "analysis_finished"] as const,
});

const NotificationRef = builder.prismaNode("Notification", {
  id: { field: "id" },
  authScopes: access.Notification.type,
  fields: (t) => ({
    kind: t.expose("kind", { type: NotificationKindEnum }),
    title: t.exposeString("title"),
    body: t.exposeString("body"),
    data: t.expose("data", { type: "JSON", description: "Small facts about the event (ids, numbers)." }),
    read: t.boolean({ resolve: (n) => n.readAt !== null }),
    readAt: t.expose("readAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.queryFields((t) => ({
  notifications: t.withAuth(access.Notification.door).prismaConnection({
    type: "Notification",
    cursor: "id",
    description: "My notifications, newest first.",
    args: { unreadOnly: t.arg.boolean({ required: false }) },
    resolve: (query, _r, args, ctx) => {
      watchRows(ctx, "Notification", { userId: ctx.viewer.userId });
      return ctx.prisma.notification.findMany({
        ...query,
        where: { userId: ctx.viewer.userId, ...(args.unreadOnly ? { readAt: null } : {}) },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      });
    },
  }),
  unreadNotificationCount: t.withAuth(access.Notification.door).int({
    description: "How many of my notifications are unread (live with @live).",
    resolve: (_r, _a, ctx) => {
      watchRows(ctx, "Notification", { userId: ctx.viewer.userId });
      return ctx.services.notifications.unreadCount(ctx.viewer);
    },
  }),
}));

builder.mutationFields((t) => ({
  markNotificationRead: t.withAuth(access.Notification.door).prismaField({
    type: "Notification",
    args: { id: t.arg.globalID({ required: true, for: NotificationRef }) },
    resolve: async (query, _r, { id }, ctx) => {
      const n = await ctx.services.notifications.markRead(ctx.viewer, id.id);
      return ctx.prisma.notification.findUniqueOrThrow({ ...query, where: { id: n.id } });
    },
  }),
  markAllNotificationsRead: t.withAuth(access.Notification.door).int({
    description: "Marks all my notifications read; answers how many were unread.",
    resolve: (_r, _a, ctx) => ctx.services.notifications.markAllRead(ctx.viewer),
  }),
}));

builder.subscriptionFields((t) => ({
  notifications: t.withAuth(access.Notification.door).field({
    type: [NotificationRef],
    description: "My notifications as they are created (those of one event together).",
    subscribe: (_r, _a, ctx) => ctx.services.notifications.stream(ctx.viewer),
    resolve: (rows) => rows,
  }),
}));
