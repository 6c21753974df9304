// Memory search held in memory: each user's vectors are read once into a Float32Array (half the
// memory of Float64: 400 bytes per 100-d vector) and ranked there by the dot product (vectors are
// unit length, so it is cosine similarity), which ranks 10,000 memories in a few milliseconds
// where a scan in SQL takes hundreds (and PostgreSQL 15 has no pgvector). The answer is still the
// exact computation: float32 rounding moves a score by at most `slack`, so every memory within
// twice that of the last place is a candidate, and the caller ranks the candidates again with
// the stored float64 vectors (memories.ts), which the database computes the same way.
//
// Twins: memories whose stored vectors are bit-identical score exactly the same, so among them
// only the order of the tie-break (importance, then id, both held here) decides, and no more than
// `first` of a twin group can be candidates. Without that, memories written from the same
// words (bench:api's 10,000 memories have 8 distinct vectors) made every search a candidate list
// of 1,250 rows, all read back in full to be ranked: 98 ms a search, and a queue at 10 in flight.
//
// Freshness needs no events: every search first reads the user's version, one row that a trigger
// bumps on every write search could see (rows added or removed, vectors, expiry, importance or type
// changed), whoever writes: any instance, a job, plain SQL.
//
// A user not held (never searched, or evicted) is read in one statement that returns the version
// beside one aggregate: per row, its id, type, expiry and importance in binary and the vector as
// binary float8 (array_send), so the rows need no order (four ordered string_agg calls cost PGlite
// 1.4 s for 10,000 rows against 93 ms unordered) and nothing is parsed from text. It travels as
// base64 and is read on the driver, not through Prisma, whose result mapping copied the 16 MB
// string once more (twice the CPU); as bytea, PGlite's adapter parsed it one hex pair at a time.
// What is held is bounded in bytes, as vectors of other models have other lengths; the least
// recently searched users go first.
import type { Database } from "../db/client.ts";
import { sharedReads } from "../shared-reads.ts";

export interface IndexHit {
  id: string;
  score: number;
}

export interface IndexResult {
  /**
   * The best `first` by float32 score, and every memory that could still pass one of them exactly,
   * except twins that `first` better twins (by importance, then id) already keep out.
   */
  candidates: IndexHit[];
}

const ID_BYTES = 16;

interface Entry {
  version: string;
  size: number;
  /** The ids, 16 bytes each, one after another (uuid_send). */
  ids: Uint8Array;
  vectors: Float32Array;
  /** The largest vector norm held: with the query's norm it bounds what float32 rounding moves a score. */
  maxNorm: number;
  /** Milliseconds since the epoch; Infinity for memories that never expire. */
  expires: Float64Array;
  importance: Float64Array;
  /** The first memory whose stored vector is bit-identical to this one's (itself if none). */
  twin: Int32Array;
  /** 1-based position in `typeNames` (the enum's order). */
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
  version: string | null;
  n: number;
  type_names: string[];
  /** Base64 of the rows, each: uuid_send(id), int2 type, float8 expiry, float8 importance, array_send(embedding). */
  rows: string | null;
}

const READ = `SELECT (SELECT version::text FROM memory_versions WHERE user_id = $1::uuid) AS version,
    count(*)::int AS n, enum_range(NULL::memory_type)::text[] AS type_names,
    encode(string_agg(uuid_send(id)
      || int2send(array_position(enum_range(NULL::memory_type), memory_type)::int2)
      || float8send(COALESCE((extract(epoch FROM expires_at) * 1000)::float8, 'Infinity'))
      || float8send(importance_score)
      || array_send(embedding), ''::bytea), 'base64') AS rows
  FROM memories WHERE user_id = $1::uuid AND embedding_model = $2 AND embedding IS NOT NULL`;

