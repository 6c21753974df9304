// A tenant's webhook endpoints: admins register a URL for some event kinds and get the signing
// secret once. URLs are checked here for what can be told without the network (scheme, length,
// literal private addresses when those are not allowed); names are judged again when dialled
// (http-post.ts).
import { randomUUID } from "node:crypto";
import { isIP } from "node:net";
import { badInput, notFound } from "../../errors.ts";
import type { NotificationKind, PrismaClient, WebhookEndpoint } from "../../generated/prisma/client.ts";
import { isUuid } from "../../ids.ts";
import { changeOf, transact } from "../../live/changes.ts";
import type { RequestInfo, SignedInViewer } from "../../viewer.ts";
import { type SecretBox, webhookSecretContext } from "../account/secret-box.ts";
import { auditAs } from "../audit.ts";
import { isPrivateAddress } from "./http-post.ts";
import { newWebhookSecret } from "./signing.ts";

export const MAX_URL_LENGTH = 2048;
/** Endpoints per tenant: each event fans out to all of them. */
export const MAX_ENDPOINTS = 20;

export function checkUrl(raw: string, allowPrivate: boolean): string {
  if (raw.length > MAX_URL_LENGTH) throw badInput("url", `The URL may be at most ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badInput("url", "The URL is not a valid absolute URL.");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw badInput("url", "Only http and https URLs can receive webhooks.");
  if (url.username || url.password)
    throw badInput("url", "Put no credentials in the URL; verify the signature instead.");
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (!allowPrivate && (host === "localhost" || host.endsWith(".localhost") || (isIP(host) && isPrivateAddress(host))))
    throw badInput("url", "Private and loopback addresses cannot receive webhooks.");
  return url.toString();
}

function checkKinds(kinds: readonly NotificationKind[]): NotificationKind[] {
  const unique = [...new Set(kinds)];
  if (unique.length === 0) throw badInput("eventTypes", "Name at least one event type.");
  return unique;
}

export function createWebhookAdmin(prisma: PrismaClient, allowPrivate: boolean, box: SecretBox) {
  async function own(viewer: SignedInViewer, id: string): Promise<WebhookEndpoint> {
    const row = isUuid(id) ? await prisma.webhookEndpoint.findUnique({ where: { id } }) : null;
    if (!row || row.tenantId !== viewer.tenantId) throw notFound("Webhook endpoint");
    return row;
  }
  return {
    async create(
      viewer: SignedInViewer,
      request: RequestInfo,
      args: { url: string; eventTypes: readonly NotificationKind[] },
    ): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
      const url = checkUrl(args.url, allowPrivate);
      const eventTypes = checkKinds(args.eventTypes);
      const secret = newWebhookSecret();
      // The id is chosen here: it is the sealed secret's associated data.
      const id = randomUUID();
      const endpoint = await transact(prisma, async (tx, note) => {
        // Counted under the tenant's row lock, so concurrent creates cannot pass the cap together.
        await tx.$executeRaw`SELECT 1 FROM tenants WHERE id = ${viewer.tenantId}::uuid FOR UPDATE`;
        if ((await tx.webhookEndpoint.count({ where: { tenantId: viewer.tenantId } })) >= MAX_ENDPOINTS)
          throw badInput("url", `A workspace may have at most ${MAX_ENDPOINTS} webhook endpoints.`);
        const row = await tx.webhookEndpoint.create({
          data: {
            id,
            tenantId: viewer.tenantId,
            url,
            eventTypes,
            secret: box.seal(secret, webhookSecretContext(id)),
            createdById: viewer.userId,
          },
        });
        note(
          changeOf("WebhookEndpoint", "create", { id: row.id, tenantId: row.tenantId }),
          await auditAs(tx, viewer, request, {
            action: "webhook.create",
            resource: "WebhookEndpoint",
            resourceId: row.id,
            metadata: { url, eventTypes },
          }),
        );
        return row;
      });
      return { endpoint, secret };
    },

    async update(
      viewer: SignedInViewer,
      request: RequestInfo,
      id: string,
      args: { url?: string | null; eventTypes?: readonly NotificationKind[] | null; active?: boolean | null },
    ): Promise<WebhookEndpoint> {
      await own(viewer, id);
      const data = {
        ...(args.url != null ? { url: checkUrl(args.url, allowPrivate) } : {}),
        ...(args.eventTypes != null ? { eventTypes: checkKinds(args.eventTypes) } : {}),
        ...(args.active != null ? { active: args.active } : {}),
      };
      return transact(prisma, async (tx, note) => {
        const row = await tx.webhookEndpoint.update({ where: { id }, data });
        note(
          changeOf("WebhookEndpoint", "update", { id, tenantId: row.tenantId }),
          await auditAs(tx, viewer, request, {
            action: "webhook.update",
            resource: "WebhookEndpoint",
            resourceId: id,
            metadata: { url: row.url, eventTypes: row.eventTypes, active: row.active },
          }),
        );
        return row;
      });
    },

    /** A new signing secret for the endpoint, returned once. */
    async rotate(viewer: SignedInViewer, request: RequestInfo, id: string): Promise<string> {
      await own(viewer, id);
      const secret = newWebhookSecret();
      await transact(prisma, async (tx, note) => {
        const row = await tx.webhookEndpoint.update({
          where: { id },
          data: { secret: box.seal(secret, webhookSecretContext(id)) },
        });
        note(
          changeOf("WebhookEndpoint", "update", { id, tenantId: row.tenantId }),
          await auditAs(tx, viewer, request, {
            action: "webhook.rotate_secret",
            resource: "WebhookEndpoint",
            resourceId: id,
            metadata: { url: row.url },
          }),
        );
      });
      return secret;
    },

    async remove(viewer: SignedInViewer, request: RequestInfo, id: string): Promise<WebhookEndpoint> {
      const row = await own(viewer, id);
      await transact(prisma, async (tx, note) => {
        await tx.webhookEndpoint.delete({ where: { id } });
        note(
          changeOf("WebhookEndpoint", "delete", { id, tenantId: row.tenantId }),
          await auditAs(tx, viewer, request, {
            action: "webhook.delete",
            resource: "WebhookEndpoint",
            resourceId: id,
            metadata: { url: row.url },
          }),
        );
      });
      return row;
    },
  };
}
