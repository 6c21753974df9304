// Errors as people read them. The server's messages are written for developers (zod's "Too big:
// expected string to have <=100 characters", "id: not a valid ID of the expected type"); the
// client words them from the stable parts: `extensions.code`, `extensions.field` and the numbers.
import type { CombinedError } from "urql";

type GqlError = { message: string; extensions?: Record<string, unknown> };

const codeMessages: Record<string, string> = {
  UNAUTHENTICATED: "Please sign in again.",
  FORBIDDEN: "You don't have permission to do that.",
  NOT_FOUND: "That item no longer exists.",
  RATE_LIMITED: "Too many attempts. Wait a moment and try again.",
  QUOTA_EXCEEDED: "Your tenant's quota is used up for this period.",
  CONFLICT: "That already exists.",
  BAD_USER_INPUT: "Please check what you entered.",
  INVALID_TOKEN: "This link is invalid, has expired or was already used. Ask for a new one.",
  EMAIL_NOT_VERIFIED: "Verify your email address first: open the link we mailed you.",
};

/** Field names as the forms label them, where splitting the camelCase name is not enough. */
const FIELD_LABELS: Record<string, string> = {
  memoryKey: "Key",
  memoryType: "Type",
  displayName: "Name",
  tenantName: "Tenant name",
  inviteToken: "Invitation",
  quotaLimit: "Limit",
  userIds: "People",
  sources: "Sources",
  items: "Items",
};

