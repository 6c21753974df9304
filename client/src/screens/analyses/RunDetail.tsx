import { useRef } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { type FragmentType, getFragmentData, graphql } from "../../../gql/index.ts";
import { ErrorNotice, Loading, QueryState } from "../../components/status.tsx";
import {
  applyEvent,
  initialProgress,
  isFinished,
  type ProgressState,
  progressOf,
  stagesOf,
} from "../../lib/analysisProgress.ts";
import { errorMessage } from "../../lib/errors.ts";
import { useFormat } from "../../lib/preferences.tsx";
import { Link } from "../../lib/router.tsx";
import {
  AnalysisProgressSubscription,
  AnalysisRunDetailQueryDoc,
  CancelAnalysisMutation,
  STATUS_LABEL,
  sourceLabel,
} from "./queries.ts";
import { ProgressBar, Results } from "./Results.tsx";

/** What the run's card reads: its progress, sources, times and failure, and the results it shows. */
export const RunViewFields = graphql(`
  fragment RunViewFields on AnalysisRun {
    id
    status
    ...AnalysisProgressFields
    sources
    errorCode
    errorMessage
    cancelRequested
    createdAt
    startedAt
    finishedAt
    tokensUsed
    scorer
    results {
      source
      grade
    }
    ...RunResultsFields
  }
`);

export function RunDetail({ id }: { id: string }) {
  const [result, refetch] = useQuery({ query: AnalysisRunDetailQueryDoc, variables: { id } });
  const run = result.data?.analysisRun;
  const finished = run ? isFinished(run.status) : false;
  const [sub] = useSubscription(
    { query: AnalysisProgressSubscription, variables: { runId: id }, pause: !run || finished },
    (prev: ProgressState | undefined, data) => applyEvent(prev ?? null, progressOf(data.analysisProgress)),
  );
  const live = sub.data;

  return (
    <section>
      <p>
        <Link to="/analyses">← All analyses</Link>
      </p>
      <h1>Analysis</h1>
      <QueryState result={result} retry={refetch}>
        {(data) =>
          data.analysisRun ? (
            <RunView
              run={data.analysisRun}
              live={live}
              subscriptionError={sub.error ? errorMessage(sub.error) : null}
            />
          ) : (
            <ErrorNotice error="This analysis doesn't exist or isn't yours." />
          )
        }
      </QueryState>
    </section>
  );
}

function RunView(props: {
  run: FragmentType<typeof RunViewFields>;
  live: ProgressState | undefined;
  subscriptionError: string | null;
}) {
  const { live, subscriptionError } = props;
  const run = getFragmentData(RunViewFields, props.run);
  const f = useFormat();
  const stored = initialProgress(progressOf(run), run.results);
  const latest = live && live.seq > stored.seq ? live : stored;
  // After a server restart a resumed run may report less than was already shown: never go back.
  const highest = useRef({ id: run.id, percent: 0 });
  if (highest.current.id !== run.id) highest.current = { id: run.id, percent: 0 };
  highest.current.percent = Math.max(highest.current.percent, latest.percent);
  const state = { ...latest, percent: highest.current.percent };
  const stages = stagesOf(run.sources, state);
  const [cancelling, cancel] = useMutation(CancelAnalysisMutation);
  const finished = isFinished(state.status);

  return (
    <>
      <div className="card">
        <div className="row">
          <h2>
            {STATUS_LABEL[state.status]} <span className="muted small">{run.sources.map(sourceLabel).join(", ")}</span>
          </h2>
          <span className="spacer" />
          {!finished && (
            <button
              type="button"
              className="danger"
              disabled={cancelling.fetching || run.cancelRequested}
              onClick={() => cancel({ id: run.id })}
            >
              {run.cancelRequested || cancelling.data ? "Cancelling…" : "Cancel analysis"}
            </button>
          )}
        </div>
        <ProgressBar state={state} />
        <ol className="stages" aria-label="Stages">
          {stages.map((s) => (
            <li key={s.key} className={s.state === "active" ? "current" : s.state}>
              {s.label}
              {s.state === "active" && s.fraction !== undefined && ` ${Math.round(s.fraction * 100)}%`}
              {s.grade && ` · ${s.grade}`}
              <span className="visually-hidden"> ({s.state})</span>
            </li>
          ))}
        </ol>
        {subscriptionError && !finished && <ErrorNotice error={`Live progress unavailable: ${subscriptionError}`} />}
        {cancelling.error && <ErrorNotice error={cancelling.error} />}
        {run.status === "failed" && (
          <ErrorNotice
            error={`${run.errorMessage ?? "The analysis failed."}${run.errorCode ? ` (${run.errorCode})` : ""}`}
          />
        )}
        <p className="muted small">
          Started {f.dateTime(run.startedAt ?? run.createdAt)}
          {run.finishedAt && ` · finished ${f.dateTime(run.finishedAt)}`}
          {run.scorer && ` · scorer ${run.scorer}`} · {f.number(run.tokensUsed)} tokens
        </p>
      </div>
      {run.status === "complete" && <Results run={run} />}
      {finished && run.status !== "complete" && state.status === "complete" && <Loading label="Loading results…" />}
    </>
  );
}
