// The account lifecycle beyond signing in and out: mail, email verification, password reset and
// change (passwords.ts); multi-factor sign-in lives in mfa.ts.
import type { Config } from "../../config.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { Jobs } from "../../jobs/jobs.ts";
import type { Logger } from "../../logger.ts";
import type { PubSub } from "../../pubsub.ts";
import { publishTenantViewersChanged } from "../bearer.ts";
import type { FileService } from "../files/index.ts";
import type { SessionService } from "../sessions.ts";
import { createThrottle, type ThrottleOptions } from "../throttle.ts";
import { createDeactivation } from "./deactivation.ts";
import { createDeletionFlows } from "./deletion.ts";
import type { Mailer } from "./mail.ts";
import { createMfaFlows } from "./mfa.ts";
import { createPasswordFlows } from "./passwords.ts";
import { updatePrivacyPreferences } from "./privacy.ts";
import { createPurge } from "./purge.ts";
import { createSecretBox } from "./secret-box.ts";
import { updateTenantSecurity } from "./tenant-security.ts";

export interface AccountDeps {
  prisma: PrismaClient;
  pubsub: PubSub;
  mailer: Mailer;
  config: Config;
  throttle: ThrottleOptions;
  sessions: SessionService;
  files: FileService;
  jobs: Jobs;
  logger: Logger;
}

export function createAccountService(deps: AccountDeps) {
  const throttle = createThrottle(deps.prisma, deps.throttle);
  const mfa = createMfaFlows({ ...deps, throttle, box: createSecretBox(deps.config.totpKey) });
  return {
    ...createPasswordFlows({ ...deps, throttle, passwords: deps.sessions.passwords }),
    ...mfa,
    ...createDeletionFlows({
      ...deps,
      throttle,
      passwords: deps.sessions.passwords,
      verifySecondFactor: mfa.verifySecondFactor,
    }),
    ...createDeactivation(deps.prisma, deps.pubsub),
    /** The purge of deleted accounts past their grace period (the durable job, or `purge.run({ now })`). */
    purge: createPurge(deps),
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
