import { toast } from "sonner";
import { useClient, useMutation, useQuery } from "urql";
import { type FragmentType, getFragmentData, graphql } from "../../../gql/index.ts";
import { Empty, FormStatus, QueryState } from "../../components/status.tsx";
import { errorMessage, formErrorMessage } from "../../lib/errors.ts";
import { useFormat } from "../../lib/preferences.tsx";

/** What one export's row reads. */
const DataExportFields = graphql(`
  fragment DataExportFields on DataExport {
    id
    status
    percent
    done
    total
    size
    createdAt
    expiresAt
    errorMessage
  }
`);

// Live: the export job announces every page it writes, so the progress bar moves by itself.
const MyDataExportsQuery = graphql(`
  query MyDataExports @live {
    myDataExports(first: 5) {
      edges {
        node {
          id
          status
          ...DataExportFields
        }
      }
    }
  }
`);

const ExportMyDataMutation = graphql(`
  mutation ExportMyData {
    exportMyData {
      id
      status
      ...DataExportFields
    }
  }
`);

const ExportDownloadQuery = graphql(`
  query ExportDownload($id: ID!) {
    node(id: $id) {
      id
      ... on DataExport {
        downloadUrl
      }
    }
  }
`);

/** Profile screen section: one JSON document of everything I own, with live progress and a time-limited download. */
export function DataExportSection() {
  const [result] = useQuery({ query: MyDataExportsQuery });
  const [started, start] = useMutation(ExportMyDataMutation);
  const exports = result.data?.myDataExports.edges.map((e) => e.node) ?? [];
  const busy = exports.some((e) => e.status === "queued" || e.status === "running");

  const begin = async () => {
    const r = await start({});
    if (r.data) toast.success("Your export has started.");
  };

  return (
    <div className="card">
      <h2>Export my data</h2>
      <p className="muted">
        One JSON file of everything you keep here: profile, sessions, keys (never their secrets), agents, memories,
        ratings, content, analyses, conversations, files (names and sizes, not the files), usage and the audit entries
        about you. The download link works for a limited time.
      </p>
      <FormStatus error={formErrorMessage(started.error)} />
      <button type="button" onClick={begin} disabled={started.fetching || busy}>
        {busy ? "Export under way…" : "Export my data"}
      </button>
      <QueryState result={result}>
        {() =>
          exports.length ? (
            <ul className="list">
              {exports.map((e) => (
                <ExportItem key={e.id} item={e} />
              ))}
            </ul>
          ) : (
            <Empty>No exports yet.</Empty>
          )
        }
      </QueryState>
    </div>
  );
}

function ExportItem(props: { item: FragmentType<typeof DataExportFields> }) {
  const item = getFragmentData(DataExportFields, props.item);
  const client = useClient();
  const { dateTime } = useFormat();

  const download = async () => {
    const r = await client.query(ExportDownloadQuery, { id: item.id }, { requestPolicy: "network-only" }).toPromise();
    const url = r.data?.node && "downloadUrl" in r.data.node ? r.data.node.downloadUrl : null;
    if (!url) return toast.error(errorMessage(r.error) ?? "This export can no longer be downloaded.");
    const a = document.createElement("a");
    a.href = url;
    a.download = `userplane-export-${item.createdAt.slice(0, 10)}.json`;
    a.click();
  };

  return (
    <li aria-label={`Export of ${dateTime(item.createdAt)}`}>
      <span>{dateTime(item.createdAt)}</span>{" "}
      {item.status === "ready" ? (
        <>
          <span>
            ready{item.size != null ? `, ${Math.max(1, Math.round(item.size / 1024))} KB` : ""}
            {item.expiresAt ? `, until ${dateTime(item.expiresAt)}` : ""}
          </span>{" "}
          <button type="button" onClick={download}>
            Download export
          </button>
        </>
      ) : item.status === "failed" ? (
        <span role="alert">{item.errorMessage ?? "The export failed."}</span>
      ) : (
        <>
          <progress aria-label="Export progress" max={100} value={item.percent} />{" "}
          <span>{item.status === "queued" ? "waiting for a worker" : `${item.done} of ${item.total || "…"} rows`}</span>
        </>
      )}
    </li>
  );
}
