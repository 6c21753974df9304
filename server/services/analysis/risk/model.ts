import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { ROOT } from "../../../root.ts";
import { Combiner, type CombinerFile, type ModelReading } from "./combiner.ts";
import { type BuiltModel, buildModel, buildTables, type NaiveBayesTables } from "./model-tables.ts";
import { normalize } from "./text.ts";

// The learned half of the scorer: a naive Bayes model over words and word pairs, trained by
// server/scripts/train-risk-model.ts (wink-naive-bayes-text-classifier) on the labelled dev
// posts in test/fixtures, one class per category plus "ok". It catches wording no rule names,
// and it says which words weighed most, so a flag from it can be contested like any other.

/**
 * The labelled splits in test/fixtures the model learns from (dev: the rules' own posts; dev2:
 * paraphrase, slang and hard negatives written later; dev3: more slang, euphemism and innocent
 * twins, weighted to the weakest categories). Every other split is held out.
 */
export type { ModelReading };

export const TRAINING_SPLITS = ["dev", "dev2", "dev3"];

const STOP = new Set(
  "a an the and or of to in on at for is are was were be been it this that so just with as by from but".split(" "),
);
/** A crude stem, enough to make "sold"/"sells" and "drove"/"driving" less sparse than spellings. */
const stem = (w: string) =>
  w.length >= 6 ? w.replace(/(?:ing|ed|es|s)$/, "") : w.length >= 4 ? w.replace(/(?<!s)s$/, "") : w;

/** Normalised words without stop words, as the word vectors spell them. */
export function modelWords(text: string, normalized = normalize(text)): string[] {
  return normalized.split(" ").filter((w) => w !== "|" && w !== "" && !STOP.has(w));
}

const NEGATORS = new Set(["not", "never", "no", "nobody", "nothing", "without"]);
const SCOPE = 3;
/**
 * Words said not to happen ("i never cheated", "i do not own a gun"): the few words after a
 * negation in its clause read as their own tokens, so "cheated" in "never cheated" lends no
 * evidence of cheating.
 */
function negationScope(normalized: string): Set<string> {
  const out = new Set<string>();
  let left = 0;
  for (const w of normalized.split(" ")) {
    if (w === "|") left = 0;
    else if (NEGATORS.has(w)) left = SCOPE;
    else if (left > 0) {
      if (!STOP.has(w)) out.add(w);
      left--;
    }
  }
  return out;
}

/** Where the committed model files live (from the root: in the start bundle this module has no file of its own). */
const HERE = path.join(ROOT, "server/services/analysis/risk");

/** Per word, the dev words it lies nearest to in the word vectors (server/scripts/build-risk-classes.ts). */
let classes: Record<string, string[]> | undefined;
function nearWords(): Record<string, string[]> {
  if (classes === undefined) {
    try {
      classes = (
        JSON.parse(readFileSync(path.join(HERE, "classes.json"), "utf8")) as {
          classes: Record<string, string[]>;
        }
      ).classes;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      classes = {};
    }
  }
  return classes;
}

/**
 * The model's view of a post: stemmed words, their pairs, and "~w" for each dev word w a word
 * lies near in meaning, so wording never seen in training still lends the evidence of its kin.
 */
export function modelTokens(text: string, normalized = normalize(text)): string[] {
  const raw = modelWords(text, normalized);
  const negated = negationScope(normalized);
  const words = raw.map((w) => (negated.has(w) ? `not_${stem(w)}` : stem(w)));
  const near = nearWords();
  const kin = raw.flatMap((w) =>
    Object.hasOwn(near, w) && !negated.has(w) ? (near[w] as string[]).map((n) => `~${stem(n)}`) : [],
  );
  const pairs = words.slice(1).map((w, i) => `${words[i]}_${w}`);
  return [...words, ...pairs, ...kin];
}

