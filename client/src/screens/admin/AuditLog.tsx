import { type ReactNode, useState } from "react";
import { useQuery } from "urql";
import { TextField } from "../../components/Field.tsx";
import { Empty, ErrorNotice } from "../../components/status.tsx";
import { TableScroll } from "../../components/TableScroll.tsx";
import { useFormat } from "../../lib/preferences.tsx";
import { AuditLogQuery } from "./queries.ts";

export function AuditLog() {
  const [action, setAction] = useState("");
  const [applied, setApplied] = useState("");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return (
    <div className="card" id="audit">
      <h2>Audit log</h2>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(action.trim());
          setCursors([null]);
        }}
      >
        <TextField
          label="Action"
          maxLength={100}
          placeholder="e.g. user.sign_in"
          value={action}
          onChange={(e) => setAction(e.target.value)}
        />
        <button type="submit">Filter</button>
      </form>
      <TableScroll label="Audit log">
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Resource</th>
              <th scope="col">IP</th>
            </tr>
          </thead>
          <tbody>
            {cursors.map((after, i) => (
              <AuditPage
                key={`${applied}:${after ?? ""}`}
                action={applied || null}
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
  );
}

function AuditPage({
  action,
  after,
  isFirst,
  isLast,
  onMore,
}: {
  action: string | null;
  after: string | null;
  isFirst: boolean;
  isLast: boolean;
  onMore: (cursor: string) => void;
}) {
  const f = useFormat();
  const [result, refetch] = useQuery({ query: AuditLogQuery, variables: { action, after } });
  const row = (content: ReactNode) => (
    <tr>
      <td colSpan={5}>{content}</td>
    </tr>
  );
  if (result.error && !result.data)
    return row(<ErrorNotice error={result.error} retry={() => refetch({ requestPolicy: "network-only" })} />);
  if (!result.data) return row(<span className="muted">Loading…</span>);
  const { edges, pageInfo } = result.data.auditLog;
  return (
    <>
      {isFirst && edges.length === 0 && row(<Empty>No entries{action ? ` for ${action}` : ""}.</Empty>)}
      {edges.map(({ node: e }) => (
        <tr key={e.id}>
          <td>{f.dateTime(e.createdAt)}</td>
          <td>{e.actor?.displayName ?? "—"}</td>
          <td>
            <code>{e.action}</code>
          </td>
          <td>{[e.resource, e.resourceId].filter(Boolean).join(" ") || "—"}</td>
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
