// The offline embedder reads its word vectors from the compact file (server/services/word-vectors.ts)
// instead of wink-nlp's 307 MB JSON; memories stored before must keep ranking as they did, so its
// vectors must be the very ones wink computed from the JSON. This file alone loads the JSON, to
// compare with the embedder the compact file replaced (test/support/wink-json-embedder.ts).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalEmbedder } from "../../server/services/embeddings.ts";
import {
  ensureWordVectors,
  openWordVectors,
  packValue,
  unpackValue,
  type WordVectors,
  writeWordVectors,
} from "../../server/services/word-vectors.ts";
import { loadWinkJson, winkJsonEmbedder } from "../support/wink-json-embedder.ts";

const root = path.resolve(import.meta.dirname, "../..");
// Loaded for this file's comparisons and let go after them: the unit project's workers run
// other files in the same process (isolate: false), which should not carry a gigabyte.
let json: ReturnType<typeof loadWinkJson>;

/** A small seeded generator, so that a failure names texts that can be made again. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const WRITTEN = [
  "",
  "   ",
  "!!! ??? ...",
  "the of and",
  "it is what it is",
  "Has two cats and a dog at home",
  "Works as a tax accountant in Munich",
  "Prefers answers in German, short and without emoji 😀🎉",
  "Allergic to peanuts; carries an EpiPen.",
  "User's daughter starts school in September 2026",
  "NEW YORK CITY MARATHON runner, best time 3:12:45",
  "Café naïve résumé Straße Zürich",
  "“Quoted” words — and dashes… and €5, £3, ¥100",
  "日本語のテキストと English words mixed",
  "email me at someone@example.com or https://example.com/path?q=1",
  "C++ and C# developers don't use __proto__ or constructor",
  "hasOwnProperty toString valueOf isPrototypeOf",
  "a\ud800b lone surrogate cat",
  "zsombor sandberger rolonda kronik chanty",
  "qwxzv flurbish snorkelwhack",
  "running ran runs better best geese mice was were been",
  "The quick brown fox jumps over the lazy dog. The dog sleeps.",
  "12345 67.89 -3 1e10",
  "I'd've gone, y'all'd've known, they're here; we'll see.",
  "Likes hiking, climbing, skiing and ice-skating in the Alps.",
  "Vegetarian since 2019, avoids fish and gelatine",
  "Is learning Spanish on Duolingo and practises every evening",
  "Password hint: never store passwords in memories",
  `${"long ".repeat(500)}text`,
];

function generated(count: number, vocabulary: string[]): string[] {
  const next = random(25);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  const marks = [",", ".", "!", "?", ";", ":", " -", "'s", ""];
  return Array.from({ length: count }, () => {
    const n = 1 + Math.floor(next() * 40);
    const text: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = next();
      // Mostly common words (the head of the list), some rare, a few the table does not have.
      let w =
        r < 0.6
          ? vocabulary[Math.floor(next() * 5000)]!
          : r < 0.9
            ? pick(vocabulary)
            : `zq${Math.floor(next() * 1e6)}x`;
      if (next() < 0.15) w = w[0]!.toUpperCase() + w.slice(1);
      if (next() < 0.03) w = w.toUpperCase();
      text.push(w + (next() < 0.2 ? pick(marks) : ""));
    }
    return text.join(" ");
  });
}

describe("the compact word vectors", () => {
  let vectors: WordVectors;
  beforeAll(async () => {
    await ensureWordVectors({ current: true });
    vectors = await openWordVectors();
    json = loadWinkJson();
  });
  afterAll(async () => {
    json = undefined as never;
    await vectors?.close();
  });

  it("hold every word of the JSON with exactly its values", async () => {
    expect(vectors.size).toBe(Object.keys(json.vectors).length);
    const next = random(7);
    const randomWords = (n: number) =>
      Array.from({ length: n }, () => json.words[Math.floor(next() * json.words.length)]!);
    // Three reads at once, two of them of more words than the reader keeps decoded, so that each
    // pushes the others' words out while they wait on the file.
    const samples = [
      [...json.words.slice(0, 500), ...randomWords(2000)],
      randomWords(6000),
      [...json.words.slice(0, 500), ...randomWords(5000)],
    ];
    const rows = samples.map((sample) => sample.map((w) => vectors.indexOf(w)));
    expect(rows.flat().filter((r) => r < 0)).toEqual([]);
    const read = await Promise.all(rows.map((r) => vectors.read(r)));
    for (const [s, sample] of samples.entries()) {
      for (const [i, w] of sample.entries()) expect(Array.from(read[s]![i]!)).toEqual(json.vectors[w]!.slice(0, 100));
    }
    for (const absent of ["", "The", "zzqqxx", "\ud800", "caf\u00e9\u0301", "constructor-"])
      expect(vectors.indexOf(absent)).toBe(-1);
  });

  it("give the embedder the vectors wink computed from the JSON, to the bit", async () => {
    const texts = [...WRITTEN, ...generated(300, json.words)];
    const old = winkJsonEmbedder(json);
    const now = await createLocalEmbedder().embed(texts);
    for (const [i, text] of texts.entries()) {
      // toEqual tells 0 from -0 too: a rounded mean can be -0, and must stay so.
      expect({ text, vector: now[i] }).toEqual({ text, vector: old(text) });
    }
  });
});

describe("the compact form of a value", () => {
  it("gives back the double JSON.parse gave", () => {
    for (const text of [
      "0",
      "-0.5",
      "4.0666",
      "-0.074645",
      "0.000012345",
      "-4.0666",
      "1e-12",
      "99999",
      "0.10000000000000001",
    ]) {
      const x = JSON.parse(text) as number;
      expect(unpackValue(packValue(x))).toBe(x);
    }
  });

  it("refuses a value it cannot give back exactly, so a new version of the vectors fails the build", () => {
    expect(() => packValue(Math.PI)).toThrow(/no exact compact form/);
    expect(() => packValue(1e12)).toThrow(/no exact compact form/);
  });

  it("writes a table whose lookups and reads round-trip, in a file of its own", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "word-vectors-"));
    try {
      const file = path.join(dir, "v.bin");
      const v = (x: number) => [x, -x / 10, 0.5, 3];
      writeWordVectors(
        {
          precision: 8,
          dimensions: 4,
          l2NormIndex: 4,
          vectors: { zebra: [...v(0.25), 1], "€": [...v(1.5), 1], apple: [...v(-2), 1], é: [...v(0.001), 1] },
        },
        file,
        "test@1",
      );
      const table = await openWordVectors(file);
      expect(["apple", "zebra", "é", "€"].map((w) => table.indexOf(w))).toEqual([0, 1, 2, 3]);
      expect(table.indexOf("apples")).toBe(-1);
      expect((await table.read([3, 0])).map((r) => Array.from(r))).toEqual([v(1.5), v(-2)]);
      await table.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a process that embeds", () => {
  it("does not load the JSON: its resident memory stays far below the gigabyte the JSON cost", () => {
    const script = `
      import { createLocalEmbedder } from "./server/services/embeddings.ts";
      const before = process.memoryUsage().rss;
      await createLocalEmbedder().embed(["Has two cats and a dog at home", "Works as a tax accountant in Munich"]);
      console.log(JSON.stringify({ added: process.memoryUsage().rss - before }));
    `;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const { added } = JSON.parse(r.stdout) as { added: number };
    // The JSON added about 1 GB; the word table and wink's lite model add tens of MB.
    expect(added).toBeLessThan(150 * 2 ** 20);
  });
});
