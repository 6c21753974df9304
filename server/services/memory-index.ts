// Memory search held in memory: each user's vectors are read once into a Float32Array (half the
// memory of Float64: 400 bytes per 100-d vector) and ranked there by the dot product (vectors are
// unit length, so it is cosine similarity), which ranks 10,000 memories in a few milliseconds
// where a scan in SQL takes hundreds (and PostgreSQL 15 has no pgvector). The answer is still the
// exact computation: float32 rounding moves a score by at most `slack`, so every memory within
// twice that of the last place is a candidate, and the caller ranks the candidates again with
// the stored float64 vectors (memories.ts), which the database computes the same way.
//
// Freshness needs no events: every search first reads the user's version, one row that a trigger
// bumps on every write search could see (rows added or removed, vectors, expiry, importance or type
// changed), whoever writes: any instance, a job, plain SQL.
import type { PrismaClient } from "../generated/prisma/client.ts";

export interface IndexHit {
  id: string;
  score: number;
}

export interface IndexResult {
  /** The best `first` by float32 score, and every memory that could still pass one of them exactly. */
  candidates: IndexHit[];
}

interface Entry {
  version: string;
  ids: string[];
  vectors: Float32Array;
  /** The largest vector norm held: with the query's norm it bounds what float32 rounding moves a score. */
  maxNorm: number;
  /** Milliseconds since the epoch; Infinity for memories that never expire. */
  expires: Float64Array;
  types: string[];
  dims: number;
}

export interface MemoryIndex {
  search(
    userId: string,
    model: string,
    query: number[],
    first: number,
    memoryType?: string | null,
    now?: number,
  ): Promise<IndexResult>;
  /** Vectors held across all users (bounded by `maxVectors`). */
  size(): number;
}

export function createMemoryIndex(prisma: PrismaClient, opts: { maxVectors: number }): MemoryIndex {
  // Insertion order is recency: a hit moves its entry to the end, eviction takes from the front.
  const entries = new Map<string, Entry>();
  const loading = new Map<string, Promise<Entry>>();
  let held = 0;

  const drop = (key: string) => {
    const e = entries.get(key);
    if (!e) return;
    held -= e.ids.length;
    entries.delete(key);
  };

  async function version(userId: string): Promise<string> {
    const [v] = await prisma.$queryRaw<{ version: bigint }[]>`
      SELECT version FROM memory_versions WHERE user_id = ${userId}::uuid`;
    return String(v?.version ?? 0);
  }

  async function load(userId: string, model: string, at: string): Promise<Entry> {
    const rows = await prisma.memory.findMany({
      where: { userId, embeddingModel: model },
      select: { id: true, embedding: true, expiresAt: true, memoryType: true },
    });
    const dims = rows[0]?.embedding.length ?? 0;
    const vectors = new Float32Array(rows.length * dims);
    let maxNorm = 0;
    rows.forEach((r, i) => {
      // A vector of another length (a changed model under the same name) never matches the query.
      if (r.embedding.length !== dims) return;
      vectors.set(r.embedding, i * dims);
      maxNorm = Math.max(maxNorm, Math.hypot(...r.embedding));
    });
    return {
      version: at,
      ids: rows.map((r) => r.id),
      vectors,
      maxNorm,
      expires: Float64Array.from(rows, (r) => r.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY),
      types: rows.map((r) => r.memoryType),
      dims,
    };
  }

  async function entryFor(userId: string, model: string): Promise<Entry> {
    const key = `${userId}\0${model}`;
    const at = await version(userId);
    const cached = entries.get(key);
    if (cached?.version === at) {
      entries.delete(key);
      entries.set(key, cached);
      return cached;
    }
    // Concurrent searches of one user share one read.
    const pending = loading.get(key);
    if (pending) return pending;
    const read = load(userId, model, at).finally(() => loading.delete(key));
    loading.set(key, read);
    const entry = await read;
    drop(key);
    // A user with more vectors than the whole budget is searched but not kept.
    if (entry.ids.length <= opts.maxVectors) {
      entries.set(key, entry);
      held += entry.ids.length;
      for (const k of entries.keys()) {
        if (held <= opts.maxVectors) break;
        drop(k);
      }
    }
    return entry;
  }

  return {
    async search(userId, model, query, first, memoryType, now = Date.now()) {
      const e = await entryFor(userId, model);
      if (e.dims !== query.length || first < 1) return { candidates: [] };
      const q = Float64Array.from(query);
      const { vectors, dims } = e;
      // |Σ q·v32 − Σ q·v| ≤ 2^-24 Σ|q||v| ≤ 2^-24 ‖q‖‖v‖ (Cauchy–Schwarz); doubled, plus summation error.
      const slack = 2 ** -23 * Math.hypot(...query) * e.maxNorm + 1e-12;
      // NaN for memories filtered out: no comparison passes them.
      const scores = new Float64Array(e.ids.length).fill(Number.NaN);
      // The `first` best scores so far, ascending: a min-list, so most rows are refused at one compare.
      const best = new Float64Array(first).fill(Number.NEGATIVE_INFINITY);
      for (let i = 0; i < e.ids.length; i++) {
        if ((e.expires[i] as number) <= now) continue;
        if (memoryType && e.types[i] !== memoryType) continue;
        let score = 0;
        const base = i * dims;
        for (let d = 0; d < dims; d++) score += (vectors[base + d] as number) * (q[d] as number);
        scores[i] = score;
        if (score <= (best[0] as number)) continue;
        let at = 0;
        while (at + 1 < first && (best[at + 1] as number) < score) {
          best[at] = best[at + 1] as number;
          at++;
        }
        best[at] = score;
      }
      // Below the `first`-th best by more than twice the slack, no memory can pass it exactly.
      const floor = (best[0] as number) - 2 * slack;
      const candidates: IndexHit[] = [];
      for (let i = 0; i < scores.length; i++)
        if ((scores[i] as number) >= floor) candidates.push({ id: e.ids[i] as string, score: scores[i] as number });
      return { candidates };
    },
    size: () => held,
  };
}
