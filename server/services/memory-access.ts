// Access counting for memory search, off the answer's path. Counting in the search itself took a
// row lock on every memory returned, so concurrent searches of one user's memories queued behind
// each other's UPDATE, and every answer waited for a write. Now a search only notes the ids it
// returned; a timer adds the counts, summed per memory, in one statement per batch. stop() drains
// what is left before the database closes; a batch that fails goes back for the next flush.

import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logger.ts";
import { backgroundFlush } from "./background-flush.ts";

interface Count {
  n: number;
  /** The latest access, milliseconds since the epoch. */
  at: number;
}

export interface MemoryAccessCounter {
  note(ids: readonly string[], at?: Date): void;
  /** Accesses noted and not yet written for one memory, so an answer can show its own. */
  unwritten(id: string): Count | undefined;
  /** Writes what was noted so far; concurrent calls run one after another. */
  flush(): Promise<void>;
  start(): void;
  /** Stops the timer and writes everything still noted (before the database closes). */
  stop(): Promise<void>;
  /** Memories with counts not yet written (tests, metrics). */
  pending(): number;
}

/** What a database outage may hold before new counts are dropped: counts are a ranking hint, not a record. */
const MAX_PENDING = 100_000;
/** Memories per UPDATE. */
const BATCH = 1_000;

export function createMemoryAccessCounter(
  prisma: PrismaClient,
  logger: Logger,
  options: { flushMs: number },
): MemoryAccessCounter {
  let queued = new Map<string, Count>();
  let writing = new Map<string, Count>();
  let dropped = 0;

  const add = (into: Map<string, Count>, id: string, c: Count) => {
    const had = into.get(id);
    if (had) {
      had.n += c.n;
      had.at = Math.max(had.at, c.at);
    } else into.set(id, { ...c });
  };

  async function write(batch: [string, Count][]): Promise<void> {
    // Rows are locked in id order, so two instances flushing at once never wait on each other in a
    // cycle. Only access_count and last_accessed_at change: the search index's version stays.
    await prisma.$executeRaw`
      WITH a AS (
        SELECT * FROM unnest(${batch.map((b) => b[0])}::uuid[], ${batch.map((b) => b[1].n)}::int[],
          ${batch.map((b) => new Date(b[1].at))}::timestamptz[]) AS a(id, n, at)),
      locked AS (SELECT id FROM memories WHERE id IN (SELECT id FROM a) ORDER BY id FOR UPDATE)
      UPDATE memories m SET access_count = m.access_count + a.n,
        last_accessed_at = GREATEST(m.last_accessed_at, a.at)
      FROM a WHERE m.id = a.id AND m.id IN (SELECT id FROM locked)`;
  }

  async function flushOnce(): Promise<void> {
    if (dropped) {
      logger.error({ dropped }, "memory access counts dropped while the queue was full");
      dropped = 0;
    }
    writing = queued;
    queued = new Map();
    const all = [...writing];
    try {
      for (let i = 0; i < all.length; i += BATCH) {
        await write(all.slice(i, i + BATCH));
        for (const [id] of all.slice(i, i + BATCH)) writing.delete(id);
      }
    } catch (err) {
      for (const [id, c] of writing) add(queued, id, c);
      logger.error({ err, memories: queued.size }, "memory access counts not written, kept for the next flush");
      throw err;
    } finally {
      writing = new Map();
    }
  }

  const background = backgroundFlush(flushOnce, options);
  const counter: MemoryAccessCounter = {
    note(ids, at = new Date()) {
      for (const id of ids) {
        if (!queued.has(id) && queued.size >= MAX_PENDING) {
          dropped++;
          continue;
        }
        add(queued, id, { n: 1, at: at.getTime() });
      }
    },
    unwritten(id) {
      const a = queued.get(id);
      const b = writing.get(id);
      if (!a || !b) return a ?? b;
      return { n: a.n + b.n, at: Math.max(a.at, b.at) };
    },
    ...background,
    pending: () => queued.size + writing.size,
  };
  return counter;
}
