import { Empty } from "../../components/status.tsx";
import { type ProgressState, stageLabel } from "../../lib/analysisProgress.ts";
import { FlaggedItems } from "./FlaggedItems.tsx";
import { sourceLabel } from "./queries.ts";
import type { RunDetailData } from "./RunDetail.tsx";
import { Grade } from "./RunHistory.tsx";

const same = (a: string, b: string) =>
  a
    .trim()
    .replace(/[.…]+$/, "")
    .toLowerCase() ===
  b
    .trim()
    .replace(/[.…]+$/, "")
    .toLowerCase();

/** Stage and message, each said once: a cancelled run read "11% · Cancelled · Cancelled". */
export function progressDetail(state: ProgressState): string {
  const parts: string[] = [];
  if (state.status === "cancelled") parts.push("Cancelled before the end");
  else if (state.status === "failed") parts.push("Stopped by an error");
  else parts.push(stageLabel(state.stage));
  const message = state.message?.trim();
  const skip = ["cancelled", "failed", stageLabel(state.stage)];
  if (message && !parts.some((p) => same(p, message)) && !skip.some((p) => same(p, message))) parts.push(message);
  return parts.join(" · ");
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

export function Results({ run }: { run: RunDetailData }) {
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
