import { type ReactNode, useState } from "react";
import { useQuery } from "urql";
import type { DataAccessKind } from "../../../gql/graphql.ts";
import { graphql } from "../../../gql/index.ts";
import { SelectField } from "../../components/Field.tsx";
import { Empty, ErrorNotice } from "../../components/status.tsx";
import { TableScroll } from "../../components/TableScroll.tsx";
import { useFormat } from "../../lib/preferences.tsx";

const MyDataAccessLogQuery = graphql(`
  query MyDataAccessLog($kind: DataAccessKind, $after: String) {
    myDataAccessLog(kind: $kind, first: 25, after: $after) {
      edges {
        node {
          id
          kind
          actorKind
          actorName
          resource
          action
          operationName
          ipAddress
          at
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const ACTOR: Record<string, string> = { user: "", api_key: "API key ", system: "" };

/**
 * "Who accessed my data": the signed-in user's privacy transparency log, newest first. Reads of
 * their data by admins, other members and API keys, and changes to it by others. Theirs alone.
 */
export function AccessLogScreen() {
  const [kind, setKind] = useState<DataAccessKind | "">("");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return (
    <section>
      <h1>Who accessed my data</h1>
      <div className="card" id="access-log">
        <p className="muted">
          Every time someone other than you — a workspace admin, another member, or an API key (yours included) — reads
          your data, and every change someone else makes to it. Only you can see this list.
        </p>
        <div className="row">
          <SelectField
            label="Show"
            value={kind}
            onChange={(e) => {
              setKind(e.target.value as DataAccessKind | "");
              setCursors([null]);
            }}
          >
            <option value="">Reads and changes</option>
            <option value="read">Reads</option>
            <option value="change">Changes</option>
          </SelectField>
        </div>
        <TableScroll label="Who accessed my data">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">How</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {cursors.map((after, i) => (
                <AccessPage
                  key={`${kind}:${after ?? ""}`}
                  kind={kind || null}
                  after={after}
                  isFirst={i === 0}
                  isLast={i === cursors.length - 1}
                  onMore={(c) => setCursors((cs) => [...cs, c])}
                />
              ))}
            </tbody>
          </table>
        </TableScroll>
      </div>
    </section>
  );
}

function AccessPage({
  kind,
  after,
  isFirst,
  isLast,
  onMore,
}: {
  kind: DataAccessKind | null;
  after: string | null;
  isFirst: boolean;
  isLast: boolean;
  onMore: (cursor: string) => void;
}) {
  const f = useFormat();
  const [result, refetch] = useQuery({
    query: MyDataAccessLogQuery,
    variables: { kind, after },
    requestPolicy: "cache-and-network",
  });
  const row = (content: ReactNode) => (
    <tr>
      <td colSpan={5}>{content}</td>
    </tr>
  );
  if (result.error && !result.data)
    return row(<ErrorNotice error={result.error} retry={() => refetch({ requestPolicy: "network-only" })} />);
  if (!result.data) return row(<span className="muted">Loading…</span>);
  const { edges, pageInfo } = result.data.myDataAccessLog;
  return (
    <>
      {isFirst && edges.length === 0 && row(<Empty>Nobody else has read or changed your data.</Empty>)}
      {edges.map(({ node: e }) => (
        <tr key={e.id}>
          <td>{f.dateTime(e.at)}</td>
          <td>
            {ACTOR[e.actorKind]}
            {e.actorName}
          </td>
          <td>
            {e.kind === "read" ? "Read" : "Changed"} <strong>{e.resource || "account"}</strong>
          </td>
          <td>
            <code>{e.action}</code>
            {e.operationName && <span className="muted"> ({e.operationName})</span>}
          </td>
          <td>{e.ipAddress ?? "—"}</td>
        </tr>
      ))}
      {isLast &&
        pageInfo.hasNextPage &&
        pageInfo.endCursor &&
        row(
          <button type="button" onClick={() => onMore(pageInfo.endCursor as string)}>
            Load more
          </button>,
        )}
    </>
  );
}
