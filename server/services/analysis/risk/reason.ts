// Why a post was flagged, one entry per rule or piece of evidence, so a user can contest it.
export interface FlagReason {
  rule: string;
  category: string;
  term: string;
  /** Weight after negation and admission adjustments. */
  severity: number;
  why: string;
}
