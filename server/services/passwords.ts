import { hash, verify } from "@node-rs/argon2";

export type PasswordCost = "standard" | "test";

// OWASP's argon2id baseline. Tests sign up thousands of users on two cores, and the suite spent
// most of its time here; they use the smallest cost argon2 allows, which still hashes for real.
const COSTS = {
  standard: { memoryCost: 19_456, timeCost: 2, parallelism: 1 },
  test: { memoryCost: 8, timeCost: 1, parallelism: 1 },
} as const;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Checks a password against a stored hash, or spends the same time when there is none. */
  verify(storedHash: string | null, password: string): Promise<boolean>;
}

export function createPasswordHasher(cost: PasswordCost): PasswordHasher {
  const options = COSTS[cost];
  // Spent on unknown emails too, so timing does not tell whether an account exists.
  let dummy: Promise<string> | null = null;
  return {
    hash: (password) => hash(password, options),
    async verify(storedHash, password) {
      if (storedHash) return verify(storedHash, password);
      dummy ??= hash("userplane-timing-equaliser", options);
      await verify(await dummy, password);
      return false;
    },
  };
}
