import { useRef, useState } from "react";
import { toast } from "sonner";
import { useClient, useMutation, useQuery } from "urql";
import { type FragmentType, getFragmentData, graphql } from "../../../gql/index.ts";
import { useConfirm } from "../../components/ConfirmDialog.tsx";
import { SelectField, TextField } from "../../components/Field.tsx";
import { Empty, FormStatus, QueryState } from "../../components/status.tsx";
import { errorMessage } from "../../lib/errors.ts";
import { useFormat } from "../../lib/preferences.tsx";
import { fetchWithUploadProgress } from "../../lib/uploadProgress.ts";
import { PREVIEWABLE, type Preview, PreviewDialog } from "./PreviewDialog.tsx";
import {
  DeleteFileMutation,
  DownloadUrlQuery,
  FilesQuery,
  formatBytes,
  PreviewUrlQuery,
  RenameFileMutation,
  StorageStatsQuery,
  UploadFileMutation,
} from "./queries.ts";
import { NewWorkspace, UploadTarget, useWorkspaces, WorkspaceFilter } from "./Workspaces.tsx";

const TYPES = [
  { value: "", label: "All types" },
  { value: "image/", label: "Images" },
  { value: "application/pdf", label: "PDFs" },
  { value: "text/", label: "Text" },
];

export function FilesScreen() {
  const [stats, refetchStats] = useQuery({ query: StorageStatsQuery });
  const [type, setType] = useState("");
  const [name, setName] = useState("");
  const workspaces = useWorkspaces();
  const [target, setTarget] = useState("");
  const [inWorkspace, setInWorkspace] = useState("");
  return (
    <section>
      <h1>Files</h1>
      <p className="muted">Your uploads. Only you can see them; download links last five minutes.</p>
      <QueryState result={stats} retry={refetchStats}>
        {(d) => (
          <div className="card">
            <h2>Storage</h2>
            <StorageGauge bytes={d.storageStats.bytes} limit={d.storageStats.limitBytes} files={d.storageStats.files} />
            <UploadTarget workspaces={workspaces} value={target} onChange={setTarget} />
            <Uploader
              maxBytes={d.storageStats.maxFileBytes}
              types={d.storageStats.allowedTypes}
              workspaceId={target || null}
            />
            <NewWorkspace onCreated={(w) => setTarget(w.id)} />
          </div>
        )}
      </QueryState>
      <div className="card">
        <h2>All files</h2>
        <div className="row">
          <WorkspaceFilter workspaces={workspaces} value={inWorkspace} onChange={setInWorkspace} />
          <SelectField label="Type" value={type} onChange={(e) => setType(e.target.value)}>
            {TYPES.map((t) => (
              <option key={t.value} value={t.value}>
                {t.label}
              </option>
            ))}
          </SelectField>
          <TextField label="Name contains" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />
        </div>
        <FileList mimeTypePrefix={type || null} nameContains={name.trim() || null} workspaceId={inWorkspace || null} />
      </div>
    </section>
  );
}

function StorageGauge({ bytes, limit, files }: { bytes: number; limit: number | null; files: number }) {
  const label =
    limit === null ? `${formatBytes(bytes)} used (no limit)` : `${formatBytes(bytes)} of ${formatBytes(limit)} used`;
  return (
    <div className="field">
      <span id="storage-gauge-label">
        {label}, {files} {files === 1 ? "file" : "files"}
      </span>
      {limit !== null && (
        <meter aria-labelledby="storage-gauge-label" min={0} max={limit} value={bytes} high={limit * 0.8} optimum={0} />
      )}
    </div>
  );
}

function Uploader({
  maxBytes,
  types,
  workspaceId,
}: {
  maxBytes: number;
  types: readonly string[];
  workspaceId: string | null;
}) {
  const [, upload] = useMutation(UploadFileMutation);
  const input = useRef<HTMLInputElement>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const start = async (file: File | undefined) => {
    if (!file) return;
    setError(null);
    if (file.size > maxBytes) return setError(`${file.name} is larger than ${formatBytes(maxBytes)}.`);
    setProgress(0);
    const r = await upload({ file, workspaceId }, { fetch: fetchWithUploadProgress(setProgress) });
    setProgress(null);
    if (input.current) input.current.value = "";
    if (r.error) return setError(errorMessage(r.error) ?? "The upload failed.");
    toast.success(`Uploaded ${file.name}`);
  };
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a drop target only; the file input beside it is the accessible way in.
    <div
      className={`subform${dragging ? " dragging" : ""}`}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        void start(e.dataTransfer.files[0]);
      }}
    >
      <div className="field">
        <label htmlFor="file-upload">Upload a file (or drop it here)</label>
        <input
          id="file-upload"
          ref={input}
          type="file"
          disabled={progress !== null}
          onChange={(e) => void start(e.target.files?.[0])}
        />
        <small className="muted">
          Up to {formatBytes(maxBytes)}; {types.join(", ")}.
        </small>
      </div>
      {progress !== null && (
        <progress aria-label="Upload progress" max={1} value={progress}>
          {Math.round(progress * 100)}%
        </progress>
      )}
      <FormStatus error={error} />
    </div>
  );
}

