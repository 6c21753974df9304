export interface NotificationSettings {
  email: boolean;
  inApp: boolean;
  weeklyDigest: boolean;
  agentUpdates: boolean;
  newFeatures: boolean;
}

/** Reads stored notification settings (snake_case keys as in the seed); unset switches default to on, digest off. */
export function parseNotificationSettings(json: unknown): NotificationSettings {
  const n = json && typeof json === "object" ? (json as Record<string, unknown>) : {};
  const b = (v: unknown, d: boolean) => (typeof v === "boolean" ? v : d);
  return {
    email: b(n.email, true),
    inApp: b(n.in_app ?? n.inApp, true),
    weeklyDigest: b(n.weekly_digest ?? n.weeklyDigest, false),
    agentUpdates: b(n.agent_updates ?? n.agentUpdates, true),
    newFeatures: b(n.new_features ?? n.newFeatures, true),
  };
}
