import SchemaBuilder, { BasePlugin, isThenable, PothosValidationError, type SchemaTypes } from "@pothos/core";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin, { decodeGlobalID } from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import ValidationPlugin from "@pothos/plugin-validation";
import { DateResolver, DateTimeResolver, JSONResolver } from "graphql-scalars";
import type { Context } from "./context.ts";
import { AppError, forbidden, unauthenticated } from "./errors.ts";
import type PrismaTypes from "./generated/pothos-types.ts";
import { getDatamodel } from "./generated/pothos-types.ts";
import { type ApiScope, hasApiScope, isSignedIn, isTenantAdmin } from "./viewer.ts";

export const MAX_PAGE_SIZE = 100;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Path of the argument holding `value` (e.g. "id", "userIds", "input.agentId"), if any. */
function argPath(value: unknown, needle: string, prefix = ""): string | null {
  if (value === needle) return prefix;
  if (Array.isArray(value)) return value.some((v) => argPath(v, needle) !== null) ? prefix : null;
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const found = argPath(v, needle, prefix ? `${prefix}.${k}` : k);
      if (found !== null) return found;
    }
  }
  return null;
}

/**
 * A malformed global ID, or one of the wrong type, is the client's mistake. The relay plugin
 * reports it as an error without a code (and a well-formed ID around a non-UUID reached Prisma as
 * an internal error); this turns both into BAD_USER_INPUT naming the argument.
 */
class GlobalIdInputPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapArgMappers(resolver: Parameters<BasePlugin<Types>["wrapArgMappers"]>[0]) {
    if (!resolver) return resolver;
    const toInput = (error: unknown, args: object): unknown => {
      if (!(error instanceof PothosValidationError)) return error;
      const id = /^(?:Invalid global ID: (.*)|ID: (.*) is not of type: .*)$/s.exec(error.message);
      if (!id) return error;
      const field = argPath(args, id[1] ?? id[2] ?? "") ?? "id";
      return new AppError("BAD_USER_INPUT", `${field}: not a valid ID of the expected type`, { field });
    };
    return (parent: unknown, args: object, ctx: Types["Context"], info: Parameters<typeof resolver>[3]) => {
      try {
        const result = resolver(parent, args, ctx, info);
        return isThenable(result)
          ? Promise.resolve(result).catch((e: unknown) => {
              throw toInput(e, args);
            })
          : result;
      } catch (e) {
        throw toInput(e, args);
      }
    };
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      globalIdInput: GlobalIdInputPlugin<Types>;
    }
  }
}
SchemaBuilder.registerPlugin("globalIdInput", GlobalIdInputPlugin);

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
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin, ValidationPlugin, "globalIdInput"],
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
    // Every node is keyed by a UUID: anything else is a malformed ID, not a database error.
    decodeGlobalID: (globalID) => {
      const decoded = decodeGlobalID(globalID);
      if (!UUID.test(decoded.id)) throw new PothosValidationError(`Invalid global ID: ${globalID}`);
      return decoded;
    },
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
