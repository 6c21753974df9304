import { type FragmentType, getFragmentData, graphql } from "../../../gql/index.ts";
import { Empty } from "../../components/status.tsx";
import { type ProgressState, stageLabel } from "../../lib/analysisProgress.ts";
import { FlaggedItems } from "./FlaggedItems.tsx";
import { sourceLabel } from "./queries.ts";
import { Grade } from "./RunHistory.tsx";

/** What the results card reads of a finished run: grades, summaries and the flagged items. */
export const RunResultsFields = graphql(`
  fragment RunResultsFields on AnalysisRun {
    overallGrade
    overallScore
    results {
      source
      grade
      riskScore
      itemCount
      summary
      flaggedItems {
        ...FlaggedItemFields
      }
    }
  }
`);

/** What the run is doing, in the client's words from the numbers the server sends. */
export function progressDetail(state: ProgressState): string {
  if (state.status === "cancelled") return "Cancelled before the end";
  if (state.status === "failed") return "Stopped by an error";
  const label = stageLabel(state.stage);
  return state.itemsTotal > 0 && !state.done ? `${label} · ${state.itemsDone} of ${state.itemsTotal} items` : label;
}

export function ProgressBar({ state }: { state: ProgressState }) {
  return (
    <div className="progress-wrap">
      <div
        className={`progress ${state.status}`}
        data-testid="analysis-progress"
        data-percent={state.percent}
        data-status={state.status}
        aria-hidden="true"
      >
        <div className="progress-fill" style={{ width: `${state.percent}%` }} />
      </div>
      <progress className="visually-hidden" max={100} value={state.percent} aria-label="Analysis progress" />
      <p aria-live="polite" className="progress-text">
        <strong>{state.percent}%</strong> · {progressDetail(state)}
      </p>
    </div>
  );
}

export function Results(props: { run: FragmentType<typeof RunResultsFields> }) {
  const run = getFragmentData(RunResultsFields, props.run);
  const results = run.results ?? [];
  return (
    <section className="card" aria-labelledby="results-h">
      <h2 id="results-h" className="row">
        Results <Grade grade={run.overallGrade} label="Overall grade" />
        <span className="muted small">overall risk {run.overallScore ?? 0}/100</span>
      </h2>
      {results.length === 0 ? (
        <Empty>No content was found for these sources.</Empty>
      ) : (
        <ul className="list">
          {results.map((r) => (
            <li key={r.source}>
              <article aria-label={`${sourceLabel(r.source)} result`}>
                <div className="row">
                  <Grade grade={r.grade} label={`${sourceLabel(r.source)} grade`} />
                  <strong>{sourceLabel(r.source)}</strong>
                  <span className="muted small">
                    risk {r.riskScore}/100 · {r.itemCount} item{r.itemCount === 1 ? "" : "s"} · {r.flaggedItems.length}{" "}
                    flagged
                  </span>
                </div>
                <p>{r.summary}</p>
                {r.flaggedItems.length > 0 && <FlaggedItems source={r.source} items={r.flaggedItems} />}
              </article>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
