import SchemaBuilder from "@pothos/core";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import ValidationPlugin from "@pothos/plugin-validation";
import { DateResolver, DateTimeResolver, JSONResolver } from "graphql-scalars";
import { type ApiScope, type Context, hasApiScope, isSignedIn, isTenantAdmin } from "./context.ts";
import { AppError, forbidden, unauthenticated } from "./errors.ts";
import type PrismaTypes from "./generated/pothos-types.ts";
import { getDatamodel } from "./generated/pothos-types.ts";

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
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    Date: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
  };
}>({
  defaultFieldNullability: false,
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin, ValidationPlugin],
  scopeAuth: {
    authorizeOnSubscribe: true,
    // A type's rule runs once, where the object is returned: a denied object is null with one
    // error at the field that returned it (e.g. `node`), instead of one error per selected field
    // and a half-resolved object whose nullable fields and __typename still show it exists.
    runScopesOnType: true,
    treatErrorsAsUnauthorized: false,
    // Loaders, not values: signUp/signIn replace ctx.viewer mid-request, and the payload they
    // return must be authorized as the new user.
    authScopes: (ctx) => ({
      public: true,
      signedIn: () => isSignedIn(ctx.viewer),
      session: () => ctx.viewer.kind === "session",
      apiScope: (scope) => hasApiScope(ctx.viewer, scope),
      tenantAdmin: () => isTenantAdmin(ctx.viewer),
      self: (userId) => isSignedIn(ctx.viewer) && ctx.viewer.userId === userId,
      tenant: (tenantId) => isSignedIn(ctx.viewer) && ctx.viewer.tenantId === tenantId,
      oneOfUsers: (userIds) => isSignedIn(ctx.viewer) && userIds.includes(ctx.viewer.userId),
    }),
    unauthorizedError: (_parent, ctx) => (isSignedIn(ctx.viewer) ? forbidden() : unauthenticated()),
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
    // Deny by default means every field names its rule. These wrappers hold no data of their own:
    // `node`/`nodes` return objects whose type rules run on each result, and a connection, edge or
    // page info is only reachable through a field that has already been authorized.
    nodeQueryOptions: { authScopes: { public: true } },
    nodesQueryOptions: { authScopes: { public: true } },
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

builder.addScalarType("DateTime", DateTimeResolver);
builder.addScalarType("Date", DateResolver);
builder.addScalarType("JSON", JSONResolver);

builder.queryType({});
builder.mutationType({});
