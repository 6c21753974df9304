// The offline scorer's thread (scorer.ts createScoringThread): Tinypool runs this module in a worker
// thread and calls its default export once per batch. The scorer and its model are made once per
// thread, on the first batch's arrival, so the second of CPU they cost is spent here too.
import { type BatchScore, createLexiconScorer, type ScoringTask } from "./scorer.ts";

const scorer = createLexiconScorer();
// A cancelled batch is abandoned on the other side, and finished here (see createScoringThread).
const notAborted = new AbortController().signal;

export default function score(task: ScoringTask): Promise<BatchScore> {
  return scorer.scoreBatch(task.source, task.items, notAborted);
}
