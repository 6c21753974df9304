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
//
// A user not held (never searched, or evicted) is read in one statement that returns the version
// beside the rows, with the vectors as binary float8 (array_send) and the other columns joined into
// one string each: no per-row objects to parse or keep. The binary travels as base64 text, decoded
// natively: as bytea, the PGlite adapter parsed it one hex pair at a time through a callback (the
// statement alone: 4.6-5.0 s of CPU for 10,000 vectors, against 1.2-1.7 s as base64, at load 27;
// on PostgreSQL 1.9 s against 0.5-0.8 s in this process). Reading 10,000 rows through the ORM cost
// seconds of CPU (a float parsed from text, then an object, per element), and an entry of 10,000
// string ids and types was 20,000 objects for the collector to walk. What is held is bounded in
// bytes, as vectors of other models have other lengths; the least recently searched users go first.
import type { PrismaClient } from "../generated/prisma/client.ts";

export interface IndexHit {
  id: string;
  score: number;
}

export interface IndexResult {
  /** The best `first` by float32 score, and every memory that could still pass one of them exactly. */
  candidates: IndexHit[];
}

const UUID_LENGTH = 36;

interface Entry {
  version: string;
  size: number;
  /** The ids, each UUID_LENGTH characters, one after another. */
  ids: string;
  vectors: Float32Array;
  /** The largest vector norm held: with the query's norm it bounds what float32 rounding moves a score. */
  maxNorm: number;
  /** Milliseconds since the epoch; Infinity for memories that never expire. */
  expires: Float64Array;
  /** Index into `typeNames`. */
  types: Uint8Array;
  typeNames: string[];
  dims: number;
  bytes: number;
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
  /** Vectors held across all users. */
  size(): number;
  /** Bytes held across all users (bounded by `maxBytes`). */
  bytes(): number;
}

interface Loaded {
  version: bigint | null;
  n: number;
  ids: string | null;
  types: string | null;
  expires: string | null;
  /** Base64 of the concatenated `array_send` values. */
  vectors: string | null;
}

/** Reads concatenated `array_send(float8[])` values: a header per array, then each element's length and bytes. */
function decodeVectors(bytes: Uint8Array, n: number): { dims: number; vectors: Float32Array; maxNorm: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  let dims = -1;
  let vectors = new Float32Array(0);
  let maxNorm = 0;
  for (let i = 0; i < n; i++) {
    const ndim = view.getInt32(at);
    at += 12; // ndim, has-nulls flag, element type
    let length = 0;
    for (let d = 0; d < ndim; d++) {
      length = d === 0 ? view.getInt32(at) : length * view.getInt32(at);
      at += 8; // length, lower bound
    }
    if (dims < 0) {
      dims = length;
      vectors = new Float32Array(n * dims);
    }
    // A vector of another length (a changed model under the same name) stays zero, and the query
    // is refused for the whole entry if its length differs from the first one's.
    const keep = length === dims && ndim <= 1;
    let norm = 0;
    for (let d = 0; d < length; d++) {
      const size = view.getInt32(at);
      at += 4;
      if (size < 0) continue; // NULL element
      const x = view.getFloat64(at);
      at += size;
      if (!keep) continue;
      vectors[i * dims + d] = x;
      norm += x * x;
    }
    if (keep) maxNorm = Math.max(maxNorm, Math.sqrt(norm));
  }
  return { dims: Math.max(dims, 0), vectors, maxNorm };
}

