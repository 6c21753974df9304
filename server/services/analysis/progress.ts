// Streams of run events for subscriptions. analysisProgress starts listening before it reads the
// run, so an event published while the initial state is being read is buffered, then dropped as a
// duplicate or delivered in order; `seq` makes both decisions. A hand-written iterator rather
// than an async generator: a generator cannot be returned while it awaits the next event, so a
// closed subscription would hold its listener until the run next changed.
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

  constructor(protected source: Source) {}

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
    void this.source.return?.();
    if (this.waiting && this.ready.length === 0) {
      const w = this.waiting;
      this.waiting = null;
      w({ value: undefined, done: true });
    }
  }
}

/** One run: the initial state, then every later state in `seq` order, ending at a final status. */
export class RunProgressStream extends EventStream {
  private last: number;
  private buffer = new Map<number, RunEvent>();
  private gapTimer: NodeJS.Timeout | null = null;

  constructor(
    source: Source,
    first: Promise<IteratorResult<AnalysisEvent>>,
    initial: RunEvent,
    private readonly tenantId: string,
    private readonly refetch: () => Promise<RunEvent | null>,
  ) {
    super(source);
    this.last = initial.seq;
    this.deliver(initial);
    if (isTerminal(initial.status)) this.close();
    else void this.pump(first);
  }

  private async pump(pending: Promise<IteratorResult<AnalysisEvent>>) {
    try {
      let p = pending;
      while (!this.closed) {
        const r = await p;
        if (r.done) break;
        this.accept(withTenant(r.value, this.tenantId));
        if (!this.closed) p = this.source.next();
      }
    } finally {
      this.clearGapTimer();
      this.close();
    }
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

  constructor(source: Source) {
    super(source);
    void this.pump();
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
