// The account lifecycle beyond signing in and out: mail, email verification, password reset and
// change (passwords.ts); multi-factor sign-in lives in mfa.ts.
import type { Config } from "../../config.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { PubSub } from "../../pubsub.ts";
import { publishTenantViewersChanged, type SessionService } from "../sessions.ts";
import { createThrottle, type ThrottleOptions } from "../throttle.ts";
import type { Mailer } from "./mail.ts";
import { createMfaFlows } from "./mfa.ts";
import { createPasswordFlows } from "./passwords.ts";
import { updatePrivacyPreferences } from "./privacy.ts";
import { createSecretBox } from "./secret-box.ts";
import { updateTenantSecurity } from "./tenant-security.ts";

export interface AccountDeps {
  prisma: PrismaClient;
  pubsub: PubSub;
  mailer: Mailer;
  config: Config;
  throttle: ThrottleOptions;
  sessions: SessionService;
}

export function createAccountService(deps: AccountDeps) {
  const throttle = createThrottle(deps.prisma, deps.throttle);
  return {
    ...createPasswordFlows({ ...deps, throttle, passwords: deps.sessions.passwords }),
    ...createMfaFlows({ ...deps, throttle, box: createSecretBox(deps.config.totpKey) }),
    updatePrivacyPreferences: (
      ...args: Parameters<typeof updatePrivacyPreferences> extends [unknown, ...infer R] ? R : never
    ) => updatePrivacyPreferences(deps.prisma, ...args),
    updateTenantSecurity: (
      ...args: Parameters<typeof updateTenantSecurity> extends [unknown, ...infer R] ? R : never
    ) =>
      updateTenantSecurity(deps.prisma, ...args).then((tenant) => {
        // Whether its members must enrol first is part of each one's viewer.
        publishTenantViewersChanged(deps.pubsub, tenant.id);
        return tenant;
      }),
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
