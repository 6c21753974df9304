// Scalars with their limits built in, so every input of the type is bounded, whatever field takes it.
import { GraphQLError, GraphQLScalarType } from "graphql";
import { JSONResolver } from "graphql-scalars";
import { AppError } from "./errors.ts";
import { IncomingUpload } from "./http/multipart.ts";

/** A JSON input is at most this long serialised, and this deep. */
export const MAX_JSON_BYTES = 64 * 1024;
export const MAX_JSON_DEPTH = 20;

function depthWithin(value: unknown, max: number): boolean {
  // Iterative, so a hostile nesting cannot overflow the stack while it is being measured.
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== "object") continue;
    if (d > max) return false;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return true;
}

function bounded(value: unknown): unknown {
  if (!depthWithin(value, MAX_JSON_DEPTH))
    throw new AppError("BAD_USER_INPUT", `JSON may be nested at most ${MAX_JSON_DEPTH} levels deep.`);
  if (JSON.stringify(value).length > MAX_JSON_BYTES)
    throw new AppError("BAD_USER_INPUT", `JSON may be at most ${MAX_JSON_BYTES / 1024} KB.`);
  return value;
}

export const BoundedJSON = new GraphQLScalarType({
  ...JSONResolver.toConfig(),
  description: `Any JSON value, at most ${MAX_JSON_BYTES / 1024} KB and ${MAX_JSON_DEPTH} levels deep.`,
  parseValue: (value) => bounded(JSONResolver.parseValue(value)),
  parseLiteral: (ast, variables) => bounded(JSONResolver.parseLiteral(ast, variables)),
});

/**
 * A file sent as a part of a GraphQL multipart request (server/http/multipart.ts puts the live
 * part in the variables). It cannot be written inline in a document, nor returned.
 */
export const UploadScalar = new GraphQLScalarType<IncomingUpload, never>({
  name: "Upload",
  description:
    "A file part of a GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec).",
  serialize: () => {
    throw new GraphQLError("Upload is an input type.");
  },
  parseValue: (value) => {
    if (value instanceof IncomingUpload) return value;
    throw new GraphQLError("Upload must be a file part of a multipart request.", {
      extensions: { code: "BAD_USER_INPUT" },
    });
  },
  parseLiteral: () => {
    throw new GraphQLError("Upload must be a file part of a multipart request.", {
      extensions: { code: "BAD_USER_INPUT" },
    });
  },
});
