// What one request may cost, checked before it costs anything: body size, document size (tokens,
// aliases, directives), and who may introspect. Depth, breadth and cost by page size are the
// complexity plugin's (server/complexity.ts); sign-in and sign-up throttles are the auth service's.
import type { IncomingMessage, ServerResponse } from "node:http";
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { type DocumentNode, GraphQLError, Kind, visit } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Config } from "../config.ts";
import type { Context } from "../context.ts";

export function armorPlugin(config: Config): Plugin {
  const production = config.NODE_ENV === "production";
  return EnvelopArmorPlugin({
    maxAliases: { n: config.LIMIT_ALIASES, exposeLimits: true },
    maxTokens: { n: config.LIMIT_TOKENS, exposeLimits: true },
    maxDirectives: { n: config.LIMIT_DIRECTIVES, exposeLimits: true },
    // Depth and cost are the complexity plugin's: it knows page sizes, armor does not.
    maxDepth: { enabled: false },
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: production },
  }) as Plugin;
}

const LIMIT_MESSAGE = /limit of \d+ exceeded|Token limit/i;

/** Armor's refusals (aliases, tokens, directives) come as parse or validation errors with no code. */
export const isLimitError = (message: string) => LIMIT_MESSAGE.test(message);

const codeFor = (message: string) =>
  isLimitError(message)
    ? "QUERY_TOO_COMPLEX"
    : message.startsWith("Required CSRF header")
      ? "FORBIDDEN"
      : "BAD_USER_INPUT";

/** The error with a stable code, when it was raised before any resolver ran without one. */
export const withCode = (e: GraphQLError) =>
  e.path ||
  !(e.extensions?.code === undefined || (e.extensions.code === "GRAPHQL_PARSE_FAILED" && isLimitError(e.message)))
    ? e
    : new GraphQLError(e.message, {
        nodes: e.nodes,
        source: e.source,
        positions: e.positions,
        originalError: e.originalError,
        extensions: { ...e.extensions, code: codeFor(e.message) },
      });

/**
 * Every error a client sees carries a stable code. Errors raised before any resolver runs (parse
 * and validation errors, variables of the wrong type, armor's limits) come without one.
 */
export function errorCodesPlugin(): Plugin {
  return {
    onResultProcess: ({ result, setResult }) => {
      if (Array.isArray(result) || !result || typeof result !== "object" || !("errors" in result)) return;
      const errors = result.errors as readonly GraphQLError[] | undefined;
      if (!errors?.some((e) => withCode(e) !== e)) return;
      setResult({ ...result, errors: errors.map((e) => (e instanceof GraphQLError ? withCode(e) : e)) });
    },
    onExecute: () => ({
      onExecuteDone: ({ result, setResult }) => {
        if (!("errors" in result) || !result.errors?.some((e) => e.extensions?.code === undefined && !e.path)) return;
        setResult({ ...result, errors: result.errors.map(withCode) });
      },
    }),
  };
}

/** What the guards ask of a document: facts of its text alone, so found once per parsed document. */
interface DocumentFacts {
  asksForSchema: boolean;
  /** A string literal holding a NUL byte. */
  nulLiteral: boolean;
}

// Yoga's parser cache hands the same DocumentNode to every request with the same text, so a
// repeated query is not walked again on each request (two full visits of its AST per request).
const documentFacts = new WeakMap<DocumentNode, DocumentFacts>();

function factsOf(document: DocumentNode): DocumentFacts {
  let facts = documentFacts.get(document);
  if (facts) return facts;
  facts = { asksForSchema: false, nulLiteral: false };
  const found = facts;
  visit(document, {
    [Kind.FIELD]: (node) => {
      if (node.name.value === "__schema" || node.name.value === "__type") found.asksForSchema = true;
    },
    [Kind.STRING]: (node) => {
      if (node.value.includes("\u0000")) found.nulLiteral = true;
    },
  });
  documentFacts.set(document, facts);
  return facts;
}

