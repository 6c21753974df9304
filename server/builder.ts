import SchemaBuilder, { createContextCache, PothosValidationError } from "@pothos/core";
import ComplexityPlugin from "@pothos/plugin-complexity";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin, { resolveNodes } from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import ValidationPlugin from "@pothos/plugin-validation";
import DataLoader from "dataloader";
import type { GraphQLResolveInfo } from "graphql";
import { DateResolver, DateTimeResolver } from "graphql-scalars";
import { z } from "zod";
import { fieldComplexity } from "./complexity.ts";
import type { Context, SessionContext, SignedInContext } from "./context.ts";
import { AppError, forbidden, isPrismaError, notFound, unauthenticated } from "./errors.ts";
import type { IncomingUpload } from "./http/multipart.ts";
import { parseGlobalId } from "./ids.ts";
import { BoundedJSON, UploadScalar } from "./scalars.ts";
import "./input-errors.ts";
import "./access-log-plugin.ts";
import "./loaded-columns-plugin.ts";
import "./public-types-plugin.ts";
import type PrismaTypes from "./generated/pothos-types.ts";
import { getDatamodel } from "./generated/pothos-types.ts";
import { type ApiScope, hasApiScope, isSignedIn, isTenantAdmin } from "./viewer.ts";

export const MAX_PAGE_SIZE = 100;

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  AuthScopes: {
    /** Anyone, signed in or not: sign-up, sign-in, health of the API. */
    public: boolean;
    signedIn: boolean;
    /** Signed in interactively; API keys cannot manage credentials. */
    session: boolean;
    /** A session, or an API key holding this scope. */
    apiScope: ApiScope;
    tenantAdmin: boolean;
    /** The viewer is this user. */
    self: string;
    /** The viewer's current tenant is this tenant. */
    tenant: string;
    /** The viewer is one of these users (e.g. those a UserAgent is shared with). */
    oneOfUsers: readonly string[];
  };
  // What a field's rule proves about the viewer: a field declared with `t.withAuth(scopes)` gets
  // a context typed by it, so its resolver never checks the viewer again.
  AuthContexts: {
    signedIn: SignedInContext;
    session: SessionContext;
    apiScope: SignedInContext;
    tenantAdmin: SignedInContext;
    self: SignedInContext;
    tenant: SignedInContext;
    oneOfUsers: SignedInContext;
  };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    Date: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    Upload: { Input: IncomingUpload; Output: never };
  };
}>({
  defaultFieldNullability: false,
  // accessLog wraps the type rules scope-auth runs, so it comes first (outermost), after only
  // publicTypes, which drops the checks of `{ public: true }` types. loadedColumns sits on both
  // sides of the Prisma plugin (see loaded-columns-plugin.ts).
  plugins: [
    "publicTypes",
    "accessLog",
    ScopeAuthPlugin,
    ComplexityPlugin,
    "loadedColumns",
    PrismaPlugin,
    "loadedColumnsInner",
    RelayPlugin,
    ValidationPlugin,
    "inputErrors",
  ],
  complexity: {
    fieldComplexity,
    // Read per request from the context, so they follow configuration (LIMIT_* variables).
    limit: (ctx) => ctx.config.limits,
    complexityError: (kind, r) =>
      new AppError(
        "QUERY_TOO_COMPLEX",
        `The query is too ${kind === "Depth" ? "deep" : kind === "Breadth" ? "broad" : "costly"} (${kind.toLowerCase()} ${r[kind.toLowerCase() as "depth"]}, at most ${r[`max${kind}` as "maxDepth"]}).`,
        { limit: kind.toLowerCase() },
      ),
  },
  scopeAuth: {
    authorizeOnSubscribe: true,
    // A type's rule runs once, where the object is returned: a denied object is null with one
    // error at the field that returned it (e.g. `node`), instead of one error per selected field
    // and a half-resolved object whose nullable fields and __typename still show it exists.
    runScopesOnType: true,
    treatErrorsAsUnauthorized: false,
    // Loaders, not values: signUp/signIn replace ctx.viewer mid-request, and the payload they
    // return must be authorized as the new user.
    // Made once per request or subscription: methods, not named arrows, because tsx (esbuild's
    // keepNames) gives every named closure a property table of its own, 256 bytes each.
    authScopes: (ctx) => ({
      public: true,
      signedIn() {
        return isSignedIn(ctx.viewer);
      },
      session() {
        return ctx.viewer.kind === "session";
      },
      apiScope(scope) {
        return hasApiScope(ctx.viewer, scope);
      },
      tenantAdmin() {
        return isTenantAdmin(ctx.viewer);
      },
      self(userId) {
        return isSignedIn(ctx.viewer) && ctx.viewer.userId === userId;
      },
      tenant(tenantId) {
        return isSignedIn(ctx.viewer) && ctx.viewer.tenantId === tenantId;
      },
      oneOfUsers(userIds) {
        return isSignedIn(ctx.viewer) && userIds.includes(ctx.viewer.userId);
      },
    }),
    // `node`/`nodes` answer the same for a row that is not the viewer's as for one that does not
    // exist: telling them apart would confirm that a guessed ID is real.
    unauthorizedError: (_parent, ctx, info) => {
      if (info.parentType.name === "Query" && (info.fieldName === "node" || info.fieldName === "nodes"))
        return notFound("Node");
      return isSignedIn(ctx.viewer) ? forbidden() : unauthenticated();
    },
  },
  prisma: {
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    maxConnectionSize: MAX_PAGE_SIZE,
    defaultConnectionSize: 20,
    onUnusedQuery: process.env.NODE_ENV === "production" ? null : "error",
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    // Every node is keyed by a UUID: anything else is a malformed ID, not a database error.
    decodeGlobalID: (globalID) => {
      const decoded = parseGlobalId(globalID);
      if (!decoded) throw new PothosValidationError(`Invalid global ID: ${globalID}`);
      return decoded;
    },
    // Deny by default means every field names its rule. These wrappers hold no data of their own:
    // `node`/`nodes` return objects whose type rules run on each result, and a connection, edge or
    // page info is only reachable through a field that has already been authorized.
    nodeQueryOptions: {
      authScopes: { public: true },
      resolve: (_root, args, ctx, info) =>
        loadNode(ctx, info, args.id).then((node) => {
          if (node instanceof Error) throw node;
          return node;
        }),
    },
    // Each ID on its own: one missing or hidden row is null with its own error, not the whole list.
    nodesQueryOptions: {
      authScopes: { public: true },
      args: {
        ids: { validate: z.array(z.unknown()).max(MAX_PAGE_SIZE, `at most ${MAX_PAGE_SIZE} ids`) },
      },
      resolve: (_root, args, ctx, info) => Promise.all(args.ids.map((id) => loadNode(ctx, info, id))),
    },
    pageInfoTypeOptions: { authScopes: { public: true } },
    defaultConnectionTypeOptions: { authScopes: { public: true } },
    defaultEdgeTypeOptions: { authScopes: { public: true } },
  },
  validation: {
    validationError: (result) => {
      const issue = result.issues[0];
      const field = issue?.path?.map((p) => (typeof p === "object" ? String(p.key) : String(p))).join(".") ?? "";
      return new AppError("BAD_USER_INPUT", issue ? `${field ? `${field}: ` : ""}${issue.message}` : "Invalid input", {
        field,
        issues: result.issues.map((i) => ({
          field: i.path?.map((p) => (typeof p === "object" ? String(p.key) : String(p))).join("."),
          message: i.message,
        })),
      });
    },
  },
});

