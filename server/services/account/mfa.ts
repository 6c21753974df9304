// TOTP second factor (RFC 6238 through otpauth): enrol, confirm with a first code (which also
// hands out recovery codes, shown once, kept as SHA-256), disable with a fresh code, and the
// challenge step of sign-in. Code guesses are throttled per user like sign-in failures; a code
// is spent once (the last accepted time-step is kept), and secrets are sealed at rest.
import { randomBytes } from "node:crypto";
import { Secret, TOTP } from "otpauth";
import { AppError, badInput, forbidden } from "../../errors.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { PubSub } from "../../pubsub.ts";
import type { RequestInfo, SignedInViewer } from "../../viewer.ts";
import { audit } from "../audit.ts";
import { publishViewerChanged } from "../bearer.ts";
import type { SessionService } from "../sessions.ts";
import type { createThrottle } from "../throttle.ts";
import { hashSecret } from "../tokens.ts";
import type { SecretBox } from "./secret-box.ts";
import { consumeToken, peekToken } from "./tokens.ts";

const ISSUER = "Userplane";
const RECOVERY_CODES = 10;

export interface MfaDeps {
  prisma: PrismaClient;
  sessions: SessionService;
  /** A second factor turned on or off changes whether the user's viewer must enrol first. */
  pubsub: PubSub;
  throttle: ReturnType<typeof createThrottle>;
  box: SecretBox;
}

function totpFor(secret: string, label: string) {
  return new TOTP({
    issuer: ISSUER,
    label,
    algorithm: "SHA1",
    digits: 6,
    period: 30,
    secret: Secret.fromBase32(secret),
  });
}

/** Recovery codes as people copy them: 10 hex digits (40 random bits) in two groups. */
function newRecoveryCode(): string {
  const raw = randomBytes(8).toString("hex").slice(0, 10);
  return `${raw.slice(0, 5)}-${raw.slice(5)}`;
}
const normaliseRecovery = (code: string) =>
  code
    .trim()
    .toLowerCase()
    .replace(/[^0-9a-f]/g, "");

const wrongCode = () => badInput("code", "The code is incorrect.");

