// Every read of a user's data by someone else is noted for the privacy transparency log, by design
// rather than per resolver. The one place where an object's owner is known and its reader has just
// been allowed to see it is the type rule (access.ts), which the scope-auth plugin runs in the
// type's isTypeOf (runScopesOnType) for every object of the type that any field returns: lists,
// node(id), nested relations, mutation payloads and subscription events, over every transport.
// This plugin wraps that isTypeOf from outside (it is listed before ScopeAuthPlugin) and notes the
// read once the rule has granted it. Which types hold a user's data is read from the Prisma
// datamodel: a model with a `userId` column (its owner, by the schema's convention), and User itself. A new type
// over such a model is logged without a line of its own.
import SchemaBuilder, {
  BasePlugin,
  isThenable,
  type PothosObjectTypeConfig,
  PothosSchemaError,
  type SchemaTypes,
} from "@pothos/core";
import type { GraphQLIsTypeOfFn, GraphQLResolveInfo, GraphQLTypeResolver } from "graphql";
import type { Context } from "./context.ts";
import { getDatamodel } from "./generated/pothos-types.ts";
import { NOTED_READS, type ReadCollector } from "./live/shared-results.ts";

const datamodel = getDatamodel().datamodel.models;

/** The field of a model's row that names the user it belongs to, if it belongs to one. */
export function ownerFieldOf(model: string): string | null {
  if (model === "User") return "id";
  const fields = datamodel[model]?.fields ?? [];
  return fields.some((f) => f.kind === "scalar" && f.name === "userId") ? "userId" : null;
}

// graphql-js may call isTypeOf while resolving an abstract type (choosing the object type); only
// the call that completes the object is a read. Set synchronously around every resolveType.
let resolvingType = 0;

function rootField(info: GraphQLResolveInfo): string {
  let path = info.path;
  while (path.prev) path = path.prev;
  return String(path.key);
}

function noteRead(parent: unknown, ctx: Context, info: GraphQLResolveInfo, resource: string, ownerField: string) {
  const viewer = ctx.viewer;
  if (viewer.kind === "anonymous") return;
  const subject = (parent as Record<string, unknown>)[ownerField];
  if (typeof subject !== "string") return;
  // A user reading their own data in a session is not logged; an API key is, even the user's own
  // (an integration acting for them is exactly what the log is there to show).
  if (viewer.kind === "session" && subject === viewer.userId) return;
  const read = {
    subjectUserId: subject,
    resource,
    operationType: info.operation.operation,
    operationName: info.operation.name?.value ?? null,
  };
  // A subscription event executed once for several subscribers: each of them notes it too.
  (ctx as Context & ReadCollector)[NOTED_READS]?.push({ read, field: () => rootField(info) });
  // Unnamed, not a `const`: tsx (esbuild's keepNames) names every named closure with a property
  // definition, and this one is made for every row another user's data is read from.
  ctx.services.accessLog.note(ctx, viewer, ctx.request, read, () => rootField(info));
}

class AccessLogPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolveType(resolveType: GraphQLTypeResolver<unknown, Types["Context"]>) {
    return ((...args: Parameters<GraphQLTypeResolver<unknown, Types["Context"]>>) => {
      resolvingType++;
      try {
        return resolveType(...args);
      } finally {
        resolvingType--;
      }
    }) as GraphQLTypeResolver<unknown, Types["Context"]>;
  }

  override wrapIsTypeOf(
    isTypeOf: GraphQLIsTypeOfFn<unknown, Types["Context"]> | undefined,
    typeConfig: PothosObjectTypeConfig,
  ): GraphQLIsTypeOfFn<unknown, Types["Context"]> | undefined {
    const model = (typeConfig.extensions as { pothosPrismaModel?: string } | undefined)?.pothosPrismaModel;
    const ownerField = model ? ownerFieldOf(model) : null;
    if (!ownerField) return isTypeOf;
    // Deny by default: a type over a user's rows has a rule (access.ts), and the rule is what runs here.
    if (!isTypeOf)
      throw new PothosSchemaError(
        `${typeConfig.name} holds a user's data (${model}) but has no type rule in access.ts`,
      );
    const resource = typeConfig.name;
    return (parent, ctx, info) => {
      const granted = isTypeOf(parent, ctx, info);
      if (resolvingType) return granted;
      if (isThenable(granted))
        return Promise.resolve(granted).then((ok) => {
          if (ok) noteRead(parent, ctx as Context, info, resource, ownerField);
          return ok;
        });
      if (granted) noteRead(parent, ctx as Context, info, resource, ownerField);
      return granted;
    };
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      accessLog: AccessLogPlugin<Types>;
    }
  }
}
SchemaBuilder.registerPlugin("accessLog", AccessLogPlugin);
