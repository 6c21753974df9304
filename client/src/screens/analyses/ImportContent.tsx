import { type FormEvent, useMemo, useState } from "react";
import { toast } from "sonner";
import { useMutation, useQuery } from "urql";
import type { ContentSource } from "../../../gql/graphql.ts";
import { SelectField, TextArea } from "../../components/Field.tsx";
import { Empty, ErrorNotice, FormStatus, QueryState } from "../../components/status.tsx";
import {
  batches,
  fileProblem,
  type ImportItem,
  type ParseResult,
  parseFile,
  parsePasted,
  type SplitMode,
} from "../../lib/contentImport.ts";
import { errorMessage } from "../../lib/errors.ts";
import { ContentItemsQuery, DeleteContentMutation, ImportContentMutation, SOURCES, sourceLabel } from "./queries.ts";

export function ImportContent() {
  const [source, setSource] = useState<ContentSource>("text");
  const [mode, setMode] = useState<"paste" | "file">("paste");
  const [split, setSplit] = useState<SplitMode>("paragraph");
  const [text, setText] = useState("");
  const [file, setFile] = useState<{ name: string; parsed: ParseResult } | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [state, setState] = useState<{ busy: boolean; done?: string; error?: string }>({ busy: false });
  const [, importContent] = useMutation(ImportContentMutation);
  const [deleting, deleteContent] = useMutation(DeleteContentMutation);
  const [recent, refetchRecent] = useQuery({ query: ContentItemsQuery });

  const pasted = useMemo(() => parsePasted(text, split), [text, split]);
  const parsed = mode === "paste" ? pasted : file?.parsed;

  const onFile = async (f: File | undefined) => {
    setFile(null);
    setFileError(null);
    if (!f) return;
    if (f.size > 20 * 1024 * 1024) return setFileError("The file is larger than 20 MB.");
    try {
      const problem = fileProblem(f, new Uint8Array(await f.slice(0, 512).arrayBuffer()));
      if (problem) return setFileError(problem);
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
      const r = await importContent({ source, items: batch });
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
        {mode === "paste" && !text.trim()
          ? "Paste one or more posts above."
          : parsed
            ? `${parsed.items.length} item${parsed.items.length === 1 ? "" : "s"} ready`
            : "No file chosen"}
        {parsed?.notes.length ? ` · ${parsed.notes.join(" ")}` : ""}
      </p>
      <FormStatus error={state.error} success={state.done} />
      <button type="submit" className="primary" disabled={state.busy || !parsed?.items.length}>
        {state.busy ? "Importing…" : "Import"}
      </button>
      <h3>Recently imported</h3>
      {deleting.error && <ErrorNotice error={deleting.error} />}
      <QueryState result={recent} retry={refetchRecent}>
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
                      if (!r.data) return;
                      // The item can be imported again as it was: offer that instead of asking first.
                      toast("Imported item deleted.", {
                        action: {
                          label: "Undo",
                          onClick: async () => {
                            const item = { text: node.text, externalId: node.externalId, postedAt: node.postedAt };
                            const back = await importContent({ source: node.source, items: [item] });
                            if (back.error) toast.error(errorMessage(back.error) ?? "The item could not be restored.");
                          },
                        },
                      });
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
