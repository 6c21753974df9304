import { type FormEvent, useEffect, useMemo, useState } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import type { AnalysisRunDetailQuery, ContentSource } from "../../gql/graphql.ts";
import { graphql } from "../../gql/index.ts";
import { CheckboxField, SelectField, TextArea } from "../components/Field.tsx";
import { Empty, ErrorNotice, FormStatus, Loading, QueryState } from "../components/status.tsx";
import { TableScroll } from "../components/TableScroll.tsx";
import {
  applyEvent,
  initialProgress,
  isFinished,
  type ProgressState,
  type RunStatus,
  stageLabel,
  stagesOf,
} from "../lib/analysisProgress.ts";
import {
  batches,
  type ImportItem,
  type ParseResult,
  parseFile,
  parsePasted,
  type SplitMode,
} from "../lib/contentImport.ts";
import { errorMessage } from "../lib/errors.ts";
import { useFormat } from "../lib/preferences.tsx";
import { Link, navigate } from "../lib/router.tsx";

const ImportContentMutation = graphql(`
  mutation ImportContent($source: ContentSource!, $items: [ContentItemInput!]!) {
    importContent(source: $source, items: $items) {
      imported
      duplicates
    }
  }
`);

const DeleteContentMutation = graphql(`
  mutation DeleteContent($ids: [ID!]) {
    deleteContent(ids: $ids)
  }
`);

const ContentItemsQuery = graphql(`
  query ContentItems {
    contentItems(first: 5) {
      edges {
        node {
          id
          source
          text
          createdAt
        }
      }
      pageInfo {
        hasNextPage
      }
    }
  }
`);

const StartAnalysisMutation = graphql(`
  mutation StartAnalysis($sources: [ContentSource!], $userAgentId: ID) {
    startAnalysis(sources: $sources, userAgentId: $userAgentId) {
      id
      status
    }
  }
`);

const AgentChoicesQuery = graphql(`
  query AgentChoices {
    myAgents(first: 100) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);

const AnalysisRunsQuery = graphql(`
  query AnalysisRuns {
    analysisRuns(first: 20) {
      edges {
        node {
          id
          status
          stage
          percent
          seq
          sources
          overallGrade
          overallScore
          createdAt
          finishedAt
        }
      }
    }
  }
`);

const MyAnalysisEventsSubscription = graphql(`
  subscription MyAnalysisEvents {
    myAnalysisEvents {
      runId
      seq
      status
      stage
      percent
      message
      done
    }
  }
`);

const AnalysisRunDetailQueryDoc = graphql(`
  query AnalysisRunDetail($id: ID!) {
    analysisRun(id: $id) {
      id
      status
      stage
      percent
      seq
      message
      sources
      overallGrade
      overallScore
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
        riskScore
        itemCount
        summary
        flaggedItems {
          contentItemId
          excerpt
          score
          reasons {
            category
            rule
            severity
            term
            why
          }
        }
      }
    }
  }
`);

const AnalysisProgressSubscription = graphql(`
  subscription AnalysisProgress($runId: ID!) {
    analysisProgress(runId: $runId) {
      runId
      seq
      status
      stage
      percent
      message
      done
    }
  }
`);

const CancelAnalysisMutation = graphql(`
  mutation CancelAnalysis($id: ID!) {
    cancelAnalysis(id: $id) {
      id
      cancelRequested
    }
  }
