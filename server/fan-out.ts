// One pub/sub subscription per (topic, id) on this instance, whatever the number of local listeners,
// and their deliveries in slices. With a subscription each, 10,000 subscribers of one run were
// 10,000 listeners on the event target and 10,000 repeaters, each taking every event through about
// ten promises of its own before our code saw it (bench:fanout's profile: the repeaters' push alone
// was 5% of the server's time). And every listener of one event ran in one turn of the event
// loop: 1,000 subscribers' executions and socket writes, ~90 ms, before a timer or a socket read
// got its turn; events of several runs in a row made stalls of seconds. Here about a slice of
// deliveries is made per turn, the next slice after the sockets have been read (setImmediate).
//
// Deliveries go listener by listener, not event by event: a sweep over the listeners hands each
// one, in order, every event published since the sweep last passed it. A run's three sources
// report within a few milliseconds of each other, so a subscriber gets them in one turn, and its
// connection sends them in one write (graphql-ws-server.ts corks it for the turn): one system call
// where there were three, which was a third of the server's time per delivery (bench:fanout).
import type { PubSub, PubSubTopics } from "./pubsub.ts";

/** Deliveries made per turn of the event loop (whole listeners: a turn may pass it by one's events). */
export const FAN_OUT_SLICE = 200;

/** Topics whose first argument is an id and whose second is the event. */
type IdTopic = { [K in keyof PubSubTopics]: PubSubTopics[K] extends [string, unknown] ? K : never }[keyof PubSubTopics];
type EventOf<T extends IdTopic> = PubSubTopics[T][1];

export interface FanOutListener<E> {
  event(event: E): void;
  /** The pub/sub's stream ended (it failed, or the app closed it): nothing more will come. */
  end(): void;
}

/** A listener and how far into its group's events it has been given. */
interface Entry<E> {
  listener: FanOutListener<E>;
  /** Position (counted from the group's first event) of the next event it is due. */
  next: number;
}

interface Group<E> {
  entries: Set<Entry<E>>;
  source: AsyncIterator<E>;
  /** Events taken from the pub/sub, not yet handed to every listener; log[0] is event number `base`. */
  log: E[];
  base: number;
  /** The pub/sub's stream has ended: the log is all that will come. */
  ended: boolean;
  /** Wakes the delivery when every listener had been given everything. */
  wake: (() => void) | null;
}

export interface FanOut<E> {
  /**
   * Calls `listener` with every event published on the id from now on, in order. The pub/sub's
   * listener is registered before this returns. Returns the function that stops it.
   */
  listen(id: string, listener: FanOutListener<E>): () => void;
  /**
   * The id's current group of listeners (null when it has none) and how many events it has taken
   * from the pub/sub so far. A value read from the database after this was asked is still current
   * while both stay the same: whatever was committed since would have been published, and taken.
   */
  taken(id: string): { group: object; count: number } | null;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createFanOut<T extends IdTopic>(pubsub: PubSub, topic: T): FanOut<EventOf<T>> {
  type E = EventOf<T>;
  const groups = new Map<string, Group<E>>();

  // Takes each event as soon as it is published, however far behind the delivery is: the pub/sub
  // keeps at most 1,024 events unread on a subscription and then throws in the publisher.
  async function pull(group: Group<E>) {
    try {
      for (;;) {
        const r = await group.source.next();
        if (r.done) break;
        group.log.push(r.value);
        group.wake?.();
      }
    } catch {
      // The stream failed (a pub/sub that lost its connection): its listeners end, as when it ends.
    } finally {
      group.ended = true;
      group.wake?.();
    }
  }

  async function deliver(id: string, group: Group<E>) {
    const end = () => group.base + group.log.length;
    try {
      for (;;) {
        if (group.log.length === 0) {
          // Not when it has no listeners: the first is added after this starts, and the last to
          // leave returns the pub/sub's stream, which ends it.
          if (group.ended) break;
          await new Promise<void>((resolve) => {
            group.wake = resolve;
          });
          group.wake = null;
          continue;
        }
        // One sweep. A listener added meanwhile is due only what comes after it; one removed gets
        // no more. Events published during the sweep reach the listeners it has yet to pass in this
        // sweep, and the ones it passed in the next.
        const due = end();
        let made = 0;
        for (const entry of [...group.entries]) {
          if (!group.entries.has(entry)) continue;
          const last = end();
          made += last - entry.next;
          while (entry.next < last) entry.listener.event(group.log[entry.next++ - group.base] as E);
          if (made >= FAN_OUT_SLICE) {
            made = 0;
            await nextTurn();
          }
        }
        // Every listener has now been given at least what was published before the sweep began.
        group.log.splice(0, due - group.base);
        group.base = due;
      }
    } finally {
      if (groups.get(id) === group) groups.delete(id);
      for (const { listener } of group.entries) listener.end();
      group.entries.clear();
    }
  }

  return {
    taken(id) {
      const group = groups.get(id);
      return group ? { group, count: group.base + group.log.length } : null;
    },
    listen(id, listener) {
      let group = groups.get(id);
      if (!group) {
        const source = (pubsub.subscribe as (t: T, id: string) => AsyncIterable<E>)(topic, id)[Symbol.asyncIterator]();
        group = { entries: new Set(), source, log: [], base: 0, ended: false, wake: null };
        groups.set(id, group);
        // pull's first next() registers the pub/sub's listener, synchronously.
        void pull(group);
        void deliver(id, group);
      }
      const g = group;
      const entry: Entry<E> = { listener, next: g.base + g.log.length };
      g.entries.add(entry);
      return () => {
        if (!g.entries.delete(entry) || g.entries.size > 0) return;
        if (groups.get(id) === g) groups.delete(id);
        void g.source.return?.();
      };
    },
  };
}
