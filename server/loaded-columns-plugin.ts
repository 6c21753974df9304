// A column exposed on a Prisma type in select mode (`t.exposeString("name")`) is resolved by the
// Prisma plugin through its plan: for every row and every such field it looks the field's mapping
// up by response path (building path strings) and records the mapping again under the field's
// path (a WeakMap entry), and only loads the row again when no plan claimed the field. For a plain
// column that work proves nothing the row does not already show: the column is on the row object,
// or it is `undefined` because no query selected it. So a row that carries the column answers from
// it directly, and a row that lacks it still takes the plugin's path (and its reload).
//
// Two plugins, because the resolver to call is the one inside the Prisma plugin's wrapper:
// `loadedColumnsInner` (listed after the Prisma plugin) keeps it, `loadedColumns` (listed before)
// chooses per row. Plugins listed before (scope-auth, the access log) still wrap both paths.
import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from "@pothos/core";
import type { GraphQLFieldResolver } from "graphql";

type Resolver = GraphQLFieldResolver<unknown, unknown, object>;

// Keyed by the field's config, which Pothos hands to every plugin's wrapResolve for one field.
const innerResolvers = new WeakMap<object, Resolver>();

/** The column a field exposes as it is, if it is such a field; null for anything computed or related. */
function exposedColumn(fieldConfig: PothosOutputFieldConfig<SchemaTypes>): string | null {
  if (fieldConfig.kind !== "PrismaObject" || Object.keys(fieldConfig.args).length > 0) return null;
  const ext = fieldConfig.extensions as Record<string, unknown> | undefined;
  const column = ext?.pothosExposedField;
  const select = ext?.pothosPrismaSelect;
  if (typeof column !== "string" || ext?.pothosPrismaVariant !== column) return null;
  if (ext.pothosPrismaLoaded || ext.pothosPrismaFallback) return null;
  // Exactly `{ [column]: true }`: the field reads that column and nothing related.
  if (!select || typeof select !== "object") return null;
  const keys = Object.keys(select);
  return keys.length === 1 && keys[0] === column && (select as Record<string, unknown>)[column] === true
    ? column
    : null;
}

class LoadedColumnsInnerPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types["Context"], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ) {
    if (exposedColumn(fieldConfig as PothosOutputFieldConfig<SchemaTypes>))
      innerResolvers.set(fieldConfig, resolver as Resolver);
    return resolver;
  }
}

class LoadedColumnsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types["Context"], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ) {
    const inner = innerResolvers.get(fieldConfig);
    const column = exposedColumn(fieldConfig as PothosOutputFieldConfig<SchemaTypes>);
    if (!inner || !column || inner === resolver) return resolver;
    return ((parent: Record<string, unknown>, args, ctx, info) =>
      parent[column] !== undefined
        ? inner(parent, args, ctx, info)
        : resolver(parent, args, ctx, info)) as typeof resolver;
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      loadedColumns: LoadedColumnsPlugin<Types>;
      loadedColumnsInner: LoadedColumnsInnerPlugin<Types>;
    }
  }
}
SchemaBuilder.registerPlugin("loadedColumns", LoadedColumnsPlugin);
SchemaBuilder.registerPlugin("loadedColumnsInner", LoadedColumnsInnerPlugin);
