import { forbidden, notFound } from "../errors.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { changeOf, transact } from "../live/changes.ts";
import type { PubSub } from "../pubsub.ts";
import type { ApiScope, RequestInfo, SignedInViewer } from "../viewer.ts";
import { isTenantAdmin } from "../viewer.ts";
import { auditAs } from "./audit.ts";
import { publishViewerChanged } from "./bearer.ts";
import { hashSecret, newSecret } from "./tokens.ts";

/** API keys: created and revoked from an interactive session only; only the secret's hash is kept. */
export function createKeyService(prisma: PrismaClient, pubsub: PubSub) {
  return {
    async createApiKey(
      viewer: SignedInViewer,
      input: { name: string; scopes: ApiScope[]; expiresAt?: Date | null },
      request: RequestInfo,
    ) {
      if (viewer.kind !== "session") throw forbidden("API keys are managed from a signed-in session.");
      if (input.scopes.includes("admin") && !isTenantAdmin(viewer))
        throw forbidden("Only tenant admins can create keys with the admin scope.");
      const secret = newSecret("upk");
      return transact(prisma, async (tx, note) => {
        const apiKey = await tx.apiKey.create({
          data: {
            userId: viewer.userId,
            tenantId: viewer.tenantId,
            name: input.name,
            prefix: secret.slice(0, 12),
            keyHash: hashSecret(secret),
            scopes: [...new Set(input.scopes)],
            expiresAt: input.expiresAt ?? null,
          },
        });
        note(changeOf("ApiKey", "create", apiKey));
        note(
          await auditAs(tx, viewer, request, {
            action: "api_key.created",
            resource: "ApiKey",
            resourceId: apiKey.id,
            metadata: { scopes: apiKey.scopes },
          }),
        );
        return { apiKey, secret };
      });
    },

    async revokeApiKey(viewer: SignedInViewer, id: string, request: RequestInfo) {
      if (viewer.kind !== "session") throw forbidden("API keys are managed from a signed-in session.");
      const revoked = await transact(prisma, async (tx, note) => {
        const key = await tx.apiKey.findUnique({ where: { id } });
        if (!key || key.userId !== viewer.userId) throw notFound("API key");
        if (key.revokedAt) return key;
        const updated = await tx.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
        note(changeOf("ApiKey", "update", updated));
        note(await auditAs(tx, viewer, request, { action: "api_key.revoked", resource: "ApiKey", resourceId: id }));
        return updated;
      });
      publishViewerChanged(pubsub, revoked.userId, "api key revoked");
      return revoked;
    },
  };
}

export type KeyService = ReturnType<typeof createKeyService>;