function FileList({
  mimeTypePrefix,
  nameContains,
  workspaceId,
}: {
  mimeTypePrefix: string | null;
  nameContains: string | null;
  workspaceId: string | null;
}) {
  const [result, refetch] = useQuery({ query: FilesQuery, variables: { mimeTypePrefix, nameContains, workspaceId } });
  return (
    <QueryState result={result} retry={refetch}>
      {(d) => (
        <ul className="list" aria-label="Files">
          {d.files.edges.length === 0 && (
            <li>
              <Empty>
                {mimeTypePrefix || nameContains || workspaceId ? "No files match." : "No files yet. Upload one above."}
              </Empty>
            </li>
          )}
          {d.files.edges.map(({ node }) => (
            <li key={node.id}>
              <FileRow file={node} />
            </li>
          ))}
        </ul>
      )}
    </QueryState>
  );
}

/** What a file's row reads; the list spreads it. */
const FileRowFields = graphql(`
  fragment FileRowFields on File {
    id
    name
    size
    mimeType
    createdAt
    workspace {
      id
      name
    }
  }
`);

function FileRow(props: { file: FragmentType<typeof FileRowFields> }) {
  const file = getFragmentData(FileRowFields, props.file);
  const f = useFormat();
  const client = useClient();
  const confirm = useConfirm();
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(file.name);
  const [renamed, rename] = useMutation(RenameFileMutation);
  const [, del] = useMutation(DeleteFileMutation);
  const [preview, setPreview] = useState<Preview | null>(null);

  const openPreview = async () => {
    const r = await client.query(PreviewUrlQuery, { id: file.id }, { requestPolicy: "network-only" }).toPromise();
    const url = r.data?.node && "previewUrl" in r.data.node ? r.data.node.previewUrl : null;
    if (!url) return toast.error(errorMessage(r.error) ?? "This file cannot be previewed.");
    setPreview({ name: file.name, mimeType: file.mimeType, url });
  };

  const download = async () => {
    const r = await client.query(DownloadUrlQuery, { id: file.id }, { requestPolicy: "network-only" }).toPromise();
    const url = r.data?.node && "downloadUrl" in r.data.node ? r.data.node.downloadUrl : null;
    if (!url) return toast.error(errorMessage(r.error) ?? "The file could not be downloaded.");
    const a = document.createElement("a");
    a.href = url;
    a.download = file.name;
    a.click();
  };

  if (renaming)
    return (
      <form
        className="subform"
        aria-label={`Rename ${file.name}`}
        onSubmit={async (e) => {
          e.preventDefault();
          const r = await rename({ id: file.id, name });
          if (r.data) setRenaming(false);
        }}
      >
        <TextField label="Name" value={name} maxLength={200} required onChange={(e) => setName(e.target.value)} />
        <FormStatus error={errorMessage(renamed.error)} />
        <div className="row">
          <button type="submit" className="primary" disabled={renamed.fetching}>
            Save
          </button>
          <button type="button" onClick={() => setRenaming(false)}>
            Cancel
          </button>
        </div>
      </form>
    );
  return (
    <article aria-label={file.name}>
      <strong>{file.name}</strong>
      <p className="muted">
        {formatBytes(file.size)} · {file.mimeType} · {f.dateTime(file.createdAt)}
        {file.workspace && ` · in ${file.workspace.name}`}
      </p>
      <div className="row">
        {PREVIEWABLE.includes(file.mimeType) && (
          <button type="button" onClick={() => void openPreview()}>
            Preview
          </button>
        )}
        <button type="button" onClick={() => void download()}>
          Download
        </button>
        <button type="button" onClick={() => setRenaming(true)}>
          Rename
        </button>
        <button
          type="button"
          className="danger"
          onClick={async () => {
            const sure = await confirm({ title: `Delete ${file.name}?`, confirmLabel: "Delete", danger: true });
            if (!sure) return;
            const r = await del({ id: file.id });
            if (r.error) return toast.error(errorMessage(r.error) ?? "The file could not be deleted.");
            toast.success(`Deleted ${file.name}`);
          }}
        >
          Delete
        </button>
      </div>
      <PreviewDialog preview={preview} onClose={() => setPreview(null)} />
    </article>
  );
}
