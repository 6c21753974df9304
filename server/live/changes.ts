// Change events: what a live query needs to know to re-execute, and nothing more. Services publish
// one after their transaction has committed (never inside it: a rolled-back write must not wake
// anyone, and a re-execution started before the commit would read the old rows). Every instance
// subscribes to the topic (in-process, or Redis with REDIS_URL) and invalidates the live queries it
// holds whose results could contain the row: the row itself (`Memory:<id>`, collected from every
// `id` a result selected) or a list of its owner's or tenant's rows that a list field watches
// (`Memory@user:<userId>`, `Memory@tenant:<tenantId>`, see watch() in queries.ts).
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { PubSub } from "../pubsub.ts";
import type { Change, LiveType } from "./change.ts";

export type { Change, LiveType } from "./change.ts";
export { keysOf, rowKey, tenantKey, userKey } from "./change.ts";

// Services receive the Prisma client, not the app: the client an app opened names that app's
// pub/sub, so a service publishes with what it already has and two apps in one process (tests,
// instances) stay apart.
const channels = new WeakMap<object, PubSub>();

export function bindChanges(prisma: PrismaClient, pubsub: PubSub): void {
  channels.set(prisma, pubsub);
}

/**
 * Announces committed changes to every instance. Call it after the write (or its transaction)
 * has resolved, with the client the write went through (not a transaction's).
 */
export function publishChange(prisma: PrismaClient, ...changes: Change[]): void {
  const pubsub = channels.get(prisma);
  if (!pubsub || changes.length === 0) return;
  pubsub.publish("live:changes", { changes });
}

/** A row as Prisma returns it: most tables name their owner and tenant the same way. */
export interface OwnedRow {
  id: string;
  tenantId?: string | null;
  userId?: string | null;
}

export const changeOf = (type: LiveType, op: Change["op"], row: OwnedRow): Change => ({
  type,
  id: row.id,
  tenantId: row.tenantId ?? null,
  ownerId: row.userId ?? null,
  op,
});

/** For `.then(...)` after a write: publishes the row's change and passes the row on. */
export const announce =
  (prisma: PrismaClient, type: LiveType, op: Change["op"]) =>
  <T extends OwnedRow>(row: T): T => {
    publishChange(prisma, changeOf(type, op, row));
    return row;
  };

/**
 * Runs `work` in one transaction and publishes the changes it noted once it has committed; a
 * rolled-back transaction publishes nothing.
 */
export async function transact<T>(
  prisma: PrismaClient,
  work: (tx: Prisma.TransactionClient, note: (...changes: (Change | null)[]) => void) => Promise<T>,
  options?: { maxWait?: number; timeout?: number },
): Promise<T> {
  const noted: Change[] = [];
  const note = (...changes: (Change | null)[]) => {
    for (const c of changes) if (c) noted.push(c);
  };
  const result = await prisma.$transaction((tx) => work(tx, note), options);
  publishChange(prisma, ...noted);
  return result;
}
