import { useState } from "react";
import { useQuery } from "urql";
import type { DataAccessKind } from "../../../gql/graphql.ts";
import { graphql } from "../../../gql/index.ts";
import { SelectField } from "../../components/Field.tsx";
import { PagedTable, type PageProps, PageRows } from "../../components/PagedTable.tsx";
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
          resources
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
            }}
          >
            <option value="">Reads and changes</option>
            <option value="read">Reads</option>
            <option value="change">Changes</option>
          </SelectField>
        </div>
        <PagedTable
          label="Who accessed my data"
          columns={["When", "Who", "What", "How", "From"]}
          filterKey={kind}
          page={(p) => <AccessPage kind={kind || null} {...p} />}
        />
      </div>
    </section>
  );
}

function AccessPage({ kind, after, ...page }: PageProps & { kind: DataAccessKind | null }) {
  const f = useFormat();
  const [result, refetch] = useQuery({
    query: MyDataAccessLogQuery,
    variables: { kind, after },
    requestPolicy: "cache-and-network",
  });
  return (
    <PageRows
      span={5}
      connection={result.data?.myDataAccessLog}
      error={result.error}
      retry={refetch}
      empty="Nobody else has read or changed your data."
      {...page}
    >
      {(e) => (
        <tr>
          <td>{f.dateTime(e.at)}</td>
          <td>
            {ACTOR[e.actorKind]}
            {e.actorName}
          </td>
          <td>
            {e.kind === "read" ? "Read" : "Changed"} <strong>{e.resources.join(", ") || "account"}</strong>
          </td>
          <td>
            <code>{e.action}</code>
            {e.operationName && <span className="muted"> ({e.operationName})</span>}
          </td>
          <td>{e.ipAddress ?? "—"}</td>
        </tr>
      )}
    </PageRows>
  );
}
