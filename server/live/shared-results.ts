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
import { type Context, forgetRequestCaches } from "../context.ts";
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
    // The next event is authorized afresh: no scope result or loaded row of this one carries over
    // (live-auth.ts does it too, for the results it sees; a result sent at once it does not).
    // After, not before: the cache this execution filled (2 KB) is not kept while the stream waits.
    forgetRequestCaches(ctx);
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

/**
 * Set on a subscription's root value by a transport that can send a result itself (graphql-ws, see
 * http/websocket.ts): it sends `result` as the operation's next message, now, on its connection.
 */
export const SEND_RESULT = Symbol("sendResult");
export type ResultSender = { [SEND_RESULT]?: (result: ExecutionResult) => void };

// A result without errors is sent by the transport's SEND_RESULT as soon as it is known, instead
// of being yielded: yielded, it went through live-auth's guard, envelop's hooks for every plugin
// and graphql-ws's loop and message, about fifteen turns of the microtask queue and as many
// objects per subscriber per event, while none of them does anything with a result without errors
// (they end a refused stream, log, mask and format errors). A result with errors is yielded as
// before and takes all of them. Order is kept: while a yielded result is not yet sent (the consumer
// has not asked for the next), later results are yielded after it instead of sent.
export class SharedResults implements AsyncIterableIterator<ExecutionResult> {
  /** Everything of the key but the viewer, which may change while the stream runs (live-auth.ts). */
  private readonly prefix: string;
  private readonly send: ((result: ExecutionResult) => void) | undefined;
  /** Results to yield, in order. */
  private readonly ready: ExecutionResult[] = [];
  private waiting: { resolve: (r: IteratorResult<ExecutionResult>) => void; reject: (e: unknown) => void } | null =
    null;
  /** A result was yielded and the consumer has not asked for the next: it is not sent yet. */
  private handedOut = false;
  private pumping = false;
  /** The source ended (or failed: `failure`); what is in `ready` is all that is left. */
  private ended = false;
  private failure: unknown = null;
  private closed = false;

  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly args: ExecutionArgs,
  ) {
    const ctx = args.contextValue as Context;
    this.prefix = `${documentText(args.document)}\u0000${args.operationName ?? ""}\u0000${JSON.stringify(args.variableValues ?? {})}\u0000${ctx.transport}\u0000`;
    this.send = (args.rootValue as ResultSender | undefined)?.[SEND_RESULT];
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    this.handedOut = false;
    if (!this.pumping) {
      this.pumping = true;
      this.pull();
    }
    const value = this.ready.shift();
    if (value) {
      this.handedOut = true;
      return Promise.resolve(toNext(value));
    }
    if (this.failure) {
      const failure = this.failure;
      this.failure = null;
      return Promise.reject(failure);
    }
    if (this.ended || this.closed) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.close();
    await this.source.return?.();
    return DONE;
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.close();
    await this.source.return?.();
    throw error;
  }

  private close() {
    this.closed = true;
    this.ready.length = 0;
    const w = this.waiting;
    this.waiting = null;
    w?.resolve(DONE);
  }

  // Then-callbacks, not an async loop: a loop's suspended frame keeps its last event and result
  // alive while it waits for the next (0.3 KB of heap per subscription in bench:fanout).
  private pull() {
    this.source.next().then(
      (r) => {
        if (this.closed) return;
        if (r.done) return this.end(null);
        let result: ExecutionResult | Promise<ExecutionResult>;
        try {
          result = this.resultFor(r.value);
        } catch (err) {
          return this.end(err);
        }
        if (isThenable(result))
          result.then(
            (value) => this.took(value),
            (err: unknown) => this.end(err),
          );
        else this.took(result);
      },
      (err: unknown) => {
        // As graphql-js reports an error of the event stream itself.
        const operation = getOperationAST(this.args.document, this.args.operationName);
        this.end(
          new GraphQLError(err instanceof Error ? err.message : String(err), {
            originalError: err instanceof Error ? err : undefined,
            nodes: operation ? [operation] : undefined,
          }),
        );
      },
    );
  }

  private took(value: ExecutionResult) {
    if (this.closed) return;
    this.emit(value);
    this.pull();
  }

  private emit(value: ExecutionResult) {
    if (this.send && !value.errors?.length && !this.handedOut && this.ready.length === 0) return this.send(value);
    const w = this.waiting;
    if (!w) return void this.ready.push(value);
    this.waiting = null;
    this.handedOut = true;
    w.resolve(toNext(value));
  }

  private end(failure: unknown) {
    if (this.closed || this.ended) return;
    this.ended = true;
    const w = this.waiting;
    if (!w) {
      this.failure = failure;
      return;
    }
    this.waiting = null;
    if (failure) w.reject(failure);
    else w.resolve(DONE);
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
        // What the root field's subscribe authorized is not kept while the stream waits: each event
        // is authorized afresh. Kept, it was 1.4 KB per subscription (bench:fanout's heap snapshots)
        // for every subscriber whose events all reuse another's result and so never reset it.
        forgetRequestCaches(args.contextValue as object);
        return new SharedResults(stream[Symbol.asyncIterator](), args as ExecutionArgs);
      });
    },
  };
}
