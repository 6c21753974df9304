import { Empty } from "../../components/status.tsx";
import { type ProgressState, stageLabel } from "../../lib/analysisProgress.ts";
import { sourceLabel } from "./queries.ts";
import type { RunDetailData } from "./RunDetail.tsx";
import { Grade } from "./RunHistory.tsx";

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
        <strong>{state.percent}%</strong> · {stageLabel(state.stage)}
        {state.message ? ` · ${state.message}` : ""}
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
                {r.flaggedItems.length > 0 && (
                  <details>
                    <summary>Flagged items ({r.flaggedItems.length})</summary>
                    <ol className="flagged">
                      {r.flaggedItems.map((item) => (
                        <li key={item.contentItemId}>
                          <blockquote>{item.excerpt}</blockquote>
                          <p className="muted small">score {item.score.toFixed(1)}</p>
                          <ul>
                            {item.reasons.map((reason) => (
                              <li key={`${reason.rule}:${reason.term}`}>
                                <strong>{reason.category}</strong> — “{reason.term}”: {reason.why}{" "}
                                <span className="muted small">
                                  (severity {reason.severity.toFixed(1)}, rule {reason.rule})
                                </span>
                              </li>
                            ))}
                          </ul>
                        </li>
                      ))}
                    </ol>
                  </details>
                )}
              </article>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
