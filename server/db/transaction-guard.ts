// A statement sent on the app's own connection(s) while a transaction's callback runs, instead of
// on the transaction (`tx`), waits for that transaction: PGlite has one connection, so the root
// statement queues behind the transaction that awaits it, and both sit until Prisma's interactive
// timeout (5 s) fails the transaction; PostgreSQL's pool lends a second connection, and under load
// a pool whose every connection is a waiting transaction deadlocks the same way. Such a call was
// a 5 s stall of the whole embedded server, found once per instance (an invalid account link).
// This refuses it where it happens, on both databases, so every case fails its test at once.
import { AsyncLocalStorage } from "node:async_hooks";
import type { PrismaClient } from "../generated/prisma/client.ts";

/** Set while one of the app's interactive transactions runs its callback. */
const inTransaction = new AsyncLocalStorage<{ open: boolean }>();

export class RootQueryInTransactionError extends Error {
  override name = "RootQueryInTransactionError";
  constructor(method: string) {
    super(
      `${method} on the database's own connection inside a transaction's callback: it would wait for that transaction. Use the transaction client, or move the call after the transaction.`,
    );
  }
}

function refuseInside(method: string) {
  if (inTransaction.getStore()?.open) throw new RootQueryInTransactionError(method);
}

/** Marks the callbacks of `prisma.$transaction(fn)` so that root statements inside them are refused. */
export function markTransactions(prisma: PrismaClient): void {
  const original = prisma.$transaction.bind(prisma) as (...args: unknown[]) => Promise<unknown>;
  const patched = (first: unknown, ...rest: unknown[]) => {
    if (typeof first !== "function") return original(first, ...rest);
    refuseInside("$transaction");
    const work = first as (tx: unknown) => Promise<unknown>;
    return original(
      (tx: unknown) => {
        const state = { open: true };
        // Work the callback starts and leaves running is no longer inside once the callback ends.
        return inTransaction
          .run(state, () => work(tx))
          .finally(() => {
            state.open = false;
          });
      },
      ...rest,
    );
  };
  Object.defineProperty(prisma, "$transaction", { value: patched, configurable: true, writable: true });
}

/**
 * Refuses `methods` of a root driver object (the PGlite instance, the pg pool) inside a marked
 * callback: Prisma's root statements, pg-boss's and the app's driver queries all go through them,
 * while a transaction's own statements go through the transaction's connection.
 */
export function guardRootDriver<T extends object>(driver: T, methods: (keyof T & string)[]): T {
  for (const name of methods) {
    const original = (driver[name] as (...args: unknown[]) => unknown).bind(driver);
    Object.defineProperty(driver, name, {
      value: (...args: unknown[]) => {
        refuseInside(name);
        return original(...args);
      },
      configurable: true,
      writable: true,
    });
  }
  return driver;
}