/** Reads the rows READ sends: fixed columns, then an `array_send(float8[])` (a header, then each element's length and bytes). */
function decode(bytes: Buffer, n: number, typeNames: string[], version: string): Entry {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ids = new Uint8Array(n * ID_BYTES);
  const expires = new Float64Array(n);
  const importance = new Float64Array(n);
  const types = new Uint8Array(n);
  const twin = new Int32Array(n);
  // Twins have identical float32 vectors: a hash of those bits finds the few to compare, and the
  // stored bytes decide. (The bytes themselves as map keys cost 10,000 strings of 1.2 KB.)
  const byHash = new Map<number, number[]>();
  const spans = new Int32Array(2 * n);
  let at = 0;
  let dims = -1;
  let vectors = new Float32Array(0);
  let maxNorm = 0;
  for (let i = 0; i < n; i++) {
    ids.set(bytes.subarray(at, at + ID_BYTES), i * ID_BYTES);
    at += ID_BYTES;
    types[i] = view.getInt16(at);
    expires[i] = view.getFloat64(at + 2);
    importance[i] = view.getFloat64(at + 10);
    at += 18;
    const start = at;
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
    spans[2 * i] = start;
    spans[2 * i + 1] = at;
    let hash = 0x811c9dc5;
    if (keep) {
      const bits = new Uint32Array(vectors.buffer, i * dims * 4, dims);
      for (let d = 0; d < dims; d++) hash = Math.imul(hash ^ (bits[d] as number), 16_777_619);
    }
    const same = byHash.get(hash);
    const earlier = same?.find(
      (j) => bytes.compare(bytes, spans[2 * j] as number, spans[2 * j + 1] as number, start, at) === 0,
    );
    twin[i] = earlier ?? i;
    if (earlier !== undefined) continue;
    if (same) same.push(i);
    else byHash.set(hash, [i]);
  }
  return {
    version,
    size: n,
    ids,
    vectors,
    maxNorm,
    expires,
    importance,
    twin,
    types,
    typeNames,
    dims: Math.max(dims, 0),
    bytes:
      vectors.byteLength +
      ids.byteLength +
      expires.byteLength +
      importance.byteLength +
      twin.byteLength +
      types.byteLength +
      200,
  };
}

function uuidAt(ids: Uint8Array, i: number): string {
  const h = Buffer.from(ids.buffer, ids.byteOffset + i * ID_BYTES, ID_BYTES).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Byte order, which is PostgreSQL's order of uuids and the order of their lowercase text. */
function compareIds(ids: Uint8Array, a: number, b: number): number {
  for (let k = 0; k < ID_BYTES; k++) {
    const d = (ids[a * ID_BYTES + k] as number) - (ids[b * ID_BYTES + k] as number);
    if (d !== 0) return d;
  }
  return 0;
}

export function createMemoryIndex(db: Pick<Database, "query">, opts: { maxBytes: number }): MemoryIndex {
  // Insertion order is recency: a hit moves its entry to the end, eviction takes from the front.
  const entries = new Map<string, Entry>();
  const loading = sharedReads<string, Entry>();
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
    const [v] = await db.query<{ version: string }>(
      "SELECT version::text AS version FROM memory_versions WHERE user_id = $1::uuid",
      [userId],
    );
    return v?.version ?? "0";
  }

  async function load(userId: string, model: string): Promise<Entry> {
    // One statement, so the version read is the one the rows were read at.
    const [row] = await db.query<Loaded>(READ, [userId, model]);
    const n = row?.n ?? 0;
    return decode(Buffer.from(row?.rows ?? "", "base64"), n, row?.type_names ?? [], row?.version ?? "0");
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
    return loading(key, async () => {
      const entry = await load(userId, model);
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
    });
  }

  return {
    async search(userId, model, query, first, memoryType, now = Date.now()) {
      const e = await entryFor(userId, model);
      if (e.dims !== query.length || first < 1) return { candidates: [] };
      const q = Float64Array.from(query);
      const { vectors, dims, size } = e;
      const wanted = memoryType ? e.typeNames.indexOf(memoryType) + 1 : 0;
      if (memoryType && wanted < 1) return { candidates: [] };
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
        if (wanted > 0 && e.types[i] !== wanted) continue;
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
      const within: number[] = [];
      for (let i = 0; i < size; i++) if ((scores[i] as number) >= floor) within.push(i);
      // Twins share their float32 score too, so in this order each twin group runs by importance,
      // then id: the exact tie-break, which lets the first `first` of a group stand for it.
      if (within.length > first)
        within.sort(
          (a, b) =>
            (scores[b] as number) - (scores[a] as number) ||
            (e.importance[b] as number) - (e.importance[a] as number) ||
            compareIds(e.ids, a, b),
        );
      const taken = new Map<number, number>();
      const candidates: IndexHit[] = [];
      for (const i of within) {
        const group = e.twin[i] as number;
        const n = taken.get(group) ?? 0;
        if (n >= first) continue;
        taken.set(group, n + 1);
        candidates.push({ id: uuidAt(e.ids, i), score: scores[i] as number });
      }
      return { candidates };
    },
    size: () => held,
    bytes: () => heldBytes,
  };
}
