import type { CombinedError } from "urql";

type GqlError = { message: string; extensions?: Record<string, unknown> };

const codeMessages: Record<string, string> = {
  UNAUTHENTICATED: "Please sign in again.",
  FORBIDDEN: "You don't have permission to do that.",
  NOT_FOUND: "That item no longer exists.",
  RATE_LIMITED: "Too many requests. Wait a moment and try again.",
  QUOTA_EXCEEDED: "Your tenant's quota is used up for this period.",
};

/** A sentence for people, from an urql error: the server's message when it has one. */
export function errorMessage(error: CombinedError | null | undefined): string | null {
  if (!error) return null;
  if (error.networkError) return "Can't reach the server. Check your connection and try again.";
  const first = error.graphQLErrors[0] as GqlError | undefined;
  if (!first) return error.message;
  const code = first.extensions?.code;
  if (
    typeof code === "string" &&
    code !== "BAD_USER_INPUT" &&
    code !== "CONFLICT" &&
    first.message === "Unexpected error."
  )
    return codeMessages[code] ?? first.message;
  return first.message || (typeof code === "string" ? (codeMessages[code] ?? code) : "Something went wrong.");
}

export function errorCode(error: CombinedError | null | undefined): string | null {
  const code = (error?.graphQLErrors[0] as GqlError | undefined)?.extensions?.code;
  return typeof code === "string" ? code : null;
}

/** BAD_USER_INPUT errors that name a field (extensions.field / extensions.issues), by field name, for inline messages. */
export function fieldErrors(error: CombinedError | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (field: unknown, message: unknown) => {
    if (typeof field !== "string" || typeof message !== "string") return;
    const name = field.split(".").pop() ?? field;
    out[name] ??= message.charAt(0).toUpperCase() + message.slice(1);
  };
  for (const e of (error?.graphQLErrors ?? []) as GqlError[]) {
    if (e.extensions?.code !== "BAD_USER_INPUT") continue;
    const issues = e.extensions.issues;
    if (Array.isArray(issues) && issues.length) {
      for (const i of issues as { field?: unknown; message?: unknown }[]) put(i.field, i.message);
    } else {
      const field = e.extensions.field;
      put(field, typeof field === "string" ? e.message.replace(new RegExp(`^${field}: `), "") : e.message);
    }
  }
  return out;
}

/**
 * The message for the top of a form: not repeating what shows beside a field. With `shown`
 * (the fields the form marks inline), errors on other fields are spelled out here.
 */
export function formErrorMessage(error: CombinedError | null | undefined, shown?: readonly string[]): string | null {
  if (!error) return null;
  const fields = fieldErrors(error);
  const unshown = shown ? Object.entries(fields).filter(([f]) => !shown.includes(f)) : [];
  if (unshown.length) return unshown.map(([f, m]) => `${f}: ${m}`).join(" ");
  const rest = (error.graphQLErrors as GqlError[]).filter(
    (e) =>
      !(
        e.extensions?.code === "BAD_USER_INPUT" &&
        (typeof e.extensions.field === "string" || Array.isArray(e.extensions.issues))
      ),
  );
  if (Object.keys(fields).length && !rest.length && !error.networkError)
    return "Please correct the fields marked below.";
  return errorMessage(error);
}
