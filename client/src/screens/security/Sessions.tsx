// Signed-in sessions: mine, or (tenant admins) every member's, each revocable.
import { toast } from "sonner";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../../gql/index.ts";
import { useConfirm } from "../../components/ConfirmDialog.tsx";
import { ACTIONS_COLUMN, DataTable } from "../../components/DataTable.tsx";
import { ErrorNotice, QueryState } from "../../components/status.tsx";
import { useFormat } from "../../lib/preferences.tsx";

const SessionsQuery = graphql(`
  query Sessions($first: Int, $allInTenant: Boolean) @live {
    sessions(first: $first, activeOnly: true, allInTenant: $allInTenant) {
      edges {
        node {
          id
          user {
            id
            displayName
          }
          current
          active
          deviceType
          browser
          os
          ipAddress
          sessionStart
          lastSeenAt
          expiresAt
        }
      }
    }
  }
`);

const RevokeSessionMutation = graphql(`
  mutation RevokeSession($id: ID!) {
    revokeSession(id: $id) {
      id
      active
      revokedAt
    }
  }
`);

export function describeDevice(s: { deviceType?: string | null; browser?: string | null; os?: string | null }): string {
  const parts = [s.browser, s.os].filter(Boolean).join(" on ");
  const device = s.deviceType ? s.deviceType.charAt(0).toUpperCase() + s.deviceType.slice(1) : "Unknown device";
  return parts ? `${device} · ${parts}` : device;
}

/** My sessions; with `allInTenant`, every member's (tenant admins, who may revoke them too). */
export function Sessions({ allInTenant = false }: { allInTenant?: boolean }) {
  const f = useFormat();
  const [result, refetch] = useQuery({ query: SessionsQuery, variables: { first: 50, allInTenant } });
  const [revoking, revoke] = useMutation(RevokeSessionMutation);
  const confirm = useConfirm();
  return (
    <div className="card">
      <h2>{allInTenant ? "Sessions in this workspace" : "Signed-in sessions"}</h2>
      {revoking.error && <ErrorNotice error={revoking.error} />}
      <QueryState result={result} retry={refetch}>
        {(data) => (
          <DataTable
            label="Sessions"
            columns={[allInTenant && "User", "Device", "IP address", "Signed in", "Last seen", ACTIONS_COLUMN]}
            rows={data.sessions.edges}
            empty="No active sessions."
          >
            {({ node: s }) => (
              <tr key={s.id}>
                {allInTenant && <td>{s.user?.displayName ?? "—"}</td>}
                <td>
                  {describeDevice(s)} {s.current && <span className="badge">This session</span>}
                </td>
                <td>{s.ipAddress ?? "—"}</td>
                <td>{f.dateTime(s.sessionStart)}</td>
                <td>{f.dateTime(s.lastSeenAt)}</td>
                <td>
                  {!s.current && (
                    <button
                      type="button"
                      disabled={revoking.fetching}
                      onClick={async () => {
                        const where = `${describeDevice(s)} from ${s.ipAddress ?? "an unknown address"}`;
                        const ok = await confirm({
                          title: "Sign this session out?",
                          description: `${allInTenant ? `${s.user?.displayName ?? "The user"} on ` : ""}${where} will have to sign in again.`,
                          confirmLabel: "Revoke session",
                          danger: true,
                        });
                        if (!ok) return;
                        const r = await revoke({ id: s.id });
                        if (!r.error) toast.success(`Session on ${where} signed out.`);
                      }}
                      aria-label={`Revoke session ${describeDevice(s)} from ${s.ipAddress ?? "unknown address"}`}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            )}
          </DataTable>
        )}
      </QueryState>
    </div>
  );
}
