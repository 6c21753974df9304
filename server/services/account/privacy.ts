import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { RequestInfo, SignedInViewer } from "../../viewer.ts";
import { audit } from "../audit.ts";

export interface PrivacyInput {
  consentGiven?: boolean | null;
  /** 1 to 3650 days; null keeps the stored value, `clearRetention` sets it back to the default. */
  dataRetentionDays?: number | null;
  clearRetention?: boolean | null;
  marketingEmails?: boolean | null;
}

/** The user's own privacy preferences; consent records when it was given, and every change is audited. */
export async function updatePrivacyPreferences(
  prisma: PrismaClient,
  viewer: SignedInViewer,
  input: PrivacyInput,
  request: RequestInfo,
) {
  return prisma.$transaction(async (tx) => {
    const current = await tx.profile.findUniqueOrThrow({ where: { userId: viewer.userId } });
    const consent = input.consentGiven ?? current.consentGiven;
    const data = {
      consentGiven: consent,
      consentGivenAt: consent ? (current.consentGiven ? current.consentGivenAt : new Date()) : null,
      dataRetentionDays: input.clearRetention ? null : (input.dataRetentionDays ?? current.dataRetentionDays),
      marketingEmails: input.marketingEmails ?? current.marketingEmails,
    };
    const profile = await tx.profile.update({ where: { userId: viewer.userId }, data });
    await audit(tx, {
      action: "user.privacy_changed",
      tenantId: viewer.tenantId,
      userId: viewer.userId,
      resource: "Profile",
      resourceId: viewer.userId,
      request,
      metadata: {
        consentGiven: data.consentGiven,
        dataRetentionDays: data.dataRetentionDays,
        marketingEmails: data.marketingEmails,
      },
    });
    return profile;
  });
}
