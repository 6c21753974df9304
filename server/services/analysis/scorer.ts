import type { ContentSource } from "../../generated/prisma/client.ts";
import {
  ADMISSION_FACTOR,
  ADMISSION_WINDOW,
  FIRST_PERSON,
  LEXICON,
  NEGATION_FACTOR,
  NEGATION_WINDOW,
  NEGATIONS,
  type RiskCategory,
} from "./lexicon.ts";

export interface ScoreItem {
  id: string;
  text: string;
}

/** One reason an item was flagged: the rule, what matched and why it matters. */
export interface FlagReason {
  rule: string;
  category: string;
  term: string;
  /** Weight after negation and admission adjustments. */
  severity: number;
  why: string;
}

export interface FlaggedItem {
  contentItemId: string;
  excerpt: string;
  score: number;
  reasons: FlagReason[];
}

export interface BatchScore {
  flags: { id: string; reasons: FlagReason[] }[];
  tokens: number;
}

/** A scorer turns items into explained flags; grading them is common to every scorer (see aggregate). */
export interface Scorer {
  /** Stored on the run, e.g. "lexicon-v1" or "openai:gpt-4o-mini". */
  readonly name: string;
  readonly provider: string;
  readonly model: string;
  /** Tokens a batch will cost, known before it runs, for the quota check before analysing. */
  estimateTokens(items: readonly ScoreItem[]): number;
  scoreBatch(source: ContentSource, items: readonly ScoreItem[], signal: AbortSignal): Promise<BatchScore>;
}

export interface SourceScore {
  riskScore: number;
  grade: string;
  itemCount: number;
  flaggedItems: FlaggedItem[];
  summary: string;
}

/** Character count / 4 is the usual rule of thumb for English tokens, and what the offline scorer bills. */
export const approxTokens = (text: string) => Math.ceil(text.length / 4);