export function createMfaFlows({ prisma, pubsub, sessions, throttle, box }: MfaDeps) {
  /**
   * Claims a code's time-step: only a step later than the last accepted one, in one conditional
   * update, so two requests racing with the same code cannot both pass.
   */
  async function claimStep(userId: string, step: number) {
    const { count } = await prisma.user.updateMany({
      where: { id: userId, OR: [{ totpLastStep: null }, { totpLastStep: { lt: step } }] },
      data: { totpLastStep: step },
    });
    return count === 1;
  }

  /** The secret in clear; one stored before sealing existed is sealed now. */
  async function secretOf(user: { id: string; totpSecret: string | null }) {
    if (!user.totpSecret) return null;
    if (!box.isSealed(user.totpSecret))
      await prisma.user.updateMany({
        where: { id: user.id, totpSecret: user.totpSecret },
        data: { totpSecret: box.seal(user.totpSecret, user.id) },
      });
    return box.open(user.totpSecret, user.id);
  }

  /**
   * Checks a TOTP code (one step of clock drift either way) or spends a recovery code. Guesses
   * count like failed sign-ins of the account, so a 6-digit code cannot be walked.
   */
  async function checkCode(userId: string, code: string, request: RequestInfo, allowRecovery: boolean) {
    const key = `mfa|${userId}`;
    await throttle.beforeSignIn(key, request);
    const user = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
    let ok = false;
    const digits = code.replace(/\s+/g, "");
    const secret = await secretOf(user);
    if (secret && /^\d{6}$/.test(digits)) {
      const totp = totpFor(secret, user.email);
      const delta = totp.validate({ token: digits, window: 1 });
      ok = delta !== null && (await claimStep(userId, totp.counter() + delta));
    }
    if (!ok && allowRecovery && user.totpEnabledAt) {
      const { count } = await prisma.recoveryCode.updateMany({
        where: { userId, codeHash: hashSecret(normaliseRecovery(code)), usedAt: null },
        data: { usedAt: new Date() },
      });
      ok = count === 1;
    }
    if (!ok) {
      await throttle.signInFailed(key, request);
      throw wrongCode();
    }
    await throttle.signInSucceeded(key, request);
    return user;
  }

  return {
    /** Starts enrolment: a new secret and its otpauth:// URI, shown this once. */
    async enrollTotp(viewer: SignedInViewer) {
      if (viewer.kind !== "session") throw forbidden("A second factor is set up from a signed-in session.");
      const user = await prisma.user.findUniqueOrThrow({ where: { id: viewer.userId } });
      if (user.totpEnabledAt) throw new AppError("CONFLICT", "Two-factor sign-in is already on; turn it off first.");
      const secret = new Secret({ size: 20 }).base32;
      await prisma.user.update({
        where: { id: user.id },
        data: { totpSecret: box.seal(secret, user.id), totpLastStep: null },
      });
      return { secret, uri: totpFor(secret, user.email).toString() };
    },

    /** Turns TOTP on with a first code from the app; returns the recovery codes, shown this once. */
    async confirmTotp(viewer: SignedInViewer, code: string, request: RequestInfo) {
      if (viewer.kind !== "session") throw forbidden("A second factor is set up from a signed-in session.");
      const pending = await prisma.user.findUniqueOrThrow({ where: { id: viewer.userId } });
      if (pending.totpEnabledAt) throw new AppError("CONFLICT", "Two-factor sign-in is already on.");
      if (!pending.totpSecret) throw badInput("code", "Start the set-up first (enrollTotp).");
      await checkCode(viewer.userId, code, request, false);
      const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
      await prisma.$transaction(async (tx) => {
        await tx.user.update({ where: { id: viewer.userId }, data: { totpEnabledAt: new Date() } });
        await tx.recoveryCode.deleteMany({ where: { userId: viewer.userId } });
        await tx.recoveryCode.createMany({
          data: codes.map((c) => ({ userId: viewer.userId, codeHash: hashSecret(normaliseRecovery(c)) })),
        });
        await audit(tx, {
          action: "user.mfa_enabled",
          tenantId: viewer.tenantId,
          userId: viewer.userId,
          resource: "User",
          resourceId: viewer.userId,
          request,
        });
      });
      publishViewerChanged(pubsub, viewer.userId, "second factor on");
      return codes;
    },

    /** Turns TOTP off; needs a fresh code (or a recovery code), not just the session. */
    async disableTotp(viewer: SignedInViewer, code: string, request: RequestInfo) {
      if (viewer.kind !== "session") throw forbidden("A second factor is managed from a signed-in session.");
      const user = await prisma.user.findUniqueOrThrow({ where: { id: viewer.userId } });
      if (!user.totpEnabledAt) return true;
      const tenant = await prisma.tenant.findUniqueOrThrow({ where: { id: viewer.tenantId } });
      if (tenant.requireMfa) throw forbidden("This tenant requires two-factor sign-in.");
      await checkCode(viewer.userId, code, request, true);
      await prisma.$transaction(async (tx) => {
        await tx.user.update({
          where: { id: viewer.userId },
          data: { totpSecret: null, totpEnabledAt: null, totpLastStep: null },
        });
        await tx.recoveryCode.deleteMany({ where: { userId: viewer.userId } });
        await audit(tx, {
          action: "user.mfa_disabled",
          tenantId: viewer.tenantId,
          userId: viewer.userId,
          resource: "User",
          resourceId: viewer.userId,
          request,
        });
      });
      publishViewerChanged(pubsub, viewer.userId, "second factor off");
      return true;
    },

    /** Answers a sign-in challenge with a TOTP or recovery code; the challenge survives a wrong code until it expires. */
    async completeSignIn(challengeToken: string, code: string, request: RequestInfo) {
      const challenge = await peekToken(prisma, challengeToken, "mfa_challenge");
      await checkCode(challenge.userId, code, request, true);
      const spent = await consumeToken(prisma, challengeToken, "mfa_challenge");
      if (!spent.tenantId) throw badInput("challengeToken", "This challenge names no tenant.");
      return sessions.startSession(spent.userId, spent.tenantId, request, undefined, { mfa: true });
    },

    /**
     * Checks a fresh TOTP or recovery code of `userId` for an action that needs one (deleting the
     * account): the same throttle and replay rule as sign-in; BAD_USER_INPUT (field `code`) when wrong.
     */
    verifySecondFactor: (userId: string, code: string, request: RequestInfo) =>
      checkCode(userId, code, request, true).then(() => true),

    async recoveryCodesLeft(userId: string) {
      return prisma.recoveryCode.count({ where: { userId, usedAt: null } });
    },
  };
}
