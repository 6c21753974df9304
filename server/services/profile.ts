import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import { changeOf, publishChange } from "../live/changes.ts";

export interface ProfileUpdate {
  displayName?: string | null;
  fullName?: string | null;
  avatarUrl?: string | null;
  jobTitle?: string | null;
  department?: string | null;
  organization?: string | null;
  country?: string | null;
  onboardingCompleted?: boolean | null;
  preferences?: {
    theme?: string | null;
    language?: string | null;
    timezone?: string | null;
    sidebarCollapsed?: boolean | null;
    defaultView?: string | null;
    animationsEnabled?: boolean | null;
  } | null;
  notificationSettings?: {
    email?: boolean | null;
    inApp?: boolean | null;
    weeklyDigest?: boolean | null;
    agentUpdates?: boolean | null;
    newFeatures?: boolean | null;
  } | null;
  instagram?: string | null;
  linkedin?: string | null;
  twitter?: string | null;
  facebook?: string | null;
  tiktok?: string | null;
}

/** Keys exactly as the seed stores them in JSONB; unset input keys keep their stored value. */
function mergeJson(stored: unknown, patch: Record<string, unknown>): Prisma.InputJsonObject {
  const base =
    stored && typeof stored === "object" && !Array.isArray(stored) ? (stored as Record<string, unknown>) : {};
  const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined && v !== null));
  return { ...base, ...defined } as Prisma.InputJsonObject;
}

const blankToNull = (v: string | null | undefined) => (v === undefined ? undefined : v?.trim() ? v.trim() : null);
const stripAt = (v: string | null | undefined) => blankToNull(v === undefined || v === null ? v : v.replace(/^@/, ""));

export async function updateProfile(prisma: PrismaClient, userId: string, input: ProfileUpdate): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const current = await tx.profile.findUniqueOrThrow({ where: { userId } });
    if (input.displayName)
      await tx.user.update({ where: { id: userId }, data: { displayName: input.displayName.trim() } });
    const p = input.preferences;
    const n = input.notificationSettings;
    await tx.profile.update({
      where: { userId },
      data: {
        fullName: blankToNull(input.fullName),
        avatarUrl: blankToNull(input.avatarUrl),
        jobTitle: blankToNull(input.jobTitle),
        department: blankToNull(input.department),
        organization: blankToNull(input.organization),
        country: blankToNull(input.country),
        onboardingCompleted: input.onboardingCompleted ?? undefined,
        instagram: stripAt(input.instagram),
        linkedin: stripAt(input.linkedin),
        twitter: stripAt(input.twitter),
        facebook: stripAt(input.facebook),
        tiktok: stripAt(input.tiktok),
        preferences: p
          ? mergeJson(current.preferences, {
              theme: p.theme,
              language: p.language,
              timezone: p.timezone,
              sidebar_collapsed: p.sidebarCollapsed,
              default_view: p.defaultView,
              animations_enabled: p.animationsEnabled,
            })
          : undefined,
        notificationSettings: n
          ? mergeJson(current.notificationSettings, {
              email: n.email,
              in_app: n.inApp,
              weekly_digest: n.weeklyDigest,
              agent_updates: n.agentUpdates,
              new_features: n.newFeatures,
            })
          : undefined,
      },
    });
  });
  // Profile rows are shown through their user (members list, me): the user's row key covers them.
  publishChange(prisma, changeOf("User", "update", { id: userId, userId }));
}
