// Streams never outlive the right to them. A live operation (a subscription or an @live query, over
// WebSocket or server-sent events) keeps the viewer it started with only until that viewer changes: every change
// that can remove a right (sign-out, session or key revoked, role assigned or ended, membership
// ended) publishes `viewer:changed` for the user, and time-bound rights (session and key expiry,
// roles that end at midnight UTC) wake a timer. Then the viewer is resolved again from the same
// token, on every instance: an anonymous result ends the stream (and closes the WebSocket, 4401);
// any other takes the old viewer's place. Each event is then authorized by the ordinary type rules
// against the current viewer, with a fresh request cache, and a stream whose event is refused ends
// after telling the client why.
import { type ExecutionResult, GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import { type Context, forgetRequestCaches } from "./context.ts";
import { isLiveOperation, type Rerun } from "./live/queries.ts";
import type { PubSub } from "./pubsub.ts";
import { isSignedIn, type Viewer } from "./viewer.ts";

/** When a viewer's rights change by the clock alone: expiry, or midnight UTC for role dates. */
function nextDeadline(viewer: Viewer, now = Date.now()): number | null {
  if (!isSignedIn(viewer)) return null;
  const midnight = new Date(now);
  midnight.setUTCHours(24, 0, 0, 0);
  return Math.min(midnight.getTime(), viewer.expiresAt ? viewer.expiresAt.getTime() : Number.POSITIVE_INFINITY);
}

type ViewerListener = (viewer: Viewer) => void;

/**
 * Calls each listener with the viewer resolved again whenever the user's rights may have changed.
 * Every stream (and the socket) of one credential shares one watch: one `viewer:changed`
 * subscription, one timer and one resolution per change, however many tabs and operations it has.
 */
export interface ViewerWatches {
  /** Starts following `token`'s viewer (as it was resolved: `initial`); returns the function that stops. */
  watch(token: string | null, initial: Viewer, onChange: ViewerListener): () => void;
}

export function createViewerWatches(pubsub: PubSub, resolve: (token: string | null) => Promise<Viewer>): ViewerWatches {
  const watches = new Map<string, { listeners: Set<ViewerListener>; stop: () => void }>();

  const start = (token: string, initial: Viewer & { userId: string }) => {
    const listeners = new Set<ViewerListener>();
    let stopped = false;
    let timer: NodeJS.Timeout | null = null;
    const events = pubsub.subscribe("viewer:changed", initial.userId);
    const stop = () => {
      stopped = true;
      if (watches.get(token)?.listeners === listeners) watches.delete(token);
      if (timer) clearTimeout(timer);
      void events.return?.();
    };
    const refresh = async () => {
      if (stopped) return;
      const viewer = await resolve(token).catch((): Viewer => ({ kind: "anonymous" }));
      if (stopped) return;
      for (const listener of [...listeners]) listener(viewer);
      // A credential that resolves to nobody never comes back: its streams have ended.
      if (!isSignedIn(viewer)) return stop();
      schedule(viewer);
    };
    const schedule = (viewer: Viewer) => {
      if (timer) clearTimeout(timer);
      const at = nextDeadline(viewer);
      if (at === null) return;
      // setTimeout holds at most ~24.8 days; a later deadline is looked at again then.
      timer = setTimeout(() => void refresh(), Math.min(Math.max(0, at - Date.now() + 1000), 2 ** 31 - 1));
      timer.unref();
    };
    schedule(initial);
    void (async () => {
      for await (const _ of events) await refresh();
    })();
    const entry = { listeners, stop };
    watches.set(token, entry);
    return entry;
  };

  return {
    watch(token, initial, onChange) {
      if (!token || !isSignedIn(initial)) return () => {};
      const entry = watches.get(token) ?? start(token, initial);
      entry.listeners.add(onChange);
      return () => {
        entry.listeners.delete(onChange);
        if (entry.listeners.size === 0) entry.stop();
      };
    },
  };
}

const DENIED = new Set(["FORBIDDEN", "UNAUTHENTICATED", "NOT_FOUND"]);

/** The event itself (the subscription's root field) was refused, not only a field inside it. */
function refused(result: ExecutionResult): boolean {
  return !!result.errors?.some((e) => (e.path?.length ?? 1) === 1 && DENIED.has(String(e.extensions?.code)));
}

/** A subscription's results, ending after a refused event or when the viewer is gone. */
class GuardedStream implements AsyncIterableIterator<ExecutionResult> {
  private finished = false;
  private closed = false;
  /** The error to send last, when the viewer went away. */
  private ending: ExecutionResult | null = null;
  /** Settles the next() in progress early, when the viewer goes away while no event is coming. */
  private wake: ((r: IteratorResult<ExecutionResult>) => void) | null = null;

  constructor(
    private readonly inner: AsyncIterator<ExecutionResult>,
    private readonly ctx: Context,
    private readonly onEnd: () => void,
  ) {}

  [Symbol.asyncIterator]() {
    return this;
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.finished) return Promise.resolve({ done: true, value: undefined });
    if (this.ending) return Promise.resolve(this.last(this.ending));
    return new Promise((resolve) => {
      this.wake = resolve;
      this.inner.next().then(
        (r) => {
          if (this.wake !== resolve) return; // already ended by the viewer going away
          this.wake = null;
          if (r.done) {
            this.finish();
            return resolve(r);
          }
          // The next event is authorized afresh: no scope result or loaded row carries over.
          forgetRequestCaches(this.ctx);
          if (refused(r.value)) this.finish();
          resolve(r);
        },
        (error: unknown) => {
          this.wake = null;
          this.finish();
          resolve(this.last({ errors: [error instanceof GraphQLError ? error : new GraphQLError(String(error))] }));
        },
      );
    });
  }

  /** Sends `error` as the last result, even while no event is coming. */
  end(error: GraphQLError) {
    const result = { errors: [error] };
    const wake = this.wake;
    this.wake = null;
    if (wake) wake(this.last(result));
    else this.ending = result;
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.finish();
    return { done: true, value: undefined };
  }

  private last(result: ExecutionResult): IteratorResult<ExecutionResult> {
    this.finish();
    return { done: false, value: result };
  }

  private finish() {
    this.finished = true;
    if (this.closed) return;
    this.closed = true;
    void this.inner.return?.();
    this.onEnd();
  }
}

