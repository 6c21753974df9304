// Every operation made with an API key passes the api_calls meter before it runs (queries and
// mutations at execute, subscriptions when they start); a tenant whose quota is used up gets
// QUOTA_EXCEEDED and nothing runs. Operations refused earlier (parse, validation, limits) are not counted.
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.ts";
import type { ApiMeter } from "../services/api-meter.ts";

export function apiMeterPlugin(meter: ApiMeter): Plugin {
  if (!meter.enabled) return {};
  const check = async ({
    args,
    setResultAndStopExecution,
  }: {
    args: { contextValue: unknown };
    setResultAndStopExecution: (result: { errors: GraphQLError[] }) => void;
  }) => {
    const { viewer } = args.contextValue as Context;
    if (viewer.kind !== "apiKey") return;
    try {
      await meter.admit({ apiKeyId: viewer.apiKeyId, tenantId: viewer.tenantId, userId: viewer.userId });
    } catch (e) {
      if (!(e instanceof GraphQLError)) throw e;
      setResultAndStopExecution({ errors: [e] });
    }
  };
  return { onExecute: check, onSubscribe: check };
}
