import { readFileSync } from "node:fs";
import { normalize } from "./text.ts";

// The learned half of the scorer: a naive Bayes model over words and word pairs, trained by
// server/scripts/train-risk-model.ts (wink-naive-bayes-text-classifier) on the labelled dev
// posts in test/fixtures, one class per category plus "ok". It catches wording no rule names,
// and it says which words weighed most, so a flag from it can be contested like any other.

const STOP = new Set(
  "a an the and or of to in on at for is are was were be been it this that so just with as by from but".split(" "),
);
/** A crude stem, enough to make "sold"/"sells" and "drove"/"driving" less sparse than spellings. */
const stem = (w: string) =>
  w.length >= 6 ? w.replace(/(?:ing|ed|es|s)$/, "") : w.length >= 4 ? w.replace(/(?<!s)s$/, "") : w;

/** The model's view of a post: normalised words without stop words, stemmed, and their pairs. */
export function modelTokens(text: string, normalized = normalize(text)): string[] {
  const words = normalized
    .split(" ")
    .filter((w) => w !== "|" && !STOP.has(w))
    .map(stem);
  return [...words, ...words.slice(1).map((w, i) => `${words[i]}_${w}`)];
}

/** wink-naive-bayes-text-classifier's exportJSON(): config, samples, counts, word totals, vocabulary. */
type Exported = [
  { considerOnlyPresence: boolean; smoothingFactor: number },
  Record<string, number>,
  Record<string, Record<string, number>>,
  Record<string, number>,
  string[],
];

export interface ModelFile {
  /** The smallest lead of a category over "ok" (log2 odds) that flags; chosen by cross-validation. */
  margin: number;
  trainedOn: string;
  model: string;
}

export interface ModelVerdict {
  category: string;
  /** log2 of how much likelier the category is than "ok". */
  lead: number;
  /** The words that pushed hardest towards the category. */
  evidence: string[];
}

export class RiskModel {
  readonly labels: string[];
  private readonly prior: Float64Array;
  private readonly table = new Map<string, Float64Array>();
  private readonly ok: number;

  constructor(
    exported: Exported,
    readonly margin: number,
  ) {
    const [config, samples, counts, totals, vocabulary] = exported;
    this.labels = Object.keys(samples);
    this.ok = this.labels.indexOf("ok");
    const all = this.labels.reduce((s, l) => s + (samples[l] ?? 0), 0);
    const k = config.smoothingFactor;
    this.prior = Float64Array.from(this.labels, (l) => Math.log2((samples[l] ?? 0) / all));
    const denominator = this.labels.map((l) => Math.log2((totals[l] ?? 0) + vocabulary.length * k));
    for (const w of vocabulary)
      this.table.set(
        w,
        Float64Array.from(this.labels, (l, i) => Math.log2((counts[l]?.[w] ?? 0) + k) - (denominator[i] ?? 0)),
      );
  }

  /** The likeliest category other than "ok" and its lead over "ok", or null if "ok" wins. */
  judge(text: string, normalized?: string): ModelVerdict | null {
    const tokens = [...new Set(modelTokens(text, normalized))].filter((t) => this.table.has(t));
    if (tokens.length === 0) return null;
    const score = Float64Array.from(this.prior);
    for (const t of tokens) {
      const row = this.table.get(t) as Float64Array;
      for (let i = 0; i < score.length; i++) score[i] = (score[i] ?? 0) + (row[i] ?? 0);
    }
    let best = -1;
    for (let i = 0; i < score.length; i++)
      if (i !== this.ok && (best < 0 || (score[i] ?? 0) > (score[best] ?? 0))) best = i;
    const lead = (score[best] ?? 0) - (score[this.ok] ?? 0);
    if (lead <= 0) return null;
    const weight = (t: string) => {
      const row = this.table.get(t) as Float64Array;
      return (row[best] ?? 0) - (row[this.ok] ?? 0);
    };
    const evidence = tokens
      .filter((t) => weight(t) > 0)
      .sort((a, b) => weight(b) - weight(a))
      .slice(0, 3)
      .map((t) => t.replace("_", " "));
    return { category: this.labels[best] ?? "", lead: Math.round(lead * 10) / 10, evidence };
  }
}

let loaded: RiskModel | null | undefined;
/** The committed model, loaded once; null when there is none (the rules still work alone). */
export function riskModel(): RiskModel | null {
  if (loaded === undefined) {
    try {
      const file = JSON.parse(readFileSync(new URL("./model.json", import.meta.url), "utf8")) as ModelFile;
      loaded = new RiskModel(JSON.parse(file.model) as Exported, file.margin);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      loaded = null;
    }
  }
  return loaded;
}
