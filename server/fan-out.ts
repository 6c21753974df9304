// One pub/sub subscription per (topic, id) on this instance, whatever the number of local listeners,
// and their deliveries in slices. With a subscription each, 10,000 subscribers of one run were
// 10,000 listeners on the event target and 10,000 repeaters, each taking every event through about
// ten promises of its own before our code saw it (bench:fanout's profile: the repeaters' push alone
// was 5% of the server's time). And every listener of one event ran in one turn of the event
// loop: 1,000 subscribers' executions and socket writes, ~90 ms, before a timer or a socket read
// got its turn; events of several runs in a row made stalls of seconds. Here a slice of listeners
// is called per turn, the next slice after the sockets have been read (setImmediate).
import type { PubSub, PubSubTopics } from "./pubsub.ts";

/** Listeners called per turn of the event loop; each starts an execution and a socket write. */
export const FAN_OUT_SLICE = 200;

/** Topics whose first argument is an id and whose second is the event. */
type IdTopic = { [K in keyof PubSubTopics]: PubSubTopics[K] extends [string, unknown] ? K : never }[keyof PubSubTopics];
type EventOf<T extends IdTopic> = PubSubTopics[T][1];

export interface FanOutListener<E> {
  event(event: E): void;
  /** The pub/sub's stream ended (it failed, or the app closed it): nothing more will come. */
  end(): void;
}

interface Group<E> {
  listeners: Set<FanOutListener<E>>;
  source: AsyncIterator<E>;
  /** Events taken from the pub/sub, not yet handed to every listener. */
  queue: E[];
  /** The pub/sub's stream has ended: the queue is all that will come. */
  ended: boolean;
  /** Wakes the delivery when the queue was empty. */
  wake: (() => void) | null;
}

export interface FanOut<E> {
  /**
   * Calls `listener` with every event published on the id from now on, in order. The pub/sub's
   * listener is registered before this returns. Returns the function that stops it.
   */
  listen(id: string, listener: FanOutListener<E>): () => void;
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
        group.queue.push(r.value);
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
    try {
      for (;;) {
        const event = group.queue.shift();
        if (event === undefined) {
          // Not when it has no listeners: the first is added after this starts, and the last to
          // leave returns the pub/sub's stream, which ends it.
          if (group.ended) break;
          await new Promise<void>((resolve) => {
            group.wake = resolve;
          });
          group.wake = null;
          continue;
        }
        // A listener added while a slice waits gets the next event; one removed gets no more.
        const listeners = [...group.listeners];
        for (let i = 0; i < listeners.length; i += FAN_OUT_SLICE) {
          if (i > 0) await nextTurn();
          for (const l of listeners.slice(i, i + FAN_OUT_SLICE)) if (group.listeners.has(l)) l.event(event);
        }
      }
    } finally {
      if (groups.get(id) === group) groups.delete(id);
      for (const l of group.listeners) l.end();
      group.listeners.clear();
    }
  }

  return {
    listen(id, listener) {
      let group = groups.get(id);
      if (!group) {
        const source = (pubsub.subscribe as (t: T, id: string) => AsyncIterable<E>)(topic, id)[Symbol.asyncIterator]();
        group = { listeners: new Set(), source, queue: [], ended: false, wake: null };
        groups.set(id, group);
        // pull's first next() registers the pub/sub's listener, synchronously.
        void pull(group);
        void deliver(id, group);
      }
      const g = group;
      g.listeners.add(listener);
      return () => {
        if (!g.listeners.delete(listener) || g.listeners.size > 0) return;
        if (groups.get(id) === g) groups.delete(id);
        void g.source.return?.();
      };
    },
  };
}
