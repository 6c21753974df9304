// Errors the client caused, found by Pothos plugins (relay's global IDs, page sizes and cursors),
// arrive as PothosValidationError without a code. They are BAD_USER_INPUT like every other input
// error, naming the argument where it can be told.
import SchemaBuilder, {
  BasePlugin,
  isThenable,
  type PothosOutputFieldConfig,
  PothosValidationError,
  type SchemaTypes,
} from "@pothos/core";
import type { GraphQLFieldResolver } from "graphql";
import { AppError } from "./errors.ts";

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

function toInputError(error: unknown, args: object): unknown {
  if (!(error instanceof PothosValidationError)) return error;
  const id = /^(?:Invalid global ID: (.*)|ID: (.*) is not of type: .*)$/s.exec(error.message);
  if (id) {
    const field = argPath(args, id[1] ?? id[2] ?? "") ?? "id";
    return new AppError("BAD_USER_INPUT", `${field}: not a valid ID of the expected type`, { field });
  }
  const arg = /^(?:Argument "(\w+)"|Invalid (cursor))/.exec(error.message);
  const field = arg?.[1] ?? (arg?.[2] ? "after" : undefined);
  return new AppError("BAD_USER_INPUT", error.message, field ? { field } : {});
}

function mapErrors<T extends GraphQLFieldResolver<unknown, unknown, object>>(resolver: T): T {
  return ((parent, args, ctx, info) => {
    try {
      const result = resolver(parent, args, ctx, info);
      return isThenable(result)
        ? Promise.resolve(result).catch((e: unknown) => {
            throw toInputError(e, args);
          })
        : result;
    } catch (e) {
      throw toInputError(e, args);
    }
  }) as T;
}

class InputErrorsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  // Pothos calls this for every field, arguments or not: a plain column (`name`, `model`) would
  // otherwise run inside this wrapper for every row of every list. Only a field with arguments has
  // argument mappers (global IDs) whose errors need mapping.
  override wrapArgMappers(
    resolver: Parameters<BasePlugin<Types>["wrapArgMappers"]>[0],
    fieldConfig: PothosOutputFieldConfig<Types>,
  ) {
    if (!resolver || Object.keys(fieldConfig.args).length === 0) return resolver;
    return mapErrors(resolver as GraphQLFieldResolver<unknown, unknown, object>);
  }

  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types["Context"], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ) {
    // Only arguments (global IDs, page sizes, cursors) raise these: a field without any, like
    // every plain column, keeps its resolver as it is, without a wrapper and a promise per value.
    if (Object.keys(fieldConfig.args).length === 0) return resolver;
    return mapErrors(resolver as GraphQLFieldResolver<unknown, unknown, object>);
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      inputErrors: InputErrorsPlugin<Types>;
    }
  }
}
SchemaBuilder.registerPlugin("inputErrors", InputErrorsPlugin);
