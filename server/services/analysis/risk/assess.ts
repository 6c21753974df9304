import { DISCOUNT_FACTOR, FLAG_THRESHOLD, TASTE_RULES } from "../lexicon.ts";
import { type RiskModel, riskModel } from "./model.ts";
import { findPii } from "./pii.ts";
import { type CompiledRule, compile } from "./rule.ts";
import { CONDUCT_RULES } from "./rules-conduct.ts";
import { GENERIC_RULES, nearness } from "./rules-generic.ts";
import { PAPERS_RULES } from "./rules-papers.ts";
import { PEOPLE_RULES } from "./rules-people.ts";
import { hasFirstPerson, jokeCue, negatedAt, normalize, reportingCue } from "./text.ts";

/** One piece of evidence behind a flag, said so that a user can contest it. */
export interface FlagReason {
  rule: string;
  category: string;
  term: string;
  /** Weight after negation and admission adjustments. */
  severity: number;
  why: string;
}

export const RULES: readonly CompiledRule[] = [
  ...PAPERS_RULES,
  ...PEOPLE_RULES,
  ...CONDUCT_RULES,
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

/**
 * Explains every rule a post triggers, then, if no rule flagged it, asks the learned model.
 * Pure and deterministic: the same text always scores the same. `model` null: rules only.
 */
export function assess(text: string, model: RiskModel | null = riskModel()): Assessment {
  const norm = normalize(text);
  const reporting = reportingCue(norm);
  const joke = jokeCue(norm);
  const reasons: FlagReason[] = [];
  const seen = new Map<RegExp, boolean>();
  for (const rule of RULES) {
    const r = applyRule(rule, norm, reporting, joke, seen);
    if (r) reasons.push(r);
  }
  // A rule flag the learned model reads as plainly harmless is most often the rule's word in an
  // innocent sense ("forged a friendship", "steal of a deal"): it weighs less. On dev posts the
  // rules had never seen, this margin dropped half the rules' false flags and 1 in 128 true ones.
  if (model && reasons.some((r) => r.severity >= FLAG_THRESHOLD)) {
    const lead = model.lead(text, norm);
    if (lead !== null && lead < -VETO_MARGIN) {
      for (const r of reasons) {
        r.severity = round2(r.severity * DISCOUNT_FACTOR);
        r.why += ` The learned model reads the post as harmless (2^${Math.round(-lead)} times likelier than a risky one), so it weighs less.`;
      }
    }
  }
  // A rule that matched but was weakened (negated, reported, a joke) has read the post more
  // closely than the model can: the model speaks only where no rule matched at all.
  const ruleMatched = reasons.length > 0;
  for (const p of findPii(text)) reasons.push({ ...p });
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