export function createMemoryIndex(prisma: PrismaClient, opts: { maxBytes: number }): MemoryIndex {
  // Insertion order is recency: a hit moves its entry to the end, eviction takes from the front.
  const entries = new Map<string, Entry>();
  const loading = new Map<string, Promise<Entry>>();
  let held = 0;
  let heldBytes = 0;

  const drop = (key: string) => {
    const e = entries.get(key);
    if (!e) return;
    held -= e.size;
    heldBytes -= e.bytes;
    entries.delete(key);
  };

  async function version(userId: string): Promise<string> {
    const [v] = await prisma.$queryRaw<{ version: bigint }[]>`
      SELECT version FROM memory_versions WHERE user_id = ${userId}::uuid`;
    return String(v?.version ?? 0);
  }

  async function load(userId: string, model: string): Promise<Entry> {
    // One statement, so the version read is the one the rows were read at.
    const [row] = await prisma.$queryRaw<Loaded[]>`
      SELECT (SELECT version FROM memory_versions WHERE user_id = ${userId}::uuid) AS version,
        count(*)::int AS n,
        string_agg(id::text, '' ORDER BY id) AS ids,
        string_agg(memory_type::text, ',' ORDER BY id) AS types,
        string_agg(COALESCE((extract(epoch FROM expires_at) * 1000)::text, ''), ',' ORDER BY id) AS expires,
        encode(string_agg(array_send(embedding), ''::bytea ORDER BY id), 'base64') AS vectors
      FROM memories WHERE user_id = ${userId}::uuid AND embedding_model = ${model}`;
    const n = row?.n ?? 0;
    const { dims, vectors, maxNorm } = decodeVectors(Buffer.from(row?.vectors ?? "", "base64"), n);
    const expires = new Float64Array(n);
    (row?.expires ?? "").split(",").forEach((ms, i) => {
      if (i < n) expires[i] = ms === "" ? Number.POSITIVE_INFINITY : Number(ms);
    });
    const typeNames: string[] = [];
    const types = new Uint8Array(n);
    (row?.types ?? "").split(",").forEach((t, i) => {
      if (i >= n) return;
      let code = typeNames.indexOf(t);
      if (code < 0) code = typeNames.push(t) - 1;
      types[i] = code;
    });
    const ids = row?.ids ?? "";
    return {
      version: String(row?.version ?? 0),
      size: n,
      ids,
      vectors,
      maxNorm,
      expires,
      types,
      typeNames,
      dims,
      bytes: vectors.byteLength + expires.byteLength + types.byteLength + ids.length + 200,
    };
  }

  async function entryFor(userId: string, model: string): Promise<Entry> {
    const key = `${userId}\0${model}`;
    const cached = entries.get(key);
    if (cached && cached.version === (await version(userId))) {
      entries.delete(key);
      entries.set(key, cached);
      return cached;
    }
    // Concurrent searches of one user share one read.
    const pending = loading.get(key);
    if (pending) return pending;
    const read = load(userId, model).finally(() => loading.delete(key));
    loading.set(key, read);
    const entry = await read;
    drop(key);
    // A user with more than the whole budget is searched but not kept.
    if (entry.bytes <= opts.maxBytes) {
      entries.set(key, entry);
      held += entry.size;
      heldBytes += entry.bytes;
      for (const k of entries.keys()) {
        if (heldBytes <= opts.maxBytes) break;
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
      const { vectors, dims, size } = e;
      const wanted = memoryType ? e.typeNames.indexOf(memoryType) : -1;
      if (memoryType && wanted < 0) return { candidates: [] };
      let qNorm = 0;
      for (let d = 0; d < dims; d++) qNorm += (q[d] as number) * (q[d] as number);
      // |Σ q·v32 − Σ q·v| ≤ 2^-24 Σ|q||v| ≤ 2^-24 ‖q‖‖v‖ (Cauchy–Schwarz); doubled, plus summation error.
      const slack = 2 ** -23 * Math.sqrt(qNorm) * e.maxNorm + 1e-12;
      // NaN for memories filtered out: no comparison passes them.
      const scores = new Float64Array(size).fill(Number.NaN);
      // The `first` best scores so far, ascending: a min-list, so most rows are refused at one compare.
      const best = new Float64Array(first).fill(Number.NEGATIVE_INFINITY);
      for (let i = 0; i < size; i++) {
        if ((e.expires[i] as number) <= now) continue;
        if (wanted >= 0 && e.types[i] !== wanted) continue;
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
      for (let i = 0; i < size; i++)
        if ((scores[i] as number) >= floor)
          candidates.push({ id: e.ids.slice(i * UUID_LENGTH, (i + 1) * UUID_LENGTH), score: scores[i] as number });
      return { candidates };
    },
    size: () => held,
    bytes: () => heldBytes,
  };
}
