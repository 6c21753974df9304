import { type GraphQLField, getNamedType, getNullableType, isListType } from "graphql";

/** Page size a connection returns when `first`/`last` are not given (the Prisma plugin's default). */
export const DEFAULT_PAGE_SIZE = 20;
const LIST_MULTIPLIER = 10;

/**
 * The cost of a field before it runs: what a selection beneath it will be multiplied by. A
 * connection costs what it may return (`first`/`last`, capped at the page size), its `edges` add no
 * factor of their own, `nodes(ids)` costs its ids, and other lists count as ten. Fields with a
 * cost of their own (credential checks, semantic search) set `complexity` where they are defined.
 */
export function fieldComplexity<C>(args: Record<string, unknown>, _ctx: C, field: GraphQLField<unknown, C>) {
  const named = getNamedType(field.type).name;
  if (named.endsWith("Connection")) {
    const asked = Number(args.first ?? args.last ?? DEFAULT_PAGE_SIZE);
    return { field: 1, multiplier: Math.max(1, Math.min(Number.isFinite(asked) ? asked : DEFAULT_PAGE_SIZE, 100)) };
  }
  if (field.name === "edges" && named.endsWith("Edge")) return { field: 0, multiplier: 1 };
  if (Array.isArray(args.ids)) return { field: 1, multiplier: Math.max(1, args.ids.length) };
  return isListType(getNullableType(field.type)) ? { field: 1, multiplier: LIST_MULTIPLIER } : 1;
}