`);

export const SOURCES: { value: ContentSource; label: string }[] = [
  { value: "text", label: "Texts" },
  { value: "twitter", label: "X / Twitter" },
  { value: "facebook", label: "Facebook" },
  { value: "instagram", label: "Instagram" },
  { value: "linkedin", label: "LinkedIn" },
  { value: "tiktok", label: "TikTok" },
];

const sourceLabel = (s: string) => SOURCES.find((x) => x.value === s)?.label ?? s;

const STATUS_LABEL: Record<RunStatus, string> = {
  queued: "Queued",
  running: "Running",
  complete: "Complete",
  failed: "Failed",
  cancelled: "Cancelled",
};

export function AnalysesScreen({ runId }: { runId?: string }) {
  if (runId) return <RunDetail id={runId} />;
  return (
    <section>
      <h1>Analyses</h1>
      <p className="muted">
        Import your posts or texts, then let an agent grade each source for risk. Progress is live; results stay with
        you.
      </p>
      <ImportContent />
      <StartAnalysis />
      <RunHistory />
    </section>
  );
}

function ImportContent() {
  const [source, setSource] = useState<ContentSource>("text");
  const [mode, setMode] = useState<"paste" | "file">("paste");
  const [split, setSplit] = useState<SplitMode>("paragraph");
  const [text, setText] = useState("");
  const [file, setFile] = useState<{ name: string; parsed: ParseResult } | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [state, setState] = useState<{ busy: boolean; done?: string; error?: string }>({ busy: false });
  const [, importContent] = useMutation(ImportContentMutation);
  const [deleting, deleteContent] = useMutation(DeleteContentMutation);
  const [recent, refetchRecent] = useQuery({
    query: ContentItemsQuery,
    context: useMemo(() => ({ additionalTypenames: ["ContentItem"] }), []),
  });

  const pasted = useMemo(() => parsePasted(text, split), [text, split]);
  const parsed = mode === "paste" ? pasted : file?.parsed;

  const onFile = async (f: File | undefined) => {
    setFile(null);
    setFileError(null);
    if (!f) return;
    if (f.size > 20 * 1024 * 1024) return setFileError("The file is larger than 20 MB.");
    try {
      setFile({ name: f.name, parsed: parseFile(f.name, await f.text(), split) });
    } catch (err) {
      setFileError((err as Error).message);
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const items: ImportItem[] = parsed?.items ?? [];
    if (!items.length) return;
    setState({ busy: true });
    let imported = 0;
    let duplicates = 0;
    for (const batch of batches(items)) {
      const r = await importContent({ source, items: batch }, { additionalTypenames: ["ContentItem"] });
      if (r.error || !r.data) {
        setState({
          busy: false,
          error: `${errorMessage(r.error) ?? "Import failed."}${imported ? ` (${imported} items were imported before this.)` : ""}`,
        });
        return;
      }
      imported += r.data.importContent.imported;
      duplicates += r.data.importContent.duplicates;
    }
    setState({
      busy: false,
      done: `Imported ${imported} item${imported === 1 ? "" : "s"}${duplicates ? `, ${duplicates} already there` : ""}.`,
    });
    setText("");
    setFile(null);
    refetchRecent({ requestPolicy: "network-only" });
  };

  return (
    <form className="card" onSubmit={submit} aria-labelledby="import-h">
      <h2 id="import-h">1. Import content</h2>
      <div className="row wrap">
        <SelectField label="Source" value={source} onChange={(e) => setSource(e.target.value as ContentSource)}>
          {SOURCES.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </SelectField>
        <fieldset className="inline">
          <legend>From</legend>
          <label>
            <input type="radio" name="import-mode" checked={mode === "paste"} onChange={() => setMode("paste")} /> Paste
          </label>{" "}
          <label>
            <input type="radio" name="import-mode" checked={mode === "file"} onChange={() => setMode("file")} /> Export
            file
          </label>
        </fieldset>
        <SelectField label="One item per" value={split} onChange={(e) => setSplit(e.target.value as SplitMode)}>
          <option value="paragraph">Paragraph (blank line)</option>
          <option value="line">Line</option>
          <option value="whole">Whole text</option>
        </SelectField>
      </div>
      {mode === "paste" ? (
        <TextArea
          label="Posts or texts"
          rows={6}
          value={text}
          onChange={(e) => setText(e.target.value)}
          hint="Separate posts with a blank line."
        />
      ) : (
        <div className="field">
          <label htmlFor="import-file">Export file (.json, .js, .csv or .txt)</label>
          <input
            id="import-file"
            type="file"
            accept=".json,.js,.csv,.txt,.md,application/json,text/csv,text/plain"
            onChange={(e) => void onFile(e.target.files?.[0])}
            aria-describedby="import-file-hint"
          />
          <small id="import-file-hint" className="hint">
            A platform export (e.g. X's tweets.js, a JSON list of posts) or a CSV with a text column. Read in your
            browser; only the texts are sent.
          </small>
          {fileError && (
            <small className="field-error" role="alert">
              {fileError}
            </small>
          )}
        </div>
      )}
      <p className="muted small" aria-live="polite">
        {parsed ? `${parsed.items.length} item${parsed.items.length === 1 ? "" : "s"} ready` : "No file chosen"}
        {parsed?.notes.length ? ` · ${parsed.notes.join(" ")}` : ""}
      </p>
      <FormStatus error={state.error} success={state.done} />
      <button type="submit" className="primary" disabled={state.busy || !parsed?.items.length}>
        {state.busy ? "Importing…" : "Import"}
      </button>
      <h3>Recently imported</h3>
      {deleting.error && <ErrorNotice error={deleting.error} />}
      <QueryState result={recent} retry={() => refetchRecent({ requestPolicy: "network-only" })}>
        {(data) =>
          data.contentItems.edges.length === 0 ? (
            <Empty>Nothing imported yet.</Empty>
          ) : (
            <ul className="list small">
              {data.contentItems.edges.map(({ node }) => (
                <li key={node.id}>
                  <span className="badge">{sourceLabel(node.source)}</span> {node.text.slice(0, 140)}
                  {node.text.length > 140 ? "…" : ""}{" "}
                  <button
                    type="button"
                    className="link"
                    disabled={deleting.fetching}
                    aria-label={`Delete imported item: ${node.text.slice(0, 40)}`}
                    onClick={async () => {
                      const r = await deleteContent({ ids: [node.id] });
                      if (r.data) refetchRecent({ requestPolicy: "network-only" });
                    }}
                  >
                    Delete
                  </button>
                </li>
              ))}
            </ul>
          )
        }
      </QueryState>
    </form>
  );
}

function StartAnalysis() {
  const [sources, setSources] = useState<ContentSource[]>([]);
  const [agentId, setAgentId] = useState("");
  const [agents] = useQuery({ query: AgentChoicesQuery });
  const [result, start] = useMutation(StartAnalysisMutation);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await start(
      { sources: sources.length ? sources : null, userAgentId: agentId || null },
      { additionalTypenames: ["AnalysisRun"] },
    );
    if (r.data) navigate(`/analyses/${encodeURIComponent(r.data.startAnalysis.id)}`);
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="start-h">
      <h2 id="start-h">2. Start an analysis</h2>
      <fieldset className="scopes">
        <legend>Sources (none ticked: every source you have content for)</legend>
        {SOURCES.map((s) => (
          <CheckboxField
            key={s.value}
            label={s.label}
            checked={sources.includes(s.value)}
            onChange={(e) =>
              setSources((cur) => (e.target.checked ? [...cur, s.value] : cur.filter((x) => x !== s.value)))
            }
          />
        ))}
      </fieldset>
      <SelectField
        label="Agent (optional)"
        value={agentId}
        onChange={(e) => setAgentId(e.target.value)}
        hint="Its custom prompt guides the scorer when an AI provider is configured."
      >
        <option value="">Default scorer</option>
        {agents.data?.myAgents.edges.map(({ node }) => (
          <option key={node.id} value={node.id}>
            {node.name}
          </option>
        ))}
      </SelectField>
      <FormStatus error={errorMessage(result.error)} />
      <button type="submit" className="primary" disabled={result.fetching}>
        {result.fetching ? "Starting…" : "Start analysis"}
      </button>
    </form>
  );
}

export function Grade({ grade, label }: { grade: string | null | undefined; label?: string }) {
  if (!grade) return <span className="muted">no grade</span>;
  return (
    <span className={`grade grade-${grade}`} role="img" aria-label={`${label ?? "Grade"} ${grade}`}>
      {grade}
    </span>
  );
}

function RunHistory() {
  const f = useFormat();
  const context = useMemo(() => ({ additionalTypenames: ["AnalysisRun"] }), []);
  const [runs, refetch] = useQuery({ query: AnalysisRunsQuery, context });
  // Live state of any of my runs, by run id, from myAnalysisEvents.
  const [live] = useSubscription(
    { query: MyAnalysisEventsSubscription },
    (prev: Record<string, ProgressState> = {}, data) => {
      const e = data.myAnalysisEvents;
      return { ...prev, [e.runId]: applyEvent(prev[e.runId] ?? null, e) };
    },
  );
  const known = new Set(runs.data?.analysisRuns.edges.map((e) => e.node.id));
  const events = live.data ?? {};
  const needsRefetch = Object.entries(events).some(([id, s]) => s.done || !known.has(id));
  const signature = Object.entries(events)
    .filter(([id, s]) => s.done || !known.has(id))
    .map(([id, s]) => `${id}:${s.seq}`)
    .join(",");
  useEffect(() => {
    if (needsRefetch && signature) refetch({ requestPolicy: "network-only" });
  }, [signature, needsRefetch, refetch]);

  return (
    <div className="card">
      <h2>History</h2>
      <QueryState result={runs} retry={() => refetch({ requestPolicy: "network-only" })}>
        {(data) =>
          data.analysisRuns.edges.length === 0 ? (
            <Empty>No analyses yet.</Empty>
          ) : (
            <TableScroll label="Analysis history">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Started</th>
                    <th scope="col">Sources</th>
                    <th scope="col">Status</th>
                    <th scope="col">Grade</th>
                  </tr>
                </thead>
                <tbody>
                  {data.analysisRuns.edges.map(({ node }) => {
                    const event = events[node.id];
                    const s = event && event.seq > node.seq ? event : null;
                    const status = (s?.status ?? node.status) as RunStatus;
                    const percent = s?.percent ?? node.percent;
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
                  })}
                </tbody>
              </table>
            </TableScroll>
          )
        }
      </QueryState>
    </div>
  );
}

type RunDetailData = NonNullable<AnalysisRunDetailQuery["analysisRun"]>;

function RunDetail({ id }: { id: string }) {
  const [result, refetch] = useQuery({ query: AnalysisRunDetailQueryDoc, variables: { id } });
  const run = result.data?.analysisRun;
  const finished = run ? isFinished(run.status as RunStatus) : false;
  const [sub] = useSubscription(
    { query: AnalysisProgressSubscription, variables: { runId: id }, pause: !run || finished },
    (prev: ProgressState | undefined, data) => applyEvent(prev ?? null, data.analysisProgress),
  );
  const live = sub.data;
  useEffect(() => {
    // The last event: fetch the stored results once.
    if (live?.done) refetch({ requestPolicy: "network-only" });
  }, [live?.done, refetch]);

  return (
    <section>
      <p>
        <Link to="/analyses">← All analyses</Link>
      </p>
      <h1>Analysis</h1>
      <QueryState result={result} retry={() => refetch({ requestPolicy: "network-only" })}>
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

function RunView({
  run,
  live,
  subscriptionError,
}: {
  run: RunDetailData;
  live: ProgressState | undefined;
  subscriptionError: string | null;
}) {
  const f = useFormat();
  const stored = initialProgress({ ...run, status: run.status as RunStatus });
  const state = live && live.seq > stored.seq ? live : stored;
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

function Results({ run }: { run: RunDetailData }) {
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
