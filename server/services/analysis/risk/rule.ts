import type { RiskCategory } from "../lexicon.ts";
import { CONCEPTS, CUES } from "./concepts.ts";
import { TOPICS } from "./topics.ts";

/**
 * One phrase rule. Patterns are regular expressions over the normalised text (see text.ts) with
 * two shorthands: `{name}` is a word class from concepts.ts (slang and inflections included),
 * and ` ~N ` allows up to N other words of the same clause in between (` ~~N ` also across
 * clauses). A rule reads as the sentence a reviewer would say: "{sell} ~3 {drug}".
 */
export interface RuleSpec {
  id: string;
  category: RiskCategory;
  /** 1 (taste) .. 5 (could sink an application alone); 3 and above flags the post. */
  severity: 1 | 2 | 3 | 4 | 5;
  why: string;
  match: string | readonly string[];
  /** Must also be found somewhere in the post (context the phrase alone lacks). */
  also?: string;
  /** Found anywhere in the post, it cancels the rule (the innocent sense). */
  unless?: string;
  /** Needs an actor who is the writer: I/we/my nearby, or a clause that starts with the verb. */
  firstPerson?: boolean;
  /** The phrase itself carries the negation ("never got a permit"), so do not weaken it. */
  negationInside?: boolean;
}

export interface CompiledRule extends Omit<RuleSpec, "match" | "also" | "unless"> {
  /** All of the rule's patterns as one global expression: one scan per post instead of one per pattern. */
  match: RegExp;
  also?: RegExp;
  unless?: RegExp;
}

// Letters and digits in UTF-16 code units: the "u" flag's \p{L} is several times slower here.
const WORD = String.raw`a-z0-9\u00c0-\uffff`;
const BOUNDARY_BEFORE = `(?<![${WORD}])`;
const BOUNDARY_AFTER = `(?![${WORD}])`;

export function expand(pattern: string): string {
  return pattern
    .replace(/\{([\w-]+)\}/g, (_, name: string) => {
      const c = CONCEPTS[name] ?? CUES[name] ?? TOPICS[name as keyof typeof TOPICS];
      if (!c) throw new Error(`unknown word class {${name}}`);
      return `(?:${c})`;
    })
    .replace(/ ~~(\d+) /g, (_, n: string) => `(?: [^ ]+){0,${n}}? `)
    .replace(/ ~(\d+) /g, (_, n: string) => `(?: [^ |]+){0,${n}}? `);
}

const cache = new Map<string, RegExp>();
/** Rules that share a context pattern share its RegExp, so assess() tests it once per post. */
function compileOne(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (!re) {
    re = new RegExp(`${BOUNDARY_BEFORE}(?:${expand(pattern)})${BOUNDARY_AFTER}`);
    cache.set(pattern, re);
  }
  return re;
}

export function compile(spec: RuleSpec): CompiledRule {
  const patterns = typeof spec.match === "string" ? [spec.match] : spec.match;
  return {
    ...spec,
    match: new RegExp(patterns.map((p) => compileOne(p).source).join("|"), "g"),
    also: spec.also ? compileOne(spec.also) : undefined,
    unless: spec.unless ? compileOne(spec.unless) : undefined,
  };
}