/**
 * One node by global ID, or NOT_FOUND, the same error a row the viewer may not see gets (see
 * unauthorizedError): a missing row and another tenant's row look alike.
 */
function loadNode(ctx: Context, info: GraphQLResolveInfo, id: { id: string; typename: string }): Promise<unknown> {
  const load = hasBatchLoader(id.typename)
    ? batchOf(ctx, info, id.typename).load(id.id)
    : resolveNodes(builder, ctx, info, [id]).then(([node]) => node);
  return load.then(
    (node) => node ?? notFound("Node"),
    (e: unknown) => {
      if (isPrismaError(e, "P2025")) return notFound("Node");
      throw e;
    },
  );
}

// `node` and `nodes` resolve each ID on its own (above), so a type that loads its rows with a batch
// loader of its own (`loadMany`, e.g. the transparency log's entries) would get one call, one
// statement, per ID. Its IDs asked in the same turn of one request are gathered here into one call,
// as Prisma gathers the findUnique calls of the Prisma types. Such a loader reads no selection from
// `info` (only Prisma's loadWithoutCache does), so the first caller's serves the batch.
const batchLoaders = new Map<string, boolean>();
function hasBatchLoader(typename: string): boolean {
  let has = batchLoaders.get(typename);
  if (has === undefined) {
    // An ID may name any type, or none: those fail in resolveNodes, per ID, as before (and are
    // not remembered: the names a client sends are not bounded, the schema's types are).
    let options: { loadMany?: unknown };
    try {
      options = builder.configStore.getTypeConfig(typename, "Object").pothosOptions as typeof options;
    } catch {
      return false;
    }
    has = typeof options.loadMany === "function";
    batchLoaders.set(typename, has);
  }
  return has;
}

const nodeBatches = createContextCache((_ctx: Context) => new Map<string, DataLoader<string, unknown>>());
function batchOf(ctx: Context, info: GraphQLResolveInfo, typename: string): DataLoader<string, unknown> {
  const batches = nodeBatches(ctx);
  let loader = batches.get(typename);
  if (!loader) {
    // No cache of its own: resolveNodes keeps the request's (and a live query renews it per event).
    loader = new DataLoader(
      (ids: readonly string[]) =>
        resolveNodes(
          builder,
          ctx,
          info,
          ids.map((id) => ({ id, typename })),
        ),
      { cache: false },
    );
    batches.set(typename, loader);
  }
  return loader;
}

builder.addScalarType("DateTime", DateTimeResolver);
builder.addScalarType("Date", DateResolver);
builder.addScalarType("JSON", BoundedJSON);
builder.addScalarType("Upload", UploadScalar);

builder.queryType({});
builder.mutationType({});
