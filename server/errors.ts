import { GraphQLError } from "graphql";

/** The stable `extensions.code` values clients may rely on. */
export type ErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "BAD_USER_INPUT"
  | "RATE_LIMITED"
  | "QUOTA_EXCEEDED"
  | "CONFLICT"
  /** An account link or challenge token that is unknown, expired or already used. */
  | "INVALID_TOKEN"
  /** The tenant lets only members with a verified email sign in. */
  | "EMAIL_NOT_VERIFIED"
  /** The tenant requires a second factor and the viewer has none yet: only enrolment is open. */
  | "MFA_ENROLLMENT_REQUIRED"
  /** The action would leave a tenant with members but no admin: appoint another admin first. */
  | "LAST_ADMIN"
  /** A tenant admin deactivated this account: it cannot sign in (told only to whoever gave the right password). */
  | "ACCOUNT_DEACTIVATED"
  /** The account is deleted and waits for its purge: only cancelAccountDeletion opens it again. */
  | "ACCOUNT_PENDING_DELETION"
  /** Depth, breadth, cost, aliases, tokens, directives or subscriptions over their limit. */
  | "QUERY_TOO_COMPLEX"
  | "PAYLOAD_TOO_LARGE";

export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
  }
}

export const unauthenticated = (message = "Sign in to do this.") => new AppError("UNAUTHENTICATED", message);
export const forbidden = (message = "You are not allowed to do this.") => new AppError("FORBIDDEN", message);
export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} was not found.`);
export const badInput = (field: string, message: string) => new AppError("BAD_USER_INPUT", message, { field });
export const rateLimited = (retryAfterSeconds: number) =>
  new AppError("RATE_LIMITED", `Too many attempts. Try again in ${retryAfterSeconds} s.`, { retryAfterSeconds });
export const quotaExceeded = (message: string) => new AppError("QUOTA_EXCEEDED", message);

/** Prisma "record not found" and unique violations mapped to client errors. */
export function isPrismaError(e: unknown, code: string): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === code;
}
