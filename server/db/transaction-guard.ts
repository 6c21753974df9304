// A statement sent on the app's own connection(s) while a transaction's callback runs, instead of
// on the transaction (`tx`), waits for that transaction: PGlite has one connection, so the root
// statement queues behind the transaction that awaits it, and both sit until Prisma's interactive
// timeout (5 s) fails the transaction; PostgreSQL's pool lends a second connection, and under load
// a pool whose every connection is a waiting transaction deadlocks the same way. Such a call was
// a 5 s stall of the whole embedded server, found once per instance (an invalid account link).
// This refuses it where it happens, on both databases, so every case fails its test at once.
//
// "Where it happens" is the async context of the code that asks for the statement. Prisma's own
// statements are judged where Prisma receives them, not at the driver: Prisma gathers the
// statements asked for in one turn of the event loop (every statement of an interactive
// transaction, and everyone's findUnique) and sends them all from one callback, in the context of
// whichever asked first. At the driver, another request's findUnique sent in the turn of a
// transaction's statement looked as if it came from inside that transaction's callback and was
// refused (an INTERNAL_SERVER_ERROR for a stranger's node(id), files.test.ts), and a findUnique
// from inside a callback that joined another request's went out unrefused and waited for its own
// transaction. The driver's guard stays for everything else on the connection (pg-boss, the app's
// own queries), which asks the driver directly.
import { AsyncLocalStorage } from "node:async_hooks";
import type { PrismaClient } from "../generated/prisma/client.ts";

/** Set while one of the app's interactive transactions runs its callback. */
const inTransaction = new AsyncLocalStorage<{ open: boolean }>();
/** The context Prisma sends its gathered statements from: no transaction's callback. */
const OUTSIDE = { open: false };

/** Where Prisma receives every statement of the client and of its transactions, in the asker's context. */
interface RequestHandler {
  request(params: { clientMethod?: string; transaction?: { kind: string } }): Promise<unknown>;
}

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

/**
 * For a read of the database's own connection done once for several callers (shared-reads.ts,
 * live/joined-reads.ts): a caller inside a transaction's callback is refused here, where it asks,
 * as its own statement would be. Sharing a read under way, it would wait for a statement queued
 * behind its transaction; starting one, the read ran in its context and was refused for everyone
 * who shared it.
 */
export function refusedInsideTransaction(what: string): RootQueryInTransactionError | null {
  return inTransaction.getStore()?.open ? new RootQueryInTransactionError(what) : null;
}

/**
 * Marks the callbacks of `prisma.$transaction(fn)` so that root statements inside them are refused,
 * judged where Prisma receives each statement.
 */
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

  // Not public API: without it the guard would judge Prisma's statements by a borrowed context
  // again, so a Prisma that moved it fails every start (and every test) instead.
  const handler = (prisma as unknown as { _requestHandler?: RequestHandler })._requestHandler;
  if (typeof handler?.request !== "function")
    throw new Error("Prisma's request handler is not where transaction-guard.ts expects it (Prisma upgraded?)");
  const request = handler.request.bind(handler);
  handler.request = (params) => {
    // A statement on the root connection, or a batch transaction (which opens one), asked for by the
    // callback's own code. The interactive transaction's statements go on its connection.
    if (params.transaction?.kind !== "itx") refuseInside(params.clientMethod ?? "a statement");
    return inTransaction.run(OUTSIDE, () => request(params));
  };
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