export interface ModelFile {
  /** The smallest lead of "risky" over "ok" (log2 odds) that flags; chosen by cross-validation. */
  margin: number;
  /** Per category the model names, the lead it needs instead (chosen on out-of-fold verdicts). */
  margins?: Record<string, number>;
  trainedOn: string;
  /** Two classes, "risky" and "ok": decides whether to flag. */
  binary: string;
  /** One class per category and "ok": names the category of a post the binary model flags. */
  categories: string;
  /** The final decision over rules, model and cues (risk/combiner.ts); absent: rules first, as before. */
  combiner?: CombinerFile;
}

export interface ModelVerdict {
  category: string;
  /** log2 of how much likelier "risky" is than "ok". */
  lead: number;
  /** The words that pushed hardest towards risky; a word read by its kin as `word (near "kin")`. */
  evidence: string[];
}

interface WinkClassifier {
  importJSON(json: string): boolean;
  consolidate(): boolean;
  computeOdds(tokens: string[]): [string, number][];
}
const Classifier = createRequire(import.meta.url)("wink-naive-bayes-text-classifier") as () => WinkClassifier;

/**
 * One exported classifier, with the per-word weights that explain its verdicts. It scores a post
 * the way the library's computeOdds does (one label against all the others, log2), but from
 * weights summed once per word at load: the library redoes that bookkeeping on every call, which
 * took most of the scorer's time. `libraryOdds` asks the library itself; a test pins them equal.
 */
export class NaiveBayes {
  readonly labels: string[];
  private readonly json: string;
  /** Per label, log2 P(word | label) - log2 P(word | ok): which words pushed towards the label. */
  private readonly weights: Map<string, Map<string, number>>;
  /**
   * Per known word, a row of log2 P(word | label) - log2 P(word | every other label) for each label
   * in `labels` order: one lookup per word, not one per word and label.
   */
  private readonly index: Map<string, number>;
  private readonly against: Float64Array;
  private readonly priors: Float64Array;

  /** From an exported classifier, or from its tables built elsewhere (model-tables.ts). */
  constructor(source: string | NaiveBayesTables) {
    const t = typeof source === "string" ? buildTables(source) : source;
    this.json = t.json;
    this.labels = t.labels;
    this.weights = t.weights;
    this.index = t.index;
    this.against = t.against;
    this.priors = t.priors;
  }

  /** Every label's log2 odds against the rest; null when no token is known (the library's "unknown"). */
  odds(tokens: string[]): Map<string, number> | null {
    const sums = Float64Array.from(this.priors);
    let known = false;
    const width = sums.length;
    for (const t of tokens) {
      const row = this.index.get(t);
      if (row === undefined) continue;
      known = true;
      for (let i = 0; i < width; i++) sums[i] = (sums[i] as number) + (this.against[row * width + i] as number);
    }
    return known ? new Map(this.labels.map((l, i) => [l, sums[i] as number])) : null;
  }

  /** The library's own computeOdds on the same tokens. */
  libraryOdds(tokens: string[]): [string, number][] {
    const nb = Classifier();
    nb.importJSON(this.json);
    nb.consolidate();
    return nb.computeOdds(tokens);
  }

  /** The best label other than "ok" and its lead over "ok" in log2 odds (one class against the rest). */
  best(tokens: string[]): { label: string; lead: number } | null {
    const odds = this.odds(tokens);
    const ok = odds?.get("ok");
    if (!odds || ok === undefined) return null;
    let best: { label: string; lead: number } | null = null;
    for (const [label, o] of odds) if (label !== "ok" && (!best || o - ok > best.lead)) best = { label, lead: o - ok };
    return best;
  }

  evidence(tokens: string[], label: string): string[] {
    const weight = this.weights.get(label) ?? new Map<string, number>();
    return tokens
      .filter((t) => (weight.get(t) ?? 0) > 0)
      .sort((a, b) => (weight.get(b) ?? 0) - (weight.get(a) ?? 0))
      .slice(0, 3);
  }
}

