import { refusedInsideTransaction } from "./db/transaction-guard.ts";

/**
 * One read per key at a time, for a cache in front of the database: callers that miss while their
 * key is being read share that read, unless what it reads may have changed since it began (the
 * cache's `mark` moved on), so no caller is answered by a read older than its own question. Each
 * caller that missed had read for itself until the first read landed: five requests at once, five
 * reads of the same row; under load, a read per request whenever an entry expired. What the cache
 * keeps of a read is done inside `read`, once, not by each caller that shared it.
 */
export function sharedReads<K, V>(): (key: K, read: () => Promise<V>, mark?: number) => Promise<V> {
  const under = new Map<K, { mark: number; value: Promise<V> }>();
  return (key, read, mark = 0) => {
    const refused = refusedInsideTransaction("a shared read");
    if (refused) return Promise.reject(refused);
    const current = under.get(key);
    if (current?.mark === mark) return current.value;
    const value = read().finally(() => {
      if (under.get(key)?.value === value) under.delete(key);
    });
    under.set(key, { mark, value });
    return value;
  };
}
