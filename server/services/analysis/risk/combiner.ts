import { FLAG_THRESHOLD } from "../lexicon.ts";
import type { FlagReason } from "./reason.ts";
import { hasFirstPerson } from "./text.ts";

// The scorer's last word: a logistic regression over what the rules found, what the learned
// model reads, and the cues around them (negation, reporting, jokes, first person, quotes), so
// the model can overrule a rule in both directions. It is trained by
// server/scripts/train-risk-model.ts on training posts the rules were never written from, with
// the model's readings taken out of fold, and its threshold chosen by cross-validation there.

/** What the model reads in a post, for the combiner: both leads over "ok" (log2) and the category. */
export interface ModelReading {
  lead: number;
  category: string;
  categoryLead: number;
  /** Distinct tokens read: naive Bayes leads grow with length, so the combiner needs both. */
  tokens: number;
}

/** Categories a rule can name; one feature each (how strongly a rule of that category matched). */
export const RULE_CATEGORIES = [
  "immigration",
  "document-fraud",
  "exam-fraud",
  "weapons",
  "violence",
  "extremism",
  "hate",
  "drugs",
  "fraud",
  "hacking",
  "theft",
  "drunk-driving",
  "personal-data",
] as const;

/** What a feature means, said so a flag or a veto can name what weighed most. */
export const FEATURES: Record<string, string> = {
  lead: "the learned model's lead of risky over harmless",
  categoryLead: "the learned model's lead of its likeliest category over harmless",
  unknown: "no word the learned model knows",
  ruleMax: "the strongest rule match",
  ruleFull: "a rule matched at full weight",
  ruleWeakened: "a rule matched but was weakened (negated, reported or a joke)",
  ruleCount: "how many rules matched at full weight",
  generic: "only topic-plus-cue rules matched, no phrase rule",
  pii: "personal data in the text",
  negation: "a negation in the post",
  reporting: "it reads as reporting or fiction",
  joke: "it is marked as a joke",
  firstPerson: "the writer speaks of themselves",
  quoted: "it quotes someone",
  question: "it asks a question",
  agree: "the rule and the learned model name the same category",
  leadWithRule: "the learned model's lead where a rule matched at full weight",
  leadWithoutRule: "the learned model's lead where no rule matched",
  leadPerToken: "the learned model's lead per word read",
  length: "how long the post is",
  ...Object.fromEntries(RULE_CATEGORIES.map((c) => [`rule:${c}`, `a ${c} rule matched`])),
  ...Object.fromEntries(RULE_CATEGORIES.map((c) => [`model:${c}`, `the learned model's lead for a ${c} post`])),
};
export const FEATURE_NAMES = Object.keys(FEATURES);

const NEGATOR = /(?:^| )(?:not|never|no|nobody|nothing|without|against|refuse|refused)(?= |$)/;
const clip = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));

export interface Evidence {
  norm: string;
  text: string;
  /** Phrase and topic rules (weakened ones included), personal-data patterns apart. */
  rules: FlagReason[];
  pii: FlagReason[];
  reporting: string | null;
  joke: string | null;
}

