// Types whose rule is `{ public: true }` and nothing else (relay's connections, edges and page
// info: they hold no data of their own, see builder.ts) answer the same for every object, and the
// builder's `public` scope is the constant `true`. Yet with runScopesOnType, scope-auth gives them
// an isTypeOf that graphql-js calls for every edge of every list, each time opening the request's
// scope cache and evaluating the map again. Such a type keeps no isTypeOf at all: graphql-js then
// completes the object without asking, which is what the check answered anyway.
//
// Listed first, so it sees the isTypeOf every other plugin made; it only drops one when the type
// had none of its own, and a type with interfaces (whose scopes could also apply) keeps its check.
import SchemaBuilder, { BasePlugin, type PothosObjectTypeConfig, type SchemaTypes } from "@pothos/core";
import type { GraphQLIsTypeOfFn } from "graphql";

/** The rule is exactly `{ public: true }`: a map, not a function, granting only the constant scope. */
function onlyPublic(config: PothosObjectTypeConfig): boolean {
  const options = config.pothosOptions as { authScopes?: unknown; grantScopes?: unknown; isTypeOf?: unknown };
  const scopes = options.authScopes;
  if (!scopes || typeof scopes !== "object" || options.grantScopes || options.isTypeOf) return false;
  const keys = Object.keys(scopes);
  return keys.length === 1 && keys[0] === "public" && (scopes as { public?: unknown }).public === true;
}

class PublicTypesPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapIsTypeOf(
    isTypeOf: GraphQLIsTypeOfFn<unknown, Types["Context"]> | undefined,
    typeConfig: PothosObjectTypeConfig,
  ): GraphQLIsTypeOfFn<unknown, Types["Context"]> | undefined {
    return typeConfig.interfaces.length === 0 && onlyPublic(typeConfig) ? undefined : isTypeOf;
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      publicTypes: PublicTypesPlugin<Types>;
    }
  }
}
SchemaBuilder.registerPlugin("publicTypes", PublicTypesPlugin);
