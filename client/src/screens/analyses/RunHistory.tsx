import { useQuery, useSubscription } from "urql";
import { DataTable } from "../../components/DataTable.tsx";
import { QueryState } from "../../components/status.tsx";
import { applyEvent, isFinished, type ProgressState, progressOf } from "../../lib/analysisProgress.ts";
import { useFormat } from "../../lib/preferences.tsx";
import { Link } from "../../lib/router.tsx";
import { AnalysisRunsQuery, MyAnalysisEventsSubscription, STATUS_LABEL, sourceLabel } from "./queries.ts";

export function Grade({ grade, label }: { grade: string | null | undefined; label?: string }) {
  if (!grade) return <span className="muted">no grade</span>;
  return (
    <span className={`grade grade-${grade}`} role="img" aria-label={`${label ?? "Grade"} ${grade}`}>
      {grade}
    </span>
  );
}

export function RunHistory() {
  const f = useFormat();
  const [runs, refetch] = useQuery({ query: AnalysisRunsQuery });
  // Live state of any of my runs, by run id, from myAnalysisEvents.
  const [live] = useSubscription(
    { query: MyAnalysisEventsSubscription },
    (prev: Record<string, ProgressState> = {}, data) => {
      const { runId } = data.myAnalysisEvents;
      return { ...prev, [runId]: applyEvent(prev[runId] ?? null, progressOf(data.myAnalysisEvents)) };
    },
  );
  const events = live.data ?? {};

  return (
    <div className="card">
      <h2>History</h2>
      <QueryState result={runs} retry={refetch}>
        {(data) => (
          <DataTable
            label="Analysis history"
            columns={["Started", "Sources", "Status", "Grade"]}
            rows={data.analysisRuns.edges}
            empty="No analyses yet."
          >
            {({ node }) => {
              const stored = progressOf(node);
              const event = events[node.id];
              const { status, percent } = event && event.seq > stored.seq ? event : stored;
              return (
                <tr key={node.id}>
                  <td>
                    <Link to={`/analyses/${encodeURIComponent(node.id)}`}>{f.dateTime(node.createdAt)}</Link>
                  </td>
                  <td>{node.sources.map(sourceLabel).join(", ")}</td>
                  <td>
                    {STATUS_LABEL[status]}
                    {!isFinished(status) && ` · ${percent}%`}
                  </td>
                  <td>
                    {node.overallGrade ? (
                      <>
                        <Grade grade={node.overallGrade} label="Overall grade" />{" "}
                        <span className="muted small">risk {node.overallScore}/100</span>
                      </>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              );
            }}
          </DataTable>
        )}
      </QueryState>
    </div>
  );
}
