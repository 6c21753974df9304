// Sign-in and sign-up throttles after OWASP's authentication cheat sheet: no hard lock-out that a
// stranger can trigger. Failures count per (account, address): past a few free ones, each further
// try from that address must wait twice as long as the last. Failures per address across all
// accounts are capped per hour (password spraying), and a success never resets that count.
// Sign-ups are capped per address per hour. Counts live in the database (rate-limiter-flexible's
// Prisma store), so every instance shares them.
import { RateLimiterPrisma, RateLimiterRes } from "rate-limiter-flexible";
import { rateLimited } from "../errors.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { RequestInfo } from "../viewer.ts";

export interface ThrottleOptions {
  /** Failures per (account, address) before tries must wait. */
  freeFailures: number;
  failuresPerAddressHour: number;
  signUpsPerAddressHour: number;
}

const FIRST_WAIT_SECONDS = 30;
const MAX_WAIT_SECONDS = 15 * 60;
const DAY = 86_400;

export function createThrottle(prisma: PrismaClient, options: ThrottleOptions) {
  const store = (keyPrefix: string, points: number, duration: number) =>
    new RateLimiterPrisma({
      storeClient: prisma,
      tableName: "rateLimitUsage",
      keyPrefix,
      points,
      duration,
      clearExpiredByTimeout: false,
    });
  const pairFailures = store("signin-pair", 1_000_000, DAY);
  const pairWait = store("signin-wait", 1, 1);
  const addressFailures = store("signin-address", options.failuresPerAddressHour, 3600);
  const signUps = store("signup-address", options.signUpsPerAddressHour, 3600);

  const pairKey = (email: string, request: RequestInfo) => `${email}|${request.ip ?? "-"}`;
  const refuseIfSpent = async (limiter: RateLimiterPrisma, key: string) => {
    const res = await limiter.get(key);
    if (res && res.remainingPoints <= 0 && res.msBeforeNext > 0) throw rateLimited(Math.ceil(res.msBeforeNext / 1000));
  };
  const spend = (limiter: RateLimiterPrisma, key: string) =>
    limiter.penalty(key, 1).catch((e: unknown) => {
      if (!(e instanceof RateLimiterRes)) throw e;
      return e;
    });

  return {
    /** Before the password is checked: refuses a try that must still wait. */
    async beforeSignIn(email: string, request: RequestInfo) {
      await refuseIfSpent(pairWait, pairKey(email, request));
      if (request.ip) await refuseIfSpent(addressFailures, request.ip);
    },

    async signInFailed(email: string, request: RequestInfo) {
      const key = pairKey(email, request);
      const res = await spend(pairFailures, key);
      const over = res.consumedPoints - options.freeFailures;
      if (over >= 0) await pairWait.block(key, Math.min(FIRST_WAIT_SECONDS * 2 ** over, MAX_WAIT_SECONDS));
      if (request.ip) await spend(addressFailures, request.ip);
    },

    /** The owner got in from this address: their own count starts again; the address's does not. */
    async signInSucceeded(email: string, request: RequestInfo) {
      const key = pairKey(email, request);
      await Promise.all([pairFailures.delete(key), pairWait.delete(key)]);
    },

    async beforeSignUp(request: RequestInfo) {
      if (!request.ip) return;
      await refuseIfSpent(signUps, request.ip);
      await spend(signUps, request.ip);
    },
  };
}
