import { useState } from "react";
import { useQuery } from "urql";
import { TextField } from "../../components/Field.tsx";
import { PagedTable, type PageProps, PageRows } from "../../components/PagedTable.tsx";
import { useFormat } from "../../lib/preferences.tsx";
import { AuditLogQuery } from "./queries.ts";

export function AuditLog() {
  const [action, setAction] = useState("");
  const [applied, setApplied] = useState("");
  return (
    <div className="card" id="audit">
      <h2>Audit log</h2>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(action.trim());
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
      <PagedTable
        label="Audit log"
        columns={["When", "Who", "Action", "Resource", "IP"]}
        filterKey={applied}
        page={(p) => <AuditPage action={applied || null} {...p} />}
      />
    </div>
  );
}

function AuditPage({ action, after, ...page }: PageProps & { action: string | null }) {
  const f = useFormat();
  const [result, refetch] = useQuery({ query: AuditLogQuery, variables: { action, after } });
  return (
    <PageRows
      span={5}
      connection={result.data?.auditLog}
      error={result.error}
      retry={refetch}
      empty={`No entries${action ? ` for ${action}` : ""}.`}
      {...page}
    >
      {(e) => (
        <tr>
          <td>{f.dateTime(e.createdAt)}</td>
          <td>{e.actor?.displayName ?? "—"}</td>
          <td>
            <code>{e.action}</code>
          </td>
          <td>{[e.resource, e.resourceId].filter(Boolean).join(" ") || "—"}</td>
          <td>{e.ipAddress ?? "—"}</td>
        </tr>
      )}
    </PageRows>
  );
}
