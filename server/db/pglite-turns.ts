// PGlite runs a statement synchronously on the server's one thread and settles its promise as a
// microtask, so a chain of awaited statements never went back to the event loop: a request's
// reads, an analysis run's writes, pg-boss's maintenance. Sockets waiting to be read or written,
// timers and the fan-out's slices all waited for the whole chain; at the end of the analysis runs
// in bench:fanout one such turn held the loop for half a second. Each statement now lets what the
// loop has ready run first, on the root connection and inside transactions alike, so every path to
// the embedded database (Prisma's adapter, the app's own queries, the job queue) gives way the same.
import { setImmediate as nextTurn } from "node:timers/promises";
import type { PGlite, Transaction } from "@electric-sql/pglite";

type Statements = Pick<Transaction, "query" | "exec" | "sql">;
const STATEMENTS = ["query", "exec", "sql"] as const;

/** `statements`' methods, each waiting for the event loop's next turn before it runs. */
function afterNextTurn<T extends Statements>(statements: T): PropertyDescriptorMap {
  const descriptors: PropertyDescriptorMap = {};
  for (const name of STATEMENTS) {
    const original = (statements[name] as (...args: unknown[]) => Promise<unknown>).bind(statements);
    descriptors[name] = {
      value: async (...args: unknown[]) => {
        await nextTurn();
        return await original(...args);
      },
      configurable: true,
      writable: true,
    };
  }
  return descriptors;
}

export function yieldBeforeStatements(pglite: PGlite): PGlite {
  Object.defineProperties(pglite, afterNextTurn(pglite));
  const transaction = pglite.transaction.bind(pglite);
  Object.defineProperty(pglite, "transaction", {
    value: async <T>(callback: (tx: Transaction) => Promise<T>) => {
      await nextTurn();
      // The transaction's own object keeps its rollback, listen and `closed`; only its statements wait.
      return await transaction((tx) => callback(Object.create(tx, afterNextTurn(tx)) as Transaction));
    },
    configurable: true,
    writable: true,
  });
  return pglite;
}
