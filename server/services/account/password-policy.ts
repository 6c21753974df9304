// The one password policy, for sign-up, reset and change: a length range, and not one of the
// ~49,000 most common passwords seen in breaches (the list zxcvbn-ts ships and keeps).
import type * as Zxcvbn from "@zxcvbn-ts/language-common";
import { z } from "zod";
import { requireOnUse } from "../../require-on-use.ts";

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;

let common: Set<string> | null = null;
function commonPasswords(): Set<string> {
  const { dictionary } = requireOnUse("@zxcvbn-ts/language-common") as typeof Zxcvbn;
  common ??= new Set((dictionary["passwords-common"] as string[]).map((p) => p.toLowerCase()));
  return common;
}

export function isCommonPassword(password: string): boolean {
  const p = password.toLowerCase();
  return commonPasswords().has(p) || commonPasswords().has(p.replace(/\s+/g, ""));
}

export const passwordPolicy = z
  .string()
  .min(PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`)
  .refine((p) => !isCommonPassword(p), "is one of the most common passwords (found in breaches); choose another");
