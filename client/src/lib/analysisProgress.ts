// The live state of an analysis run from its progress events (analysisProgress / myAnalysisEvents):
// events apply in `seq` order (a repeat or an older one is ignored), and the stages a run goes
// through — queued, collecting, analyzing:<source> (sources in parallel), aggregating, then
// complete | failed | cancelled — are derived for the per-stage progress display.

import type { AnalysisProgressFieldsFragment, AnalysisStatus } from "../../gql/graphql.ts";
import { type FragmentType, getFragmentData, graphql } from "../../gql/index.ts";

/** The schema's own enum: a status the server adds fails the type check, not the screen. */
export type RunStatus = AnalysisStatus;

/**
 * The progress contract, read the same from a run and from its events: the schema declares it once
 * (the AnalysisProgress interface) and every document that shows progress spreads this fragment.
 */
export const AnalysisProgressFields = graphql(`
  fragment AnalysisProgressFields on AnalysisProgress {
    seq
    status
    stage
    percent
    itemsDone
    itemsTotal
    done
  }
`);

export type ProgressEvent = AnalysisProgressFieldsFragment;

export function progressOf(data: FragmentType<typeof AnalysisProgressFields>): ProgressEvent {
  return getFragmentData(AnalysisProgressFields, data);
}

export interface SourceProgress {
  /** 0..1 of the source's items analysed, when the server said. */
  fraction?: number;
  grade?: string;
}

export interface ProgressState {
  seq: number;
  status: RunStatus;
  stage: string;
  percent: number;
  itemsDone: number;
  itemsTotal: number;
  done: boolean;
  sources: Record<string, SourceProgress>;
}

export type StageState = "pending" | "active" | "done" | "failed" | "cancelled";

export interface StageView {
  key: string;
  label: string;
  state: StageState;
  /** 0..1 within the stage, when known. */
  fraction?: number;
  grade?: string;
}

export const FINISHED: readonly RunStatus[] = ["complete", "failed", "cancelled"];

export function isFinished(status: RunStatus): boolean {
  return FINISHED.includes(status);
}

/** The source an event is about, with its share of items done (the server sends numbers, never words). */
function sourceFromEvent(e: ProgressEvent, prev: Record<string, SourceProgress>) {
  if (!e.stage.startsWith("analyzing:") || !e.itemsTotal) return prev;
  const source = e.stage.slice("analyzing:".length);
  const fraction = Math.min(1, e.itemsDone / e.itemsTotal);
  return { ...prev, [source]: { ...prev[source], fraction: Math.max(prev[source]?.fraction ?? 0, fraction) } };
}

export function initialProgress(
  run: ProgressEvent,
  results: readonly { source: string; grade: string }[] | null = null,
): ProgressState {
  const sources: Record<string, SourceProgress> = {};
  for (const r of results ?? []) sources[r.source] = { fraction: 1, grade: r.grade };
  return {
    seq: run.seq,
    status: run.status,
    stage: run.stage,
    percent: run.percent,
    itemsDone: run.itemsDone,
    itemsTotal: run.itemsTotal,
    done: run.done,
    sources: sourceFromEvent(run, sources),
  };
}

export function applyEvent(state: ProgressState | null, e: ProgressEvent): ProgressState {
  if (state && e.seq <= state.seq) return state;
  const base = state ?? initialProgress(e);
  return {
    seq: e.seq,
    status: e.status,
    stage: e.stage,
    // Percent never goes back, even if events were to arrive out of order.
    percent: Math.max(state?.percent ?? 0, e.percent),
    itemsDone: e.itemsDone,
    itemsTotal: e.itemsTotal,
    done: e.done,
    sources: sourceFromEvent(e, base.sources),
  };
}

const PHASES = ["queued", "collecting", "analyzing", "aggregating", "complete"] as const;

function phaseIndex(stage: string): number {
  const phase = stage.startsWith("analyzing:") ? "analyzing" : stage;
  const i = PHASES.indexOf(phase as (typeof PHASES)[number]);
  return i;
}

export function stageLabel(key: string): string {
  if (key.startsWith("analyzing:")) {
    const source = key.slice("analyzing:".length);
    return `Analysing ${source === "text" ? "texts" : source.charAt(0).toUpperCase() + source.slice(1)}`;
  }
  return (
    { queued: "Queued", collecting: "Collecting", aggregating: "Grading", complete: "Complete" }[key] ??
    key.charAt(0).toUpperCase() + key.slice(1)
  );
}

/** Every stage of the run, in order, with its state. */
export function stagesOf(sources: readonly string[], s: ProgressState): StageView[] {
  const keys = ["queued", "collecting", ...sources.map((x) => `analyzing:${x}`), "aggregating", "complete"];
  // The phase the run is in; a failed or cancelled run reports "failed"/"cancelled" as its stage,
  // so it stopped while analysing unless every source has its grade.
  let current: number;
  if (s.status === "complete") current = PHASES.length;
  else if (phaseIndex(s.stage) >= 0) current = phaseIndex(s.stage);
  else current = sources.every((x) => s.sources[x]?.grade) ? phaseIndex("aggregating") : phaseIndex("analyzing");
  return keys.map((key) => {
    const view: StageView = { key, label: stageLabel(key), state: "pending" };
    const phase = phaseIndex(key);
    if (key.startsWith("analyzing:")) {
      const sp = s.sources[key.slice("analyzing:".length)];
      if (sp?.grade) Object.assign(view, { grade: sp.grade });
      if (sp?.fraction !== undefined) view.fraction = sp.fraction;
      if (sp?.grade || sp?.fraction === 1 || phase < current) view.state = "done";
      else if (phase === current) view.state = s.done ? (s.status === "cancelled" ? "cancelled" : "failed") : "active";
      return view;
    }
    if (key === "complete") {
      view.state = s.status === "complete" ? "done" : "pending";
      return view;
    }
    if (phase < current) view.state = "done";
    else if (phase === current) view.state = s.done ? (s.status === "cancelled" ? "cancelled" : "failed") : "active";
    return view;
  });
}