const isAsyncIterable = (x: unknown): x is AsyncIterable<ExecutionResult> =>
  typeof x === "object" && x !== null && Symbol.asyncIterator in x;

/**
 * Re-authorizes every subscription and live query on every transport (see the top of this file).
 * A live query whose viewer changed is re-run at once (`rerun`), so a right that ended shows now.
 */
export function liveAuthorizationPlugin(watches: ViewerWatches, rerun: Rerun): Plugin {
  const follow = (ctx: Context, onStillSignedIn: () => void) => {
    let stream: GuardedStream | null = null;
    const stop = watches.watch(ctx.bearer, ctx.viewer, (viewer) => {
      // Another credential of the user changed (a key revoked while this is a session): same
      // rights, nothing to run again.
      const same = JSON.stringify(viewer) === JSON.stringify(ctx.viewer);
      ctx.viewer = viewer;
      forgetRequestCaches(ctx);
      if (isSignedIn(viewer)) return same ? undefined : onStillSignedIn();
      stream?.end(
        new GraphQLError("Your access has ended; sign in again.", { extensions: { code: "UNAUTHENTICATED" } }),
      );
    });
    // Methods, not named arrows: tsx (esbuild's keepNames) gives every named closure a property
    // table of its own when it is made, 256 bytes each, per subscription.
    return {
      stop,
      guard(result: unknown, setResult: (r: AsyncIterableIterator<ExecutionResult>) => void) {
        if (!isAsyncIterable(result)) return stop();
        stream = new GuardedStream(result[Symbol.asyncIterator](), ctx, stop);
        setResult(stream);
      },
    };
  };
  return {
    onSubscribe: ({ args }) => {
      const live = follow(args.contextValue as unknown as Context, () => {});
      return {
        onSubscribeResult({ result, setResult }) {
          live.guard(result, setResult);
        },
        onSubscribeError() {
          live.stop();
        },
      };
    },
    onExecute: ({ args }) => {
      if (!isLiveOperation(args)) return;
      const ctx = args.contextValue as unknown as Context;
      const live = follow(ctx, () => rerun(ctx));
      return { onExecuteDone: ({ result, setResult }) => live.guard(result, setResult) };
    },
  };
}
