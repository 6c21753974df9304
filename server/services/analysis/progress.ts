// Streams of run events for subscriptions. analysisProgress starts listening before it reads the
// run, so an event published while the initial state is being read is buffered, then dropped as a
// duplicate or delivered in order; `seq` makes both decisions. A hand-written iterator rather
// than an async generator: a generator cannot be returned while it awaits the next event, so a
// closed subscription would hold its listener until the run next changed.
import type { FanOutListener } from "../../fan-out.ts";
import type { AnalysisEvent } from "../../pubsub.ts";
import { isTerminal, type RunEvent } from "./run-store.ts";

/** How long a later event may wait for a missing earlier one before the database is asked. */
export const GAP_WAIT_MS = 1_000;

type Source = AsyncIterator<AnalysisEvent>;

/**
 * The published event with its run's tenant, one object for all the subscribers of the run: the
 * subscription's result is then executed once for all who see it alike (live/shared-results.ts).
 */
const withTenants = new WeakMap<AnalysisEvent, RunEvent>();
function withTenant(event: AnalysisEvent, tenantId: string): RunEvent {
  const known = withTenants.get(event);
  if (known?.tenantId === tenantId) return known;
  const made = { ...event, tenantId };
  withTenants.set(event, made);
  return made;
}

abstract class EventStream implements AsyncIterableIterator<RunEvent> {
  protected ready: RunEvent[] = [];
  protected closed = false;
  private waiting: ((r: IteratorResult<RunEvent>) => void) | null = null;

  /** Stops the stream's listening: a pub/sub iterator's return, or a fan-out's stop. */
  protected abstract stopListening(): void;

  [Symbol.asyncIterator]() {
    return this;
  }

  next(): Promise<IteratorResult<RunEvent>> {
    const value = this.ready.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  async return(): Promise<IteratorResult<RunEvent>> {
    this.close();
    return { value: undefined, done: true };
  }

  protected deliver(event: RunEvent) {
    if (this.closed) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w({ value: event, done: false });
    } else this.ready.push(event);
  }

  /** Ends the stream after what is already queued has been delivered. */
  protected close() {
    if (this.closed) return;
    this.closed = true;
    this.stopListening();
    if (this.waiting && this.ready.length === 0) {
      const w = this.waiting;
      this.waiting = null;
      w({ value: undefined, done: true });
    }
  }
}

/**
 * One run: the initial state, then every later state in `seq` order, ending at a final status. It
 * is the listener of the run's events on the instance's fan-out (fan-out.ts); it listens before the
 * initial state is read, and what arrives meanwhile waits until `start`.
 */
export class RunProgressStream extends EventStream implements FanOutListener<AnalysisEvent> {
  private last = -1;
  private tenantId = "";
  private buffer = new Map<number, RunEvent>();
  private gapTimer: NodeJS.Timeout | null = null;
  private stop: (() => void) | null = null;
  /** Events heard before the initial state was read; null once started. */
  private early: AnalysisEvent[] | null = [];
  private endedEarly = false;

  constructor(private readonly refetch: () => Promise<RunEvent | null>) {
    super();
  }

  /** The fan-out's stop; called once the stream closes, or at once if it has. */
  listening(stop: () => void) {
    this.stop = stop;
    if (this.closed) this.stopListening();
  }

  /** The run as read after listening began: delivered first, then what was heard meanwhile. */
  start(initial: RunEvent, tenantId: string) {
    const early = this.early ?? [];
    this.early = null;
    this.tenantId = tenantId;
    this.last = initial.seq;
    this.deliver(initial);
    if (isTerminal(initial.status) || this.endedEarly) this.close();
    else for (const e of early) this.event(e);
  }

  /** Stops listening without delivering anything (the read failed or refused the viewer). */
  cancel() {
    this.early = null;
    this.close();
  }

  protected stopListening() {
    const stop = this.stop;
    this.stop = null;
    stop?.();
  }

  event(event: AnalysisEvent) {
    if (this.early) this.early.push(event);
    else if (!this.closed) this.accept(withTenant(event, this.tenantId));
  }

  end() {
    if (this.early) {
      this.endedEarly = true;
      return;
    }
    this.clearGapTimer();
    this.close();
  }

  private accept(event: RunEvent) {
    if (event.seq <= this.last) return; // already delivered, e.g. published again by a resuming worker
    this.buffer.set(event.seq, event);
    this.drain();
    if (this.buffer.size > 0 && !this.gapTimer && !this.closed) {
      // Normally filled within milliseconds (two publishers racing); a publish lost with a crashed
      // process never comes, and then the database says where the run is.
      this.gapTimer = setTimeout(() => void this.resolveGap(), GAP_WAIT_MS);
      this.gapTimer.unref();
    }
  }

  private drain() {
    for (let next = this.buffer.get(this.last + 1); next; next = this.buffer.get(this.last + 1)) {
      this.buffer.delete(next.seq);
      this.emit(next);
      if (this.closed) return;
    }
    if (this.buffer.size === 0) this.clearGapTimer();
  }

  private emit(event: RunEvent) {
    this.last = event.seq;
    this.deliver(event);
    if (isTerminal(event.status)) {
      this.buffer.clear();
      this.clearGapTimer();
      this.close();
    }
  }

  private async resolveGap() {
    this.gapTimer = null;
    if (this.closed || this.buffer.size === 0) return;
    const current = await this.refetch().catch(() => null);
    if (this.closed) return;
    if (current && current.seq > this.last) {
      for (const seq of [...this.buffer.keys()]) if (seq <= current.seq) this.buffer.delete(seq);
      this.emit(current);
    } else {
      // The database is behind what was buffered (cannot be after commit-then-publish), so skip ahead.
      const lowest = Math.min(...this.buffer.keys());
      this.last = lowest - 1;
    }
    this.drain();
  }

  private clearGapTimer() {
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.gapTimer = null;
  }
}

/** All of a user's runs, live only: each run's events in order, duplicates dropped. */
export class UserEventsStream extends EventStream {
  private lastByRun = new Map<string, number>();

  constructor(private readonly source: Source) {
    super();
    void this.pump();
  }

  protected stopListening() {
    void this.source.return?.();
  }

  private async pump() {
    try {
      while (!this.closed) {
        const r = await this.source.next();
        if (r.done) break;
        const e = r.value;
        const last = this.lastByRun.get(e.runId) ?? -1;
        if (e.seq <= last) continue;
        this.lastByRun.set(e.runId, e.seq);
        this.deliver(withTenant(e, ""));
      }
    } finally {
      this.close();
    }
  }
}
