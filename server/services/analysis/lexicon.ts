// The offline scorer's categories: what a visa officer, an employer or a background screener
// reads as risk in public posts (the visaguard use case). Severity is 1 (taste) to 5 (could sink
// an application on its own); the phrase rules live in ./risk/.

export type RiskCategory =
  | "immigration"
  | "document-fraud"
  | "exam-fraud"
  | "weapons"
  | "violence"
  | "extremism"
  | "hate"
  | "drugs"
  | "fraud"
  | "hacking"
  | "theft"
  | "drunk-driving"
  | "personal-data"
  | "alcohol"
  | "profanity"
  | "tone";

/** A post is flagged when one of its reasons weighs this much after negation and reporting. */
export const FLAG_THRESHOLD = 3;
/** Negated ("never tried coke"), reported ("police say") or marked as a joke: the weight left. */
export const DISCOUNT_FACTOR = 0.3;

/**
 * Matters of taste: never a flag on their own, but shown beside a real flag because a reviewer
 * reads them together ("wasted" next to "drove home").
 */
export const TASTE_RULES: { id: string; category: RiskCategory; re: RegExp; why: string }[] = [
  {
    id: "alcohol.excess",
    category: "alcohol",
    re: /\b(?:wasted|hammered|blackout|shitfaced|so drunk|hangover|blacked out)\b/i,
    why: "Heavy drinking; rarely a problem alone, adds to an overall picture.",
  },
  {
    id: "profanity",
    category: "profanity",
    re: /\b(?:fuck\w*|shit\w*|bitch\w*|bastard|asshole|wtf)\b/i,
    why: "Profanity; a matter of tone, weighs little on its own.",
  },
];
