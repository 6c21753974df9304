import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";

/**
 * Errors raised before any resolver runs, such as a variable of the wrong type, come from
 * graphql-js without a code. They are the client's input errors: give them BAD_USER_INPUT, so every
 * error a client sees carries a stable `extensions.code`.
 */
export function inputErrorCodesPlugin(): Plugin {
  return {
    onExecute: () => ({
      onExecuteDone: ({ result, setResult }) => {
        if (!("errors" in result) || !result.errors?.length) return;
        if (!result.errors.some((e) => !e.path && e.extensions?.code === undefined)) return;
        setResult({
          ...result,
          errors: result.errors.map((e) =>
            !e.path && e.extensions?.code === undefined
              ? new GraphQLError(e.message, {
                  nodes: e.nodes,
                  source: e.source,
                  positions: e.positions,
                  originalError: e.originalError,
                  extensions: { ...e.extensions, code: "BAD_USER_INPUT" },
                })
              : e,
          ),
        });
      },
    }),
  };
}
