// How long the tenant keeps each kind of data, and what each retention pass removed. Live: a change
// by another admin, or a pass that just ran, shows without a reload.
import { useState } from "react";
import { toast } from "sonner";
import { useMutation, useQuery } from "urql";
import type { RetentionKind } from "../../../gql/graphql.ts";
import { DataTable } from "../../components/DataTable.tsx";
import { TextField } from "../../components/Field.tsx";
import { QueryState } from "../../components/status.tsx";
import { formErrorMessage } from "../../lib/errors.ts";
import { useFormat } from "../../lib/preferences.tsx";
import { RetentionQuery, SetRetentionPolicyMutation } from "./limits-queries.ts";

export const KIND_LABELS: Record<RetentionKind, string> = {
  sessions: "Ended sessions",
  memories: "Memories (since last used)",
  analyses: "Finished analyses and results",
  content: "Imported content",
  usage_detail: "Usage detail (then monthly totals)",
  audit_entries: "Audit entries",
  conversations: "Conversations",
  access_log: "Access log (who read a member's data)",
};

const days = (n: number | null | undefined) => (n == null ? "Forever" : `${n} day${n === 1 ? "" : "s"}`);

export function Retention() {
  const f = useFormat();
  const [result, refetch] = useQuery({ query: RetentionQuery });
  return (
    <div className="card" id="retention">
      <h2>Data retention</h2>
      <p className="muted">
        Data older than this is removed by a daily pass. A member who asks for a shorter time in their privacy settings
        gets it for their own data (audit entries follow the tenant).
      </p>
      <QueryState result={result} retry={refetch}>
        {(data) => (
          <>
            {/* One form per kind, not a table: a phone shows each whole, without sideways scrolling. */}
            {data.retentionPolicies.map((p) => (
              <div key={p.id} className="row wrap">
                <p>
                  <strong>{KIND_LABELS[p.kind]}</strong>: {days(p.keepDays)}
                  {p.isDefault ? <span className="muted"> (default)</span> : null}
                </p>
                <PolicyForm kind={p.kind} keepDays={p.keepDays ?? null} />
              </div>
            ))}
            <h3>Recent passes</h3>
            {
              <DataTable
                label="Retention passes"
                columns={["Started", "By", "Removed"]}
                rows={data.retentionRuns.edges}
                empty="No retention pass has run yet."
              >
                {({ node: r }) => (
                  <tr key={r.id}>
                    <td>{f.dateTime(r.startedAt)}</td>
                    <td>{r.trigger === "schedule" ? "Schedule" : "By hand"}</td>
                    <td>
                      {r.totalRemoved === 0
                        ? "Nothing"
                        : r.removed.map((c) => `${c.table} (${c.reason}): ${f.number(c.count)}`).join(", ")}
                    </td>
                  </tr>
                )}
              </DataTable>
            }
          </>
        )}
      </QueryState>
    </div>
  );
}

function PolicyForm({ kind, keepDays }: { kind: RetentionKind; keepDays: number | null }) {
  const [value, setValue] = useState(keepDays == null ? "" : String(keepDays));
  const [saving, save] = useMutation(SetRetentionPolicyMutation);
  return (
    <form
      className="row"
      aria-label={`Retention of ${KIND_LABELS[kind].toLowerCase()}`}
      onSubmit={async (e) => {
        e.preventDefault();
        const r = await save({ kind, keepDays: value.trim() === "" ? null : Number(value) });
        if (r.error) toast.error(formErrorMessage(r.error) ?? "Could not save.");
        else toast.success(`${KIND_LABELS[kind]}: ${days(r.data?.setRetentionPolicy.keepDays)}.`);
      }}
    >
      <TextField
        label="Days"
        hint="Empty: forever"
        type="number"
        min={1}
        max={3650}
        value={value}
        onChange={(e) => setValue(e.target.value)}
      />
      <button type="submit" disabled={saving.fetching}>
        Save
      </button>
    </form>
  );
}
