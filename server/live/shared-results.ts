// One execution per event for all the subscribers that would get the same answer. A published event
// reaches every subscriber of its topic as one object (the pub/sub hands each listener the same
// payload), and executing the subscription's selection set on it was the server's largest cost per
// delivery: 10,000 subscribers of one run meant 10,000 executions of the same fields under the same
// rule. Here the first subscriber to take an event executes it; every other subscriber with the
// same document, operation, variables, transport and viewer (its JSON: user, credential, tenant,
// roles, scopes) reuses that result. The same viewer is stricter than the same rule outcome: each
// type rule (access.ts) reads nothing but the viewer and the object, so it could not have answered
// differently. The reads the access log noted during that execution are noted again for each
// subscriber that reused it (see access-log-plugin.ts), so the log is the same as with one
// execution each. A result with errors (a refusal, a masked error) is never reused: each subscriber
// executes its own, as before, so ending a refused stream and masking stay per subscriber.

import { isThenable } from "@pothos/core";
import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  GraphQLError,
  getOperationAST,
  print,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.ts";
import type { AccessLogWriter } from "../services/access-log.ts";
import { oncePerObject } from "./once-per-object.ts";

/** A read as the access-log plugin notes it, kept so another subscriber can note it too. */
export interface NotedRead {
  read: Parameters<AccessLogWriter["note"]>[3];
  field: () => string;
}

/** Where the access-log plugin also puts its reads while a shared result is being executed. */
export const NOTED_READS = Symbol("notedReads");
export type ReadCollector = { [NOTED_READS]?: NotedRead[] };

/** Executions and reuses so far, in this process (tests and benches read them). */
export const sharedResultCounts = { executed: 0, reused: 0 };

interface Shared {
  result: ExecutionResult | Promise<ExecutionResult>;
  /** The result once it has settled: the subscribers after that take it in the same turn. */
  settled: ExecutionResult | null;
  reads: NotedRead[];
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });
const toNext = (value: ExecutionResult): IteratorYieldResult<ExecutionResult> => ({ done: false, value });

/**
 * Per event object, the results executed for it so far, by the key's prefix and then its viewer;
 * gone with the event. Two levels rather than one joined key: both parts are strings made once (per
 * subscription, per viewer) whose hashes V8 keeps, while a key joined per delivery was a new string
 * to flatten and hash each time (resultFor itself was 4% of the samples in a profile of bench:fanout).
 */
const resultsOf = oncePerObject((_event: object) => new Map<string, Map<string, Shared>>());
/** The document as text: two subscribers may send the same query parsed into two objects. */
const documentText = oncePerObject((document: DocumentNode) => print(document));
const viewerKey = oncePerObject((viewer: Context["viewer"]) => JSON.stringify(viewer));

/** Executes the event with `args`' own context, noting what it read into `reads`. */
function executeEvent(
  args: ExecutionArgs,
  event: unknown,
  reads: NotedRead[] | null,
): ExecutionResult | Promise<ExecutionResult> {
  const ctx = args.contextValue as Context & ReadCollector;
  if (reads) ctx[NOTED_READS] = reads;
  // Cleared, not deleted: a deleted property turns the context (one per subscription, some thirty
  // properties) into a dictionary three times its size.
  const done = () => {
    if (reads) ctx[NOTED_READS] = undefined;
  };
  try {
    const result = execute({ ...args, rootValue: event });
    if (isThenable(result)) return result.finally(done);
    done();
    return result;
  } catch (err) {
    done();
    throw err;
  }
}

class SharedResults implements AsyncIterableIterator<ExecutionResult> {
  /** Everything of the key but the viewer, which may change while the stream runs (live-auth.ts). */
  private readonly prefix: string;

  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly args: ExecutionArgs,
  ) {
    const ctx = args.contextValue as Context;
    this.prefix = `${documentText(args.document)}\u0000${args.operationName ?? ""}\u0000${JSON.stringify(args.variableValues ?? {})}\u0000${ctx.transport}\u0000`;
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  // Then-chains rather than async functions with awaits: each await was a turn of the microtask
  // queue per subscriber per event (three here), and a result already executed for another
  // subscriber is taken synchronously.
  next(): Promise<IteratorResult<ExecutionResult>> {
    return this.source.next().then(
      (r) => {
        if (r.done) return DONE;
        const result = this.resultFor(r.value);
        return isThenable(result) ? result.then(toNext) : toNext(result);
      },
      (err: unknown) => {
        // As graphql-js reports an error of the event stream itself.
        const operation = getOperationAST(this.args.document, this.args.operationName);
        throw new GraphQLError(err instanceof Error ? err.message : String(err), {
          originalError: err instanceof Error ? err : undefined,
          nodes: operation ? [operation] : undefined,
        });
      },
    );
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    return { done: true, value: undefined };
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    throw error;
  }

  private resultFor(event: unknown): ExecutionResult | Promise<ExecutionResult> {
    if (typeof event !== "object" || event === null) return executeEvent(this.args, event, null);
    const ctx = this.args.contextValue as Context;
    const viewer = viewerKey(ctx.viewer);
    const byPrefix = resultsOf(event);
    let byViewer = byPrefix.get(this.prefix);
    if (!byViewer) {
      byViewer = new Map();
      byPrefix.set(this.prefix, byViewer);
    }
    const shared = byViewer.get(viewer);
    if (!shared) {
      sharedResultCounts.executed++;
      const reads: NotedRead[] = [];
      const result = executeEvent(this.args, event, reads);
      const entry: Shared = { result, settled: null, reads };
      if (isThenable(result))
        result.then(
          (r) => {
            entry.settled = r;
          },
          () => {},
        );
      else entry.settled = result;
      byViewer.set(viewer, entry);
      return result;
    }
    if (shared.settled) return this.reuse(shared, shared.settled, event);
    return Promise.resolve(shared.result).then((result) => this.reuse(shared, result, event));
  }

  private reuse(shared: Shared, result: ExecutionResult, event: object): ExecutionResult | Promise<ExecutionResult> {
    if (result.errors?.length) return executeEvent(this.args, event, null);
    sharedResultCounts.reused++;
    const ctx = this.args.contextValue as Context;
    if (ctx.viewer.kind !== "anonymous")
      for (const { read, field } of shared.reads)
        ctx.services.accessLog.note(ctx, ctx.viewer, ctx.request, read, field);
    return result;
  }
}

const isAsyncIterable = (x: unknown): x is AsyncIterable<unknown> =>
  typeof x === "object" && x !== null && Symbol.asyncIterator in x;

/**
 * Subscriptions run through graphql-js's own two steps (the source stream, then one execution per
 * event), with the execution shared as described at the top.
 */
export function sharedSubscriptionResultsPlugin(): Plugin {
  return {
    onSubscribe: ({ subscribeFn, setSubscribeFn }) => {
      setSubscribeFn(async (args) => {
        const stream = await createSourceEventStream(args as ExecutionArgs);
        if (!isAsyncIterable(stream)) {
          // Refused by the root field's own subscribe (it has a path): that answer stands. Without a
          // path nothing ran yet (variables did not coerce), and the executor's answer has its codes.
          return stream.errors?.every((e) => e.path) ? stream : subscribeFn(args);
        }
        return new SharedResults(stream[Symbol.asyncIterator](), args as ExecutionArgs);
      });
    },
  };
}