export class RiskModel {
  private readonly binary: NaiveBayes;
  private readonly categories: NaiveBayes;
  /** The least lead any category needs: below it, no need to ask which category. */
  private readonly lowest: number;

  readonly combiner: Combiner | null;

  constructor(
    file: Pick<ModelFile, "combiner"> & { binary: string | NaiveBayesTables; categories: string | NaiveBayesTables },
    readonly margin: number,
    private readonly margins: Record<string, number> = {},
  ) {
    this.lowest = Math.min(margin, ...Object.values(margins));
    this.binary = new NaiveBayes(file.binary);
    this.categories = new NaiveBayes(file.categories);
    this.combiner = file.combiner ? new Combiner(file.combiner) : null;
  }

  private last: { text: string; tokens: string[] } | null = null;
  /** The post's distinct tokens; the last post's are kept, since a flag reads it twice (read, then judge). */
  private tokensOf(text: string, normalized?: string): string[] {
    if (this.last?.text !== text) this.last = { text, tokens: [...new Set(modelTokens(text, normalized))] };
    return this.last.tokens;
  }

  /** Both leads and the likeliest category; null when the model knows none of the words. */
  read(text: string, normalized?: string): ModelReading | null {
    const tokens = this.tokensOf(text, normalized);
    const risky = this.binary.best(tokens);
    if (!risky) return null;
    const category = this.categories.best(tokens);
    return {
      lead: risky.lead,
      category: category?.label ?? "unknown",
      categoryLead: category?.lead ?? 0,
      tokens: tokens.length,
    };
  }

  get labels(): string[] {
    return this.categories.labels;
  }

  /** How much likelier "risky" is than "ok" (log2); null when the model knows none of the words. */
  lead(text: string, normalized?: string): number | null {
    return this.binary.best([...new Set(modelTokens(text, normalized))])?.lead ?? null;
  }

  /**
   * How much likelier "risky" is than "ok" (log2), the likeliest category, and the words that
   * pushed hardest towards risky; null unless "risky" leads by more than `margin` (by default the
   * model's own for the category it names, chosen by cross-validation).
   */
  judge(text: string, normalized?: string, margin?: number): ModelVerdict | null {
    const tokens = this.tokensOf(text, normalized);
    const risky = this.binary.best(tokens);
    if (!risky || risky.lead <= (margin ?? this.lowest)) return null;
    const category = this.categories.best(tokens)?.label ?? "unknown";
    const needed =
      margin ?? (Object.hasOwn(this.margins, category) ? this.margins[category] : undefined) ?? this.margin;
    if (risky.lead <= needed) return null;
    const near = nearWords();
    const kinOf = new Map<string, string>();
    for (const w of modelWords(text, normalized))
      for (const n of Object.hasOwn(near, w) ? (near[w] as string[]) : []) kinOf.set(`~${stem(n)}`, w);
    return {
      category,
      lead: Math.round(risky.lead * 10) / 10,
      evidence: this.binary
        .evidence(tokens, "risky")
        .map((t) =>
          t.startsWith("~") ? `${kinOf.get(t) ?? "a word"} (near "${t.slice(1)}")` : t.replaceAll("_", " "),
        ),
    };
  }
}

let loaded: RiskModel | null | undefined;
const MODEL_FILE = path.join(HERE, "model.json");
const CLASSES_FILE = path.join(HERE, "classes.json");

function install(built: BuiltModel | null): RiskModel | null {
  if (loaded !== undefined) return loaded;
  if (!built) loaded = null;
  else {
    classes ??= built.classes;
    const file = built.file as Omit<ModelFile, "binary" | "categories">;
    loaded = new RiskModel({ ...file, binary: built.binary, categories: built.categories }, file.margin, file.margins);
  }
  return loaded;
}

/** The committed model, loaded once; null when there is none (the rules still work alone). */
export function riskModel(): RiskModel | null {
  return loaded === undefined ? install(buildModel(MODEL_FILE, CLASSES_FILE)) : loaded;
}
