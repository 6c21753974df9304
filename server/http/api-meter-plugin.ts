// Every operation made with an API key passes its rate limits (RATE_LIMITED) and then the api_calls
// meter (QUOTA_EXCEEDED) before it runs: queries and mutations at execute, subscriptions when they
// start. Operations refused earlier (parse, validation, limits) are not counted.
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.ts";
import type { ApiMeter } from "../services/api-meter.ts";
import type { RateLimits } from "../services/rate-limits.ts";
import type { Viewer } from "../viewer.ts";

type ApiKeyViewer = Extract<Viewer, { kind: "apiKey" }>;
type Payload = {
  args: { contextValue: unknown };
  setResultAndStopExecution: (result: { errors: GraphQLError[] }) => void;
};

export function apiMeterPlugin(meter: ApiMeter, limits: RateLimits): Plugin {
  const check = async (
    viewer: ApiKeyViewer,
    { setResultAndStopExecution }: Payload,
    concurrent: boolean,
  ): Promise<(() => Promise<void>) | undefined> => {
    let release: (() => Promise<void>) | undefined;
    try {
      await limits.admitRequest(viewer);
      // Subscriptions last as long as the client wants; only operations that end hold a slot.
      if (concurrent) release = await limits.enterRequest(viewer);
      await meter.admit({ apiKeyId: viewer.apiKeyId, tenantId: viewer.tenantId, userId: viewer.userId });
      return release;
    } catch (e) {
      await release?.();
      if (!(e instanceof GraphQLError)) throw e;
      setResultAndStopExecution({ errors: [e] });
    }
  };
  // Sessions and the anonymous pass synchronously: an async hook made envelop wait a promise on
  // every request, API key or not.
  const keyOf = ({ args }: Payload) => {
    const { viewer } = args.contextValue as Context;
    return viewer.kind === "apiKey" ? viewer : null;
  };
  return {
    onExecute: (payload) => {
      const viewer = keyOf(payload);
      if (!viewer) return;
      return check(viewer, payload, true).then((release) =>
        release ? { onExecuteDone: () => void release() } : undefined,
      );
    },
    onSubscribe: (payload) => {
      const viewer = keyOf(payload);
      if (!viewer) return;
      return check(viewer, payload, false).then(() => undefined);
    },
  };
}

/** HTTP answers refused with RATE_LIMITED carry a Retry-After header with the same seconds. */
export function retryAfterPlugin(): Plugin {
  const waits = new WeakMap<Request, number>();
  return {
    onResultProcess: ({ request, result }) => {
      if (Array.isArray(result) || !result || typeof result !== "object" || !("errors" in result)) return;
      const errors = (result.errors ?? []) as readonly GraphQLError[];
      const seconds = errors.find((e) => e.extensions?.code === "RATE_LIMITED")?.extensions?.retryAfterSeconds;
      if (typeof seconds === "number") waits.set(request, seconds);
    },
    onResponse: ({ request, response }) => {
      const seconds = waits.get(request);
      if (seconds !== undefined) response.headers.set("Retry-After", String(seconds));
    },
  };
}