/** "input.preferences.defaultView" → "Default view". */
export function fieldLabel(field: string): string {
  const name = field.split(".").pop() ?? field;
  if (FIELD_LABELS[name]) return FIELD_LABELS[name];
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** "Try again in 895 s" → "in about 15 minutes". */
export function waitPhrase(seconds: number): string {
  if (seconds < 60) return `in ${Math.max(1, Math.ceil(seconds))} seconds`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `in about ${minutes} minute${minutes === 1 ? "" : "s"}`;
  const hours = Math.round(minutes / 60);
  return `in about ${hours} hour${hours === 1 ? "" : "s"}`;
}

const SIZE =
  /^Too (big|small): expected (string|number|array|int|bigint|date) to (?:have|be) ([<>]=?)(\S+?)( characters| items)?$/i;

/** One validation message for the person who typed the value (the field is shown beside it). */
export function humanizeIssue(field: string | undefined, raw: string): string {
  let message = raw.trim();
  // The server prefixes some messages with the field path ("input.memoryKey is required").
  if (field) {
    for (const prefix of [`${field}: `, `${field.split(".").pop()}: `]) {
      if (message.startsWith(prefix)) message = message.slice(prefix.length);
    }
  }
  const size = SIZE.exec(message);
  if (size) {
    const [, bigSmall, kind, , amount, unit] = size;
    const n = Number(amount);
    if (bigSmall?.toLowerCase() === "small" && kind === "string" && n <= 1) return "This can't be empty.";
    const bound = bigSmall?.toLowerCase() === "big" ? "at most" : "at least";
    const what = kind === "string" ? " characters" : kind === "array" || unit?.trim() === "items" ? " items" : "";
    return `Use ${bound} ${amount}${what}.`;
  }
  if (/is required$|^Required$/i.test(message)) return "This is required.";
  if (/not a valid ID|must be an ID/i.test(message)) return "This refers to something that doesn't exist (any more).";
  if (/^Invalid email/i.test(message)) return "Enter an email address, like name@example.com.";
  if (/^Invalid option/i.test(message)) return "Choose one of the offered options.";
  if (/^Invalid (input|url|string|date|datetime)/i.test(message)) return "This value isn't in a form we can use.";
  if (/no content to analyse/i.test(message))
    return "There is nothing to analyse yet: import some posts or texts first.";
  if (/give at least one item/i.test(message)) return "Add at least one item.";
  const perImport = /at most (\d+) per import/i.exec(message);
  if (perImport) return `Import at most ${perImport[1]} items at a time.`;
  // Whatever else: no API names in parentheses, camelCase field names as their labels.
  message = message
    .replace(/\s*\([a-z]+[A-Z]\w*\)/g, "")
    .replace(/\b(?:input\.)?([a-z]+[A-Z]\w*)\b/g, (_, name: string) => fieldLabel(name).toLowerCase());
  return capitalise(message);
}

/** A sentence for people, from an urql error. */
export function errorMessage(error: CombinedError | null | undefined): string | null {
  if (!error) return null;
  if (error.networkError) return "Can't reach the server. Check your connection and try again.";
  const first = error.graphQLErrors[0] as GqlError | undefined;
  if (!first) return "Something went wrong. Try again in a moment.";
  const ext = first.extensions ?? {};
  const code = typeof ext.code === "string" ? ext.code : null;
  if (code === "RATE_LIMITED") {
    const wait = Number(ext.retryAfterSeconds);
    return Number.isFinite(wait) && wait > 0
      ? `Too many attempts. Try again ${waitPhrase(wait)}.`
      : (codeMessages.RATE_LIMITED as string);
  }
  if (code === "BAD_USER_INPUT") {
    const issues = Array.isArray(ext.issues) ? (ext.issues as { field?: unknown; message?: unknown }[]) : [];
    const issue = issues[0] ?? { field: ext.field, message: first.message };
    const field = typeof issue.field === "string" && issue.field ? issue.field : undefined;
    const text = humanizeIssue(field, typeof issue.message === "string" ? issue.message : first.message);
    return field && !/nothing to analyse/.test(text) ? `${fieldLabel(field)}: ${text}` : text;
  }
  // Unexpected errors are masked by the server; the code still says what kind of problem it was.
  if (!code || first.message === "Unexpected error.")
    return code ? (codeMessages[code] ?? "Something went wrong.") : "Something went wrong. Try again in a moment.";
  return first.message || codeMessages[code] || "Something went wrong.";
}

export function errorCode(error: CombinedError | null | undefined): string | null {
  const code = (error?.graphQLErrors[0] as GqlError | undefined)?.extensions?.code;
  return typeof code === "string" ? code : null;
}

/** BAD_USER_INPUT errors that name a field, by the field's last name, worded for people, for inline messages. */
export function fieldErrors(error: CombinedError | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (field: unknown, message: unknown) => {
    if (typeof field !== "string" || !field || typeof message !== "string") return;
    const name = field.split(".").pop() ?? field;
    out[name] ??= humanizeIssue(field, message);
  };
  for (const e of (error?.graphQLErrors ?? []) as GqlError[]) {
    if (e.extensions?.code !== "BAD_USER_INPUT") continue;
    const issues = e.extensions?.issues;
    if (Array.isArray(issues) && issues.length) {
      for (const i of issues as { field?: unknown; message?: unknown }[]) put(i.field, i.message);
    } else {
      put(e.extensions?.field, e.message);
    }
  }
  return out;
}

const NOT_INPUTS = new Set([
  "id",
  "ids",
  "itemId",
  "agentId",
  "userAgentId",
  "userId",
  "userIds",
  "runId",
  "sources",
  "items",
]);

/**
 * The message for the top of a form: not repeating what shows beside a field. With `shown`
 * (the fields the form marks inline), errors on other fields are spelled out here.
 */
export function formErrorMessage(error: CombinedError | null | undefined, shown?: readonly string[]): string | null {
  if (!error) return null;
  const fields = fieldErrors(error);
  // Ids and lists the form sends but never shows as inputs: their errors must be said up here.
  const unshown = Object.entries(fields).filter(([f]) => (shown ? !shown.includes(f) : NOT_INPUTS.has(f)));
  if (unshown.length) return unshown.map(([f, m]) => (NOT_INPUTS.has(f) ? m : `${fieldLabel(f)}: ${m}`)).join(" ");
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