/** Introspection for everyone, for signed-in viewers only, or for nobody (INTROSPECTION). */
export function introspectionPlugin(mode: Config["introspection"]): Plugin {
  if (mode === "on") return {};
  return {
    onExecute: ({ args, setResultAndStopExecution }) => {
      const ctx = args.contextValue as unknown as Context;
      if (mode === "signed-in" && ctx.viewer.kind !== "anonymous") return;
      if (!factsOf(args.document).asksForSchema) return;
      setResultAndStopExecution({
        errors: [
          new GraphQLError(mode === "off" ? "Introspection is turned off." : "Sign in to introspect the schema.", {
            extensions: { code: mode === "off" ? "FORBIDDEN" : "UNAUTHENTICATED" },
          }),
        ],
      });
    },
  };
}

/**
 * Refuses a body over MAX_BODY_BYTES before it is read. A POST must say its length: a chunked
 * body of unknown size could only be refused after it had been read.
 */
export function refuseLargeBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): boolean {
  if (req.method !== "POST" && req.method !== "PUT") return false;
  const length = req.headers["content-length"];
  const refuse = (status: number, message: string) => {
    res.writeHead(status, { "content-type": "application/json", connection: "close" });
    res.end(JSON.stringify({ errors: [{ message, extensions: { code: "PAYLOAD_TOO_LARGE" } }] }));
    req.resume();
    return true;
  };
  if (length === undefined) return refuse(411, "Send the body with a Content-Length header.");
  if (!/^\d+$/.test(length) || Number(length) > maxBytes)
    return refuse(413, `The request body is larger than ${maxBytes} bytes.`);
  return false;
}

/**
 * The client's address: the socket's, or with proxies in front, the entry that many hops from
 * the right of X-Forwarded-For (entries further left are written by the client and mean nothing).
 */
export function clientAddress(forwardedFor: string | null | undefined, socketIp: string | null, hops: number) {
  if (hops === 0 || !forwardedFor) return socketIp;
  const chain = forwardedFor
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return chain[Math.max(0, chain.length - hops)] ?? socketIp;
}

const MAX_VARIABLE_DEPTH = 32;

/** The first place in `value` where a string holds a NUL byte, or the nesting goes too deep. */
function badVariable(value: unknown, path: string): { path: string; reason: string } | null {
  const stack: [unknown, string, number][] = [[value, path, 0]];
  while (stack.length) {
    const [v, p, depth] = stack.pop() as [unknown, string, number];
    if (typeof v === "string") {
      if (v.includes("\u0000")) return { path: p, reason: "must not contain NUL characters" };
    } else if (v && typeof v === "object") {
      if (depth >= MAX_VARIABLE_DEPTH)
        return { path: p, reason: `is nested more than ${MAX_VARIABLE_DEPTH} levels deep` };
      for (const [k, child] of Object.entries(v)) {
        if (k.includes("\u0000")) return { path: p, reason: "must not contain NUL characters" };
        stack.push([child, p ? `${p}.${k}` : k, depth + 1]);
      }
    }
  }
  return null;
}

/**
 * Text that PostgreSQL cannot store (NUL bytes) and nesting no field needs are refused before
 * anything runs, for every argument at once, instead of failing deep inside a write.
 */
export function inputShapePlugin(): Plugin {
  return {
    onExecute: ({ args, setResultAndStopExecution }) => {
      const bad =
        badVariable(args.variableValues ?? {}, "") ??
        (factsOf(args.document).nulLiteral ? { path: "", reason: "must not contain NUL characters" } : null);
      if (!bad) return;
      setResultAndStopExecution({
        errors: [
          new GraphQLError(`${bad.path ? `${bad.path}: ` : "Text "}${bad.reason}`, {
            extensions: { code: "BAD_USER_INPUT", field: bad.path },
          }),
        ],
      });
    },
  };
}