export function gradeOf(risk: number): string {
  if (risk < 20) return "A";
  if (risk < 40) return "B";
  if (risk < 60) return "C";
  if (risk < 80) return "D";
  return "F";
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
// Word boundaries that also hold around terms that start or end in digits or hyphens ("ar-15", "420").
const termPattern = (term: string) =>
  new RegExp(`(?<![\\p{L}\\p{N}])${term.split(/\s+/).map(escapeRegExp).join("\\s+")}(?![\\p{L}\\p{N}])`, "giu");

const COMPILED = LEXICON.map((rule) => ({ rule, patterns: rule.terms.map((t) => ({ term: t, re: termPattern(t) })) }));

const PATTERN_RULES: { id: string; category: RiskCategory; severity: number; re: RegExp; why: string }[] = [
  {
    id: "personal-data.email",
    category: "personal-data",
    severity: 2,
    re: /[\w.+-]+@[\w-]+\.[\w.-]+/g,
    why: "Publishes an email address, which invites phishing and identity theft.",
  },
  {
    id: "personal-data.phone",
    category: "personal-data",
    severity: 2,
    re: /(?<!\d)\+?\d[\d\s().-]{8,}\d(?!\d)/g,
    why: "Publishes a phone number.",
  },
  {
    id: "personal-data.document-number",
    category: "personal-data",
    severity: 3,
    re: /\b(?:passport|visa|ssn|social security)\s*(?:no\.?|number|#)?\s*:?\s*[A-Z0-9]{6,}\b/gi,
    why: "Publishes an identity document number, useful to fraudsters.",
  },
];

const words = (s: string) => s.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];

/** Explains every rule an item triggers. Pure, deterministic: the same text always scores the same. */
export function explain(text: string): FlagReason[] {
  const reasons: FlagReason[] = [];
  for (const { rule, patterns } of COMPILED) {
    for (const { term, re } of patterns) {
      re.lastIndex = 0;
      const m = re.exec(text);
      if (!m) continue;
      const before = words(text.slice(0, m.index));
      const near = before.slice(-NEGATION_WINDOW);
      const negated = near.some((w) => NEGATIONS.includes(w));
      const admitted = rule.admission === true && before.slice(-ADMISSION_WINDOW).some((w) => FIRST_PERSON.includes(w));
      let severity: number = rule.severity;
      let why = rule.why;
      if (negated) {
        severity *= NEGATION_FACTOR;
        why += " Negated nearby, so it weighs less.";
      } else if (admitted) {
        severity *= ADMISSION_FACTOR;
        why += " Written in the first person, so it reads as an admission.";
      }
      reasons.push({ rule: rule.id, category: rule.category, term, severity: round2(severity), why });
      break; // one reason per rule: repeating synonyms should not multiply the weight
    }
  }
  for (const p of PATTERN_RULES) {
    p.re.lastIndex = 0;
    const m = p.re.exec(text);
    if (m) reasons.push({ rule: p.id, category: p.category, term: m[0], severity: p.severity, why: p.why });
  }
  const letters = text.replace(/[^\p{L}]/gu, "");
  if (letters.length >= 20 && letters.replace(/[^\p{Lu}]/gu, "").length / letters.length > 0.7) {
    reasons.push({
      rule: "tone.shouting",
      category: "tone",
      term: text.slice(0, 24),
      severity: 1,
      why: "Written almost entirely in capitals, which reads as aggressive.",
    });
  }
  return reasons;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export function createLexiconScorer(): Scorer {
  return {
    name: "lexicon-v1",
    provider: "local",
    model: "lexicon-v1",
    estimateTokens: (items) => items.reduce((n, i) => n + approxTokens(i.text), 0),
    async scoreBatch(_source, items, signal) {
      signal.throwIfAborted();
      return {
        flags: items.map((i) => ({ id: i.id, reasons: explain(i.text) })).filter((f) => f.reasons.length > 0),
        tokens: items.reduce((n, i) => n + approxTokens(i.text), 0),
      };
    },
  };
}

function excerptOf(text: string, term: string): string {
  const at = text.toLowerCase().indexOf(term.toLowerCase());
  if (text.length <= 160) return text;
  const start = Math.max(0, at - 60);
  return `${start > 0 ? "…" : ""}${text.slice(start, start + 160)}${start + 160 < text.length ? "…" : ""}`;
}

/**
 * Risk of a source from its flagged items: the worst item counts fully, each next one less
 * (x0.7), so one threat outweighs a dozen swear words, and a pattern still adds up.
 */
export function aggregate(
  source: ContentSource,
  items: readonly ScoreItem[],
  flags: readonly { id: string; reasons: FlagReason[] }[],
): SourceScore {
  const byId = new Map(items.map((i) => [i.id, i]));
  const flagged: FlaggedItem[] = flags
    .filter((f) => f.reasons.length > 0 && byId.has(f.id))
    .map((f) => {
      const text = byId.get(f.id)?.text ?? "";
      const top = [...f.reasons].sort((a, b) => b.severity - a.severity);
      return {
        contentItemId: f.id,
        excerpt: excerptOf(text, top[0]?.term ?? ""),
        score: round2(f.reasons.reduce((s, r) => s + r.severity, 0)),
        reasons: top,
      };
    })
    .sort((a, b) => b.score - a.score || a.contentItemId.localeCompare(b.contentItemId));
  const weighted = flagged.reduce((s, f, i) => s + f.score * 0.7 ** i, 0);
  const riskScore = Math.min(100, Math.round(100 * (1 - Math.exp(-weighted / 8))));
  const grade = gradeOf(riskScore);
  const categories = [...new Set(flagged.flatMap((f) => f.reasons.map((r) => r.category)))];
  const summary =
    items.length === 0
      ? `No ${source} content to analyse.`
      : flagged.length === 0
        ? `${items.length} ${source} item${items.length === 1 ? "" : "s"} analysed, nothing flagged.`
        : `${flagged.length} of ${items.length} ${source} items flagged (${categories.join(", ")}); worst: ${flagged[0]?.reasons[0]?.why ?? ""}`;
  return { riskScore, grade, itemCount: items.length, flaggedItems: flagged, summary };
}

/** The run's grade: mostly its worst source, partly the average over items. */
export function overall(results: readonly { riskScore: number; itemCount: number }[]): {
  score: number;
  grade: string;
} {
  if (results.length === 0) return { score: 0, grade: "A" };
  const max = Math.max(...results.map((r) => r.riskScore));
  const items = results.reduce((n, r) => n + r.itemCount, 0);
  const mean = items === 0 ? 0 : results.reduce((s, r) => s + r.riskScore * r.itemCount, 0) / items;
  const score = Math.round(0.7 * max + 0.3 * mean);
  return { score, grade: gradeOf(score) };
}
