// The risk model's tables (model.ts), built from the committed files: about a second of CPU, all of
// it synchronous, spent in the scoring thread (scorer.ts createScoringThread), never on the server's.
import { readFileSync } from "node:fs";

/** One naive Bayes classifier's weights, summed once per word (NaiveBayes in model.ts reads them). */
export interface NaiveBayesTables {
  /** wink-naive-bayes-text-classifier's exportJSON(), for asking the library itself (a test does). */
  json: string;
  labels: string[];
  /** Per label, log2 of its odds among the training samples. */
  priors: Float64Array;
  /** The row of each known word in `against`. */
  index: Map<string, number>;
  /** Row per known word, column per label: log2 P(word | label) - log2 P(word | every other label). */
  against: Float64Array;
  /** Per label but "ok", per word it has: log2 P(word | label) - log2 P(word | ok). */
  weights: Map<string, Map<string, number>>;
}

/** wink-naive-bayes-text-classifier's exportJSON(): config, samples, counts, word totals, vocabulary. */
type Exported = [
  { considerOnlyPresence: boolean; smoothingFactor: number },
  Record<string, number>,
  Record<string, Record<string, number>>,
  Record<string, number>,
  string[],
];

const own = (o: Record<string, number>, w: string): number => (Object.hasOwn(o, w) ? (o[w] as number) : 0);

export function buildTables(json: string): NaiveBayesTables {
  const [config, samples, counts, totals, vocabulary] = JSON.parse(json) as Exported;
  const labels = Object.keys(samples);
  const width = labels.length;
  const k = config.smoothingFactor;
  const v = vocabulary.length * k;
  const index = new Map<string, number>();
  for (const w of vocabulary) if (!index.has(w)) index.set(w, index.size);
  // Counts over every label, so "every other label" is the whole less the one.
  const all = new Float64Array(index.size);
  for (const label of labels) {
    const mine = counts[label] ?? {};
    for (const w of Object.keys(mine)) {
      const row = index.get(w);
      if (row !== undefined) all[row] = (all[row] as number) + own(mine, w);
    }
  }
  const allWords = labels.reduce((n, l) => n + (totals[l] ?? 0), 0);
  const logP = (n: number, words: number) => Math.log2(n + k) - Math.log2(words + v);
  const sum = Object.values(samples).reduce((a, b) => a + b, 0);
  const priors = new Float64Array(width);
  const against = new Float64Array(index.size * width);
  const weights = new Map<string, Map<string, number>>();
  const ok = counts.ok ?? {};
  labels.forEach((label, i) => {
    const mine = counts[label] ?? {};
    const words = totals[label] ?? 0;
    const inLabel = samples[label] ?? 0;
    priors[i] = Math.log2(inLabel) - Math.log2(sum - inLabel);
    // Most words never occur under a label: one pass for them, then the words it has.
    const absent = logP(0, words);
    for (let row = 0; row < index.size; row++)
      against[row * width + i] = absent - logP(all[row] as number, allWords - words);
    for (const w of Object.keys(mine)) {
      const row = index.get(w);
      if (row === undefined) continue;
      const n = own(mine, w);
      against[row * width + i] = logP(n, words) - logP((all[row] as number) - n, allWords - words);
    }
    if (label === "ok") return;
    const e = new Map<string, number>();
    for (const w of Object.keys(mine)) e.set(w, logP(own(mine, w), words) - logP(own(ok, w), totals.ok ?? 0));
    weights.set(label, e);
  });
  return { json, labels, priors, index, against, weights };
}

/** The model file's small fields, both classifiers' tables, the word kin. */
export interface BuiltModel {
  /** model.json without its two classifiers (margins, combiner). */
  file: Record<string, unknown>;
  binary: NaiveBayesTables;
  categories: NaiveBayesTables;
  /** classes.json's `classes`; empty when there is no such file. */
  classes: Record<string, string[]>;
}

function readOptional(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** Both files read and both classifiers built; null when there is no model file. */
export function buildModel(modelPath: string, classesPath: string): BuiltModel | null {
  const text = readOptional(modelPath);
  if (text === null) return null;
  const { binary, categories, ...file } = JSON.parse(text) as { binary: string; categories: string };
  const classesText = readOptional(classesPath);
  return {
    file,
    binary: buildTables(binary),
    categories: buildTables(categories),
    classes: classesText === null ? {} : (JSON.parse(classesText) as { classes: Record<string, string[]> }).classes,
  };
}
