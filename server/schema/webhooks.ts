import { z } from "zod";
import { builder } from "../builder.ts";
import { watchRows } from "../live/queries.ts";
import { MAX_URL_LENGTH } from "../services/notifications/webhooks.ts";
import { access, TENANT_ADMIN } from "./access.ts";
import { NotificationKindEnum } from "./notifications.ts";

const DeliveryStatusEnum = builder.enumType("WebhookDeliveryStatus", {
  values: ["pending", "delivered", "failed"] as const,
});

const WebhookEndpointRef = builder.prismaNode("WebhookEndpoint", {
  id: { field: "id" },
  authScopes: access.WebhookEndpoint.type,
  description:
    "An HTTP endpoint of the tenant that receives signed events (its secret is shown once, at creation or rotation).",
  fields: (t) => ({
    url: t.exposeString("url"),
    eventTypes: t.expose("eventTypes", { type: [NotificationKindEnum] }),
    active: t.exposeBoolean("active"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    deliveries: t.relatedConnection("deliveries", {
      cursor: "id",
      description: "The delivery log, newest first.",
      query: () => ({ orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
    }),
  }),
});

builder.prismaNode("WebhookDelivery", {
  id: { field: "id" },
  authScopes: access.WebhookDelivery.type,
  fields: (t) => ({
    event: t.expose("event", { type: NotificationKindEnum }),
    payload: t.expose("payload", { type: "JSON" }),
    status: t.expose("status", { type: DeliveryStatusEnum }),
    attempts: t.exposeInt("attempts"),
    lastStatusCode: t.exposeInt("lastStatusCode", { nullable: true }),
    lastError: t.exposeString("lastError", { nullable: true }),
    nextAttemptAt: t.expose("nextAttemptAt", { type: "DateTime", nullable: true }),
    deliveredAt: t.expose("deliveredAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const CreatedWebhookEndpoint = builder
  .objectRef<{ secret: string; endpointId: string }>("CreatedWebhookEndpoint")
  .implement({
    description:
      "Returned once by createWebhookEndpoint and rotateWebhookSecret: keep the secret to verify signatures; it is not shown again (it is stored sealed).",
    authScopes: TENANT_ADMIN,
    fields: (t) => ({
      secret: t.exposeString("secret"),
      endpoint: t.prismaField({
        type: "WebhookEndpoint",
        resolve: (query, p, _a, ctx) =>
          ctx.prisma.webhookEndpoint.findUniqueOrThrow({ ...query, where: { id: p.endpointId } }),
      }),
    }),
  });

const url = z.string().trim().min(1).max(MAX_URL_LENGTH);
const kinds = z.array(z.string()).min(1).max(10);

builder.queryFields((t) => ({
  webhookEndpoints: t.withAuth(access.WebhookEndpoint.door).prismaConnection({
    type: "WebhookEndpoint",
    cursor: "id",
    description: "The tenant's webhook endpoints (admins).",
    resolve: (query, _r, _a, ctx) => {
      watchRows(ctx, "WebhookEndpoint", { tenantId: ctx.viewer.tenantId });
      watchRows(ctx, "WebhookDelivery", { tenantId: ctx.viewer.tenantId });
      return ctx.prisma.webhookEndpoint.findMany({
        ...query,
        where: { tenantId: ctx.viewer.tenantId },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      });
    },
  }),
}));

builder.mutationFields((t) => ({
  createWebhookEndpoint: t.withAuth(TENANT_ADMIN).field({
    type: CreatedWebhookEndpoint,
    description:
      'Registers an endpoint for some event types. Deliveries are POSTed as JSON, signed in `Userplane-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.',
    args: {
      url: t.arg.string({ required: true, validate: url }),
      eventTypes: t.arg({ type: [NotificationKindEnum], required: true, validate: kinds }),
    },
    resolve: async (_r, args, ctx) => {
      const { endpoint, secret } = await ctx.services.notifications.webhooks.create(ctx.viewer, ctx.request, args);
      return { secret, endpointId: endpoint.id };
    },
  }),
  updateWebhookEndpoint: t.withAuth(TENANT_ADMIN).prismaField({
    type: "WebhookEndpoint",
    args: {
      id: t.arg.globalID({ required: true, for: WebhookEndpointRef }),
      url: t.arg.string({ required: false, validate: url }),
      eventTypes: t.arg({ type: [NotificationKindEnum], required: false, validate: kinds }),
      active: t.arg.boolean({ required: false }),
    },
    resolve: async (query, _r, { id, ...args }, ctx) => {
      await ctx.services.notifications.webhooks.update(ctx.viewer, ctx.request, id.id, args);
      return ctx.prisma.webhookEndpoint.findUniqueOrThrow({ ...query, where: { id: id.id } });
    },
  }),
  rotateWebhookSecret: t.withAuth(TENANT_ADMIN).field({
    type: CreatedWebhookEndpoint,
    description:
      "Gives the endpoint a new signing secret, returned once; deliveries are signed with it from now on, retries of earlier events included.",
    args: { id: t.arg.globalID({ required: true, for: WebhookEndpointRef }) },
    resolve: async (_r, { id }, ctx) => {
      const secret = await ctx.services.notifications.webhooks.rotate(ctx.viewer, ctx.request, id.id);
      return { secret, endpointId: id.id };
    },
  }),
  deleteWebhookEndpoint: t.withAuth(TENANT_ADMIN).globalID({
    description: "Removes the endpoint and its delivery log; answers its id.",
    args: { id: t.arg.globalID({ required: true, for: WebhookEndpointRef }) },
    resolve: async (_r, { id }, ctx) => {
      await ctx.services.notifications.webhooks.remove(ctx.viewer, ctx.request, id.id);
      return { type: "WebhookEndpoint", id: id.id };
    },
  }),
}));
