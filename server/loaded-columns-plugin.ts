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
import { getDatamodel } from "./generated/pothos-types.ts";

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

type Row = Record<string, unknown>;
type Carries = (row: Row) => boolean;

const models = getDatamodel().datamodel.models;

/**
 * A check that a row of `model` carries everything `select` reads, or null when the selection is
 * not a plain one (see the head of this file): columns as `true`, to-one relations as `{ select }`.
 */
function carriesCheck(model: string, select: unknown): Carries | null {
  if (!select || typeof select !== "object") return null;
  const fields = models[model]?.fields;
  if (!fields) return null;
  const checks: Carries[] = [];
  for (const [key, value] of Object.entries(select)) {
    const field = fields.find((f) => f.name === key);
    if (!field) return null;
    if (field.kind !== "object") {
      if (value !== true) return null;
      checks.push((row) => row[key] !== undefined);
      continue;
    }
    if (field.isList || !value || typeof value !== "object") return null;
    const keys = Object.keys(value);
    if (keys.length !== 1 || keys[0] !== "select") return null;
    const nested = carriesCheck(field.type, (value as { select: unknown }).select);
    if (!nested) return null;
    // A to-one relation the query loaded and found empty is null, not undefined.
    checks.push((row) => {
      const related = row[key];
      return related === null || (typeof related === "object" && nested(related as Row));
    });
  }
  if (checks.length === 0) return null;
  return checks.length === 1 ? checks[0]! : (row) => checks.every((c) => c(row));
}

/** A field returning a scalar or enum (or a list of them): nothing beneath it needs a mapping. */
function returnsLeaf(fieldConfig: PothosOutputFieldConfig<SchemaTypes>): boolean {
  const type = fieldConfig.type.kind === "List" ? fieldConfig.type.type : fieldConfig.type;
  return type.kind === "Scalar" || type.kind === "Enum";
}

/** The check for a computed scalar field over a plain selection of its parent's model, else null. */
function computedCheck(fieldConfig: PothosOutputFieldConfig<SchemaTypes>, model: string | undefined): Carries | null {
  if (!model || fieldConfig.kind !== "PrismaObject" || Object.keys(fieldConfig.args).length > 0) return null;
  if (!returnsLeaf(fieldConfig)) return null;
  const ext = fieldConfig.extensions as Record<string, unknown> | undefined;
  if (!ext || ext.pothosPrismaLoaded || ext.pothosPrismaFallback || typeof ext.pothosExposedField === "string")
    return null;
  return carriesCheck(model, ext.pothosPrismaSelect);
}

class ModelAwarePlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  /** The Prisma model of the field's parent type, if it is a Prisma type. */
  protected modelOf(fieldConfig: PothosOutputFieldConfig<SchemaTypes>): string | undefined {
    const parent = this.buildCache.getTypeConfig(fieldConfig.parentType);
    return (parent.extensions as { pothosPrismaModel?: string } | undefined)?.pothosPrismaModel;
  }
}

class LoadedColumnsInnerPlugin<Types extends SchemaTypes> extends ModelAwarePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types["Context"], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ) {
    const config = fieldConfig as PothosOutputFieldConfig<SchemaTypes>;
    if (exposedColumn(config) || computedCheck(config, this.modelOf(config)))
      innerResolvers.set(fieldConfig, resolver as Resolver);
    return resolver;
  }
}

class LoadedColumnsPlugin<Types extends SchemaTypes> extends ModelAwarePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types["Context"], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ) {
    const inner = innerResolvers.get(fieldConfig);
    if (!inner || inner === resolver) return resolver;
    const config = fieldConfig as PothosOutputFieldConfig<SchemaTypes>;
    const column = exposedColumn(config);
    if (column)
      return ((parent: Row, args, ctx, info) =>
        parent[column] !== undefined
          ? inner(parent, args, ctx, info)
          : resolver(parent, args, ctx, info)) as typeof resolver;
    const carries = computedCheck(config, this.modelOf(config));
    if (!carries) return resolver;
    return ((parent: Row, args, ctx, info) =>
      carries(parent) ? inner(parent, args, ctx, info) : resolver(parent, args, ctx, info)) as typeof resolver;
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
