import { DISCOUNT_FACTOR, FLAG_THRESHOLD, TASTE_RULES } from "../lexicon.ts";
import { type Combiner, describePushes, type Evidence, stackFeatures } from "./combiner.ts";
import { type RiskModel, riskModel } from "./model.ts";
import { findPii } from "./pii.ts";
import type { FlagReason } from "./reason.ts";
import { type CompiledRule, compile } from "./rule.ts";
import { CONDUCT_RULES } from "./rules-conduct.ts";
import { GENERIC_RULES, nearness } from "./rules-generic.ts";
import { PAPERS_RULES } from "./rules-papers.ts";
import { PEOPLE_RULES } from "./rules-people.ts";
import { SLANG_RULES } from "./rules-slang.ts";
import { hasFirstPerson, jokeCue, negatedAt, normalize, reportingCue } from "./text.ts";

/** One piece of evidence behind a flag, said so that a user can contest it. */
export type { FlagReason };

export const RULES: readonly CompiledRule[] = [
  ...PAPERS_RULES,
  ...PEOPLE_RULES,
  ...CONDUCT_RULES,
  ...SLANG_RULES,
  ...GENERIC_RULES,
].map(compile);

export interface Assessment {
  flagged: boolean;
  /** Every reason found, flagging or not, strongest first. */
  reasons: FlagReason[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** How far "ok" must lead "risky" (log2) in the learned model for it to weaken a rule's flag. */
const VETO_MARGIN = 10;

/** The clause around a match, to tell "I sold" from "police say he sold". */
function clauseAround(norm: string, start: number, end: number): string {
  const from = norm.lastIndexOf("|", start - 1);
  const to = norm.indexOf("|", end);
  return norm.slice(Math.max(from, 0), to < 0 ? norm.length : to);
}

/** One rule on one post: its strongest occurrence, weakened when negated, reported or joked. */
function applyRule(
  rule: CompiledRule,
  norm: string,
  reporting: string | null,
  joke: string | null,
  seen: Map<RegExp, boolean>,
): FlagReason | null {
  const found = (re: RegExp) => {
    let hit = seen.get(re);
    if (hit === undefined) {
      hit = re.test(norm);
      seen.set(re, hit);
    }
    return hit;
  };
  if (rule.also && !found(rule.also)) return null;
  if (rule.unless && found(rule.unless)) return null;
  let best: FlagReason | null = null;
  rule.match.lastIndex = 0;
  // The first occurrence that is not negated or reported wins; at most three are looked at.
  for (let tries = 0; tries < 3; tries++) {
    const m = rule.match.exec(norm);
    if (!m) break;
    if (m[0].length === 0) rule.match.lastIndex++;
    const term = m[0]
      .replace(/^\|\s*/, "")
      .replaceAll(" | ", " … ")
      .trim();
    let severity: number = rule.severity;
    let why = rule.why;
    const negation = rule.negationInside ? null : negatedAt(norm, m.index, m[0]);
    if (negation) {
      severity *= DISCOUNT_FACTOR;
      why += ` Negated nearby ("${negation}"), so it weighs less.`;
    } else if (reporting && !hasFirstPerson(clauseAround(norm, m.index, m.index + m[0].length))) {
      severity *= DISCOUNT_FACTOR;
      why += ` Reads as reporting or fiction ("${reporting}"), not the writer's own conduct.`;
    } else if (joke) {
      severity *= DISCOUNT_FACTOR;
      why += ` Marked as a joke ("${joke}").`;
    }
    if (rule.id.endsWith(".concealed")) why += nearness(rule.category, term) ?? "";
    const reason = { rule: rule.id, category: rule.category, term, severity: round2(severity), why };
    if (!best || reason.severity > best.severity) best = reason;
    if (severity >= rule.severity) break;
  }
  return best;
}

/** Every rule a post triggers (weakened ones too) and its personal data: what the model is not. */
export function ruleEvidence(text: string): Evidence {
  const norm = normalize(text);
  const reporting = reportingCue(norm);
  const joke = jokeCue(norm);
  const rules: FlagReason[] = [];
  const seen = new Map<RegExp, boolean>();
  for (const rule of RULES) {
    const r = applyRule(rule, norm, reporting, joke, seen);
    if (r) rules.push(r);
  }
  return { norm, text, rules, pii: findPii(text).map((p) => ({ ...p })), reporting, joke };
}

/**
 * Explains every rule a post triggers, then lets the combiner (risk/combiner.ts) decide over the
 * rules, the learned model and the cues, so the model can overrule a rule both ways. Without a
 * combiner the rules decide first and the model speaks only where no rule matched.
 * Pure and deterministic: the same text always scores the same. `model` null: rules only.
 */
export function assess(text: string, model: RiskModel | null = riskModel()): Assessment {
  const e = ruleEvidence(text);
  const reasons = model?.combiner ? combined(e, model, model.combiner) : rulesFirst(e, model);
  const flagged = reasons.some((r) => r.severity >= FLAG_THRESHOLD);
  if (flagged) {
    for (const t of TASTE_RULES) {
      const m = t.re.exec(text);
      if (m) reasons.push({ rule: t.id, category: t.category, term: m[0], severity: 1, why: t.why });
    }
  }
  reasons.sort((a, b) => b.severity - a.severity);
  return { flagged, reasons };
}

/** The model's reason for a flag no rule carries: the category it names and the words that weighed most. */
function modelReason(e: Evidence, model: RiskModel, severity: number, why: string): FlagReason | null {
  const verdict = model.judge(e.text, e.norm, Number.NEGATIVE_INFINITY);
  if (!verdict) return null;
  return {
    rule: `model.${verdict.category}`,
    category: verdict.category,
    term: verdict.evidence.join(", "),
    severity,
    why: `Worded like the reviewed ${verdict.category} posts the model learned from (2^${verdict.lead} times likelier than a harmless one); "${verdict.evidence.join('", "')}" weighed most.${why}`,
  };
}

function combined(e: Evidence, model: RiskModel, combiner: Combiner): FlagReason[] {
  const reasons = [...e.rules, ...e.pii];
  const reading = model.read(e.text, e.norm);
  const x = stackFeatures(e, reading);
  const { p, flagged } = combiner.judge(x);
  const odds = ` (risk ${p.toFixed(2)}, flags from ${combiner.threshold.toFixed(2)})`;
  const strong = reasons.filter((r) => r.severity >= FLAG_THRESHOLD);
  if (flagged && strong.length === 0) {
    const why = ` Weighed with the rest of the post${odds}: ${describePushes(combiner.pushes(x), 1)}.`;
    const r = modelReason(e, model, FLAG_THRESHOLD, why);
    if (r) reasons.push(r);
  } else if (p <= 1 - combiner.threshold && strong.length > 0) {
    // A rule's word in an innocent sense ("forged a friendship", "steal of a deal"): the rule is
    // shown, weakened, with what outweighed it, so the user sees why it did not flag. Overruling a
    // rule takes the same confidence as flagging without one (harmless at 1 - threshold): between
    // the two the rule stands, since a short plain admission ("I did cocaine") gives the model
    // little to read and must not be waved through on doubt.
    const against = describePushes(
      combiner.pushes(x).filter((push) => !push.feature.startsWith("rule")),
      -1,
    );
    for (const r of strong) {
      r.severity = round2(r.severity * DISCOUNT_FACTOR);
      r.why += ` Outweighed by the rest of the post${odds}${against ? `: ${against}` : ""}.`;
    }
  }
  return reasons;
}

/** Without a combiner: the rules decide, the model may veto a rule or speak where none matched. */
function rulesFirst(e: Evidence, model: RiskModel | null): FlagReason[] {
  const { text, norm, reporting } = e;
  const reasons = [...e.rules];
  // A rule flag the learned model reads as plainly harmless is most often the rule's word in an
  // innocent sense: it weighs less.
  if (model && reasons.some((r) => r.severity >= FLAG_THRESHOLD)) {
    const lead = model.lead(text, norm);
    if (lead !== null && lead < -VETO_MARGIN) {
      for (const r of reasons) {
        r.severity = round2(r.severity * DISCOUNT_FACTOR);
        r.why += ` The learned model reads the post as harmless (2^${Math.round(-lead)} times likelier than a risky one), so it weighs less.`;
      }
    }
  }
  const ruleMatched = reasons.length > 0;
  reasons.push(...e.pii);
  if (model && !ruleMatched && !reasons.some((r) => r.severity >= FLAG_THRESHOLD)) {
    const verdict = model.judge(text, norm);
    if (verdict) {
      const reported = reporting && !hasFirstPerson(norm);
      reasons.push({
        rule: `model.${verdict.category}`,
        category: verdict.category,
        term: verdict.evidence.join(", "),
        severity: reported ? round2(FLAG_THRESHOLD * DISCOUNT_FACTOR) : FLAG_THRESHOLD,
        why:
          `Worded like the reviewed ${verdict.category} posts the model learned from (2^${verdict.lead} times likelier than a harmless one); "${verdict.evidence.join('", "')}" weighed most.` +
          (reported ? ` Reads as reporting ("${reporting}"), so it weighs less.` : ""),
      });
    }
  }
  return reasons;
}
