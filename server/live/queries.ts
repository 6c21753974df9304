// Live queries: `query @live { … }` over graphql-ws or server-sent events answers at once and
// again whenever a change event (changes.ts) touches a row in its result or a list it read.
// @envelop/live-query runs them on @n1ru4l/in-memory-live-query-store; this file adds what the
// app needs around it:
// - each re-execution starts with a fresh Pothos cache (scope results, loaded rows) on the
//   subscriber's own context, whose viewer live-auth.ts keeps current, so every rule runs again;
// - list fields name the owner- or tenant-scoped key they read (watch()), so a change reaches only
//   the queries that could show it;
// - re-executions are throttled per query (LIVE_THROTTLE_MS, the most a client may ask for too);
// - @live is refused over plain HTTP and to anonymous viewers.
import { useLiveQuery as liveQueryPlugin } from "@envelop/live-query";
import {
  getLiveDirectiveArgumentValues,
  getLiveDirectiveNode,
  isLiveQueryOperationDefinitionNode,
} from "@n1ru4l/graphql-live-query";
import { InMemoryLiveQueryStore } from "@n1ru4l/in-memory-live-query-store";
import { type ExecutionArgs, GraphQLError, getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import { type Context, forgetRequestCaches } from "../context.ts";
import { parseGlobalId } from "../ids.ts";
import type { Logger } from "../logger.ts";
import type { PubSub } from "../pubsub.ts";
import { isSignedIn } from "../viewer.ts";
import { keysOf, type LiveType, tenantKey, userKey } from "./changes.ts";

/** The most a client's `@live(throttle:)` may ask for; longer would look like a dead screen. */
const MAX_THROTTLE_MS = 60_000;

/** Per live execution: where the keys its resolvers read go, and the key that re-runs it alone. */
const running = new WeakMap<object, { add: (keys: string[]) => void; own: string }>();

/**
 * Called by list resolvers with the collection keys they read (userKey/tenantKey of changes.ts).
 * Costs nothing outside a live query.
 */
export function watch(ctx: object, ...keys: string[]): void {
  running.get(ctx)?.add(keys);
}

/** Called by list resolvers: the rows of `type` they read are one user's or one tenant's. */
export function watchRows(ctx: object, type: LiveType, scope: { userId: string } | { tenantId: string }): void {
  watch(ctx, "userId" in scope ? userKey(type, scope.userId) : tenantKey(type, scope.tenantId));
}

/** Re-runs one live query now (its viewer changed: live-auth.ts). */
export type Rerun = (ctx: object) => void;

/** The store's own execution context: the collector of resource keys for one run. */
interface StoreContext {
  addResourceIdentifier(values: string | readonly string[] | null | undefined): void;
  /** Called by the store's own `id` resolvers, with each row the result holds. */
  collectResourceIdentifier(resource: { typename: string; id: string }): void;
}

export interface LiveQueries {
  plugins: (Plugin | ReturnType<typeof liveQueryPlugin>)[];
  rerun: Rerun;
  close(): Promise<void>;
}

export function isLiveOperation(args: Pick<ExecutionArgs, "document" | "operationName" | "variableValues">) {
  const op = getOperationAST(args.document, args.operationName);
  return !!op && isLiveQueryOperationDefinitionNode(op, args.variableValues as Record<string, unknown>);
}

const refuse = (message: string, code: string) => ({ errors: [new GraphQLError(message, { extensions: { code } })] });

export function createLiveQueries(opts: {
  pubsub: PubSub;
  throttleMs: number;
  logger: Logger;
  /** Every execution of a live query, the first included (tests and benches count them). */
  onExecute?: (ctx: Context) => void;
}): LiveQueries {
  // Relay IDs name their type already; the key is the row's database id, as change events carry it.
  const resourceKey = ({ typename, id }: { typename: string; id: string }) => {
    const decoded = parseGlobalId(id);
    return decoded ? `${decoded.typename}:${decoded.id}` : `${typename}:${id}`;
  };
  const store = new InMemoryLiveQueryStore({
    buildResourceIdentifier: resourceKey,
    // No throttle in the store: re-runs are throttled in `prepare` below.
    validateThrottleValue: () => undefined,
    includeIdentifierExtension: false,
  });

  // The store learns which keys an execution read only once it ends, so a change announced while
  // a query's first execution runs reached nothing, and the query kept what it had read before
  // the change. Each execution keeps the keys invalidated while it runs; if it read any of them,
  // it runs again once it is done.
  const invalidatedDuring = new Set<Set<string>>();
  const changes = opts.pubsub.subscribe("live:changes");
  void (async () => {
    for await (const { changes: batch } of changes) {
      const keys = batch.flatMap(keysOf);
      for (const missed of invalidatedDuring) for (const k of keys) missed.add(k);
      store.invalidate(keys).catch((err) => opts.logger.error({ err }, "live invalidation failed"));
    }
  })();

  /** The query's `@live(throttle:)`, within LIVE_THROTTLE_MS (the least) and MAX_THROTTLE_MS. */
  const throttleOf = (args: Pick<ExecutionArgs, "document" | "operationName" | "variableValues">) => {
    const op = getOperationAST(args.document, args.operationName);
    const directive = op && getLiveDirectiveNode(op);
    const asked = directive
      ? getLiveDirectiveArgumentValues(directive, args.variableValues as Record<string, unknown>).throttleValue
      : null;
    return Math.min(Math.max(asked ?? 0, opts.throttleMs), MAX_THROTTLE_MS);
  };

  let seq = 0;
  const prepare: Plugin = {
    onExecute: ({ args, executeFn, setExecuteFn, setResultAndStopExecution }) => {
      if (!isLiveOperation(args)) return;
      const ctx = args.contextValue as unknown as Context;
      if (ctx.transport === "http")
        return setResultAndStopExecution(
          refuse("@live needs a WebSocket (graphql-ws) or server-sent events.", "LIVE_TRANSPORT_REQUIRED"),
        );
      if (!isSignedIn(ctx.viewer)) return setResultAndStopExecution(refuse("Sign in first.", "UNAUTHENTICATED"));
      const own = `live:${++seq}`;
      // Re-runs are throttled here, not by the store: its throttle dropped a re-run whose timer
      // fired a millisecond before its wall-clock check said the window was over (Node's timers
      // may), and the query then missed the change for good. Each re-run the store asks for
      // replaces the one still waiting, which ends with nothing (the store drops a superseded
      // result), and runs when the window ends.
      const throttleMs = throttleOf(args);
      let lastStart = Number.NEGATIVE_INFINITY;
      let supersede: (() => void) | null = null;
      // The store runs the query with its own context, which collects resource keys; resolvers
      // still get `ctx`.
      const runNow = (runArgs: ExecutionArgs) => {
        lastStart = performance.now();
        const collector = runArgs.contextValue as StoreContext;
        const read = new Set<string>();
        const missed = new Set<string>();
        invalidatedDuring.add(missed);
        const collect: StoreContext = {
          addResourceIdentifier(values) {
            collector.addResourceIdentifier(values);
            if (typeof values === "string") read.add(values);
            else for (const v of values ?? []) read.add(v);
          },
          collectResourceIdentifier(resource) {
            collector.collectResourceIdentifier(resource);
            read.add(resourceKey(resource));
          },
        };
        collect.addResourceIdentifier(own);
        running.set(ctx, { own, add: (keys) => collect.addResourceIdentifier(keys) });
        forgetRequestCaches(ctx);
        opts.onExecute?.(ctx);
        const ended = () => {
          invalidatedDuring.delete(missed);
          for (const k of missed)
            if (read.has(k)) {
              // After the store has taken this result and the keys it read (it does so on resolve).
              setImmediate(() => void store.invalidate(own));
              return;
            }
        };
        // The store hands resolvers our context, but graphql-js also gives its own to isTypeOf,
        // where Pothos runs type rules: a context that inherits ours serves both.
        const result = executeFn({ ...runArgs, contextValue: Object.assign(Object.create(ctx), collector, collect) });
        if (typeof (result as Partial<PromiseLike<unknown>>).then === "function")
          return Promise.resolve(result).finally(ended);
        ended();
        return result;
      };
      setExecuteFn((runArgs: ExecutionArgs) => {
        supersede?.();
        const wait = lastStart + throttleMs - performance.now();
        if (wait <= 0) return runNow(runArgs);
        return new Promise<ReturnType<typeof runNow>>((resolve) => {
          const timer = setTimeout(() => {
            supersede = null;
            resolve(runNow(runArgs));
          }, wait);
          supersede = () => {
            clearTimeout(timer);
            supersede = null;
            resolve({});
          };
        });
      });
    },
  };

  return {
    // Order matters: the live-query plugin wraps the execute function `prepare` set, so each run goes through it.
    plugins: [prepare, liveQueryPlugin({ liveQueryStore: store })],
    rerun: (ctx) => {
      const r = running.get(ctx);
      if (r) void store.invalidate(r.own);
    },
    // Awaited before the pub/sub closes: with Redis, the unsubscribe must go out before QUIT.
    close: async () => {
      await changes.return?.();
    },
  };
}