/** The combiner's inputs for one post, in FEATURE_NAMES order. */
export function stackFeatures(e: Evidence, reading: ModelReading | null): number[] {
  const lead = clip(reading?.lead ?? 0, -50, 50) / 10;
  const categoryLead = clip(reading?.categoryLead ?? 0, -50, 50) / 10;
  const strongest = e.rules.reduce<FlagReason | null>((a, r) => (!a || r.severity > a.severity ? r : a), null);
  const ruleMax = (strongest?.severity ?? 0) / 5;
  const ruleFull = e.rules.some((r) => r.severity >= FLAG_THRESHOLD) ? 1 : 0;
  const perCategory = new Map<string, number>();
  for (const r of e.rules) perCategory.set(r.category, Math.max(perCategory.get(r.category) ?? 0, r.severity / 5));
  const f: Record<string, number> = {
    lead,
    categoryLead,
    unknown: reading ? 0 : 1,
    ruleMax,
    ruleFull,
    ruleWeakened: e.rules.some((r) => r.severity < FLAG_THRESHOLD) ? 1 : 0,
    // Only rules at full weight add up: two rules both weakened as reporting are not two witnesses.
    ruleCount: Math.min(e.rules.filter((r) => r.severity >= FLAG_THRESHOLD).length, 3) / 3,
    generic:
      e.rules.length > 0 &&
      e.rules.every((r) => /\.(?:concealed|[a-z]+-generic|generalisation)$|harm-outcome$/.test(r.rule))
        ? 1
        : 0,
    pii: e.pii.reduce((m, r) => Math.max(m, r.severity), 0) / 5,
    negation: NEGATOR.test(e.norm) ? 1 : 0,
    reporting: e.reporting ? 1 : 0,
    joke: e.joke ? 1 : 0,
    firstPerson: hasFirstPerson(e.norm) ? 1 : 0,
    quoted: e.norm.includes("| quoted |") ? 1 : 0,
    question: e.text.includes("?") ? 1 : 0,
    agree: strongest && reading && strongest.category === reading.category ? 1 : 0,
    leadWithRule: ruleFull ? lead : 0,
    leadWithoutRule: e.rules.length === 0 ? lead : 0,
  };
  const tokens = reading?.tokens ?? 0;
  f.leadPerToken = tokens ? clip((reading?.lead ?? 0) / tokens, -5, 5) : 0;
  f.length = Math.log1p(tokens) / 3;
  RULE_CATEGORIES.forEach((c) => {
    f[`rule:${c}`] = perCategory.get(c) ?? 0;
    f[`model:${c}`] = reading?.category === c ? lead : 0;
  });
  return FEATURE_NAMES.map((n) => f[n] ?? 0);
}

export interface CombinerFile {
  features: string[];
  /** Standardisation learned on the training rows: (x - mean) / scale. */
  mean: number[];
  scale: number[];
  weights: number[];
  bias: number;
  /** The probability of risky that flags, chosen by cross-validation on training posts. */
  threshold: number;
  trainedOn: string;
}

export class Combiner {
  constructor(private readonly file: CombinerFile) {
    if (file.features.join() !== FEATURE_NAMES.join())
      throw new Error("risk combiner was trained on other features: run npm run train:scorer");
  }

  get threshold(): number {
    return this.file.threshold;
  }

  /** Probability that the post is risky, and whether that flags. */
  judge(x: number[]): { p: number; flagged: boolean } {
    const { mean, scale, weights, bias } = this.file;
    let z = bias;
    for (let i = 0; i < x.length; i++) z += ((weights[i] ?? 0) * ((x[i] ?? 0) - (mean[i] ?? 0))) / (scale[i] || 1);
    const p = 1 / (1 + Math.exp(-z));
    return { p, flagged: p >= this.file.threshold };
  }

  /** Each feature's push on the log-odds, to say what weighed most (only for posts a reason is written for). */
  pushes(x: number[]): { feature: string; weight: number }[] {
    const { mean, scale, weights } = this.file;
    return x.map((v, i) => ({
      feature: FEATURE_NAMES[i] ?? "",
      weight: ((weights[i] ?? 0) * (v - (mean[i] ?? 0))) / (scale[i] || 1),
    }));
  }
}

/**
 * Not named in a reason: length only scales the model's lead, and against a rule's flag the
 * rule's own features say how far rules of its kind are trusted, not what outweighed it.
 */
const SILENT = /^(?:length|unknown)$/;

/** "a rule matched at full weight (+1.2), the learned model's lead (-0.8)": the strongest pushes one way. */
export function describePushes(pushes: { feature: string; weight: number }[], sign: 1 | -1, n = 2): string {
  return pushes
    .filter((p) => p.weight * sign > 0.05 && !SILENT.test(p.feature))
    .sort((a, b) => b.weight * sign - a.weight * sign)
    .slice(0, n)
    .map((p) => `${FEATURES[p.feature] ?? p.feature} (${p.weight > 0 ? "+" : ""}${p.weight.toFixed(1)})`)
    .join(", ");
}
