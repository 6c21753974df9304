import { refusedInsideTransaction } from "../db/transaction-guard.ts";

/**
 * Reads by key, shared by everyone who asks for a key before its read has begun. A read begins on
 * the next turn of the event loop (setImmediate), so each caller is answered by a read that began
 * after it asked: a stream that started listening before asking cannot get a first state older
 * than what it listened from. A reconnecting crowd (10,000 subscribers of ten runs after a
 * restart) was 10,000 reads of ten rows and as many executions of their results; the busier the
 * server, the more callers a read serves.
 */
export function joinedReads<K, V>(read: (key: K) => Promise<V>): (key: K) => Promise<V> {
  const waiting = new Map<K, Promise<V>>();
  return (key) => {
    const refused = refusedInsideTransaction("a joined read");
    if (refused) return Promise.reject(refused);
    let answer = waiting.get(key);
    if (!answer) {
      answer = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        waiting.delete(key);
        return read(key);
      });
      waiting.set(key, answer);
    }
    return answer;
  };
}
