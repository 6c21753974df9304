import { type FormEvent, useState } from "react";
import { useMutation, useQuery } from "urql";
import type { Role } from "../../../gql/graphql.ts";
import { CopyButton } from "../../components/CopyButton.tsx";
import { DataTable } from "../../components/DataTable.tsx";
import { TextField } from "../../components/Field.tsx";
import { FormStatus, QueryState } from "../../components/status.tsx";
import { fieldErrors, formErrorMessage } from "../../lib/errors.ts";
import { useFormat } from "../../lib/preferences.tsx";
import { CreateInviteMutation, InvitesQuery, inviteLink } from "./queries.ts";
import { RoleSelect } from "./RoleSelect.tsx";

export function Invites() {
  const f = useFormat();
  const [result, refetch] = useQuery({ query: InvitesQuery });
  const [created, create] = useMutation(CreateInviteMutation);
  const [form, setForm] = useState({ email: "", role: "member" as Role, expiresInDays: 7 });
  const [token, setToken] = useState<string | null>(null);
  const errors = fieldErrors(created.error);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await create({ email: form.email.trim() || null, role: form.role, expiresInDays: form.expiresInDays });
    if (r.data) {
      setToken(r.data.createInvite.token);
      setForm((s) => ({ ...s, email: "" }));
    }
  };
  return (
    <div className="card" id="invites">
      <h2>Invites</h2>
      {token && (
        <div className="notice success" role="alert">
          <p>Invite created. Send this link; it is shown only now.</p>
          <code className="secret-value">{inviteLink(token)}</code>{" "}
          <CopyButton text={inviteLink(token)} label="Copy link" />{" "}
          <button type="button" className="link" onClick={() => setToken(null)}>
            Done
          </button>
        </div>
      )}
      <form onSubmit={submit} className="row wrap" aria-label="Create an invite">
        <TextField
          label="Email (optional)"
          maxLength={254}
          type="email"
          value={form.email}
          onChange={(e) => setForm((s) => ({ ...s, email: e.target.value }))}
          error={errors.email}
        />
        <RoleSelect value={form.role} onChange={(role) => setForm((s) => ({ ...s, role }))} />
        <TextField
          label="Valid for (days)"
          type="number"
          min={1}
          max={90}
          value={form.expiresInDays}
          onChange={(e) => setForm((s) => ({ ...s, expiresInDays: Number(e.target.value) }))}
          error={errors.expiresInDays}
        />
        <button type="submit" className="primary" disabled={created.fetching}>
          Create invite
        </button>
      </form>
      <FormStatus error={formErrorMessage(created.error)} />
      <QueryState result={result} retry={refetch}>
        {(data) => (
          <DataTable
            label="Invites"
            columns={["Email", "Role", "Created", "Status"]}
            rows={data.invites.edges}
            empty="No invites yet."
          >
            {({ node: i }) => (
              <tr key={i.id}>
                <td>{i.email ?? "Anyone with the link"}</td>
                <td>{i.role}</td>
                <td>{f.dateTime(i.createdAt)}</td>
                <td>
                  {i.acceptedAt
                    ? `Accepted ${f.dateTime(i.acceptedAt)}`
                    : new Date(i.expiresAt) < new Date()
                      ? "Expired"
                      : `Open until ${f.dateTime(i.expiresAt)}`}
                </td>
              </tr>
            )}
          </DataTable>
        )}
      </QueryState>
    </div>
  );
}
