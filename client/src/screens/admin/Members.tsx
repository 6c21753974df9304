import { type FormEvent, useState } from "react";
import { useMutation, useQuery } from "urql";
import type { Role } from "../../../gql/graphql.ts";
import { CheckboxField, SelectField, TextField } from "../../components/Field.tsx";
import { Empty, FormStatus, QueryState } from "../../components/status.tsx";
import { TableScroll } from "../../components/TableScroll.tsx";
import { fieldErrors, formErrorMessage } from "../../lib/errors.ts";
import { useFormat } from "../../lib/preferences.tsx";
import { MemberMenu } from "./MemberMenu.tsx";
import { AssignRoleMutation, MembersQuery } from "./queries.ts";
import { RoleSelect } from "./RoleSelect.tsx";

export function Members() {
  const f = useFormat();
  const [result, refetch] = useQuery({ query: MembersQuery });
  const [assigning, assign] = useMutation(AssignRoleMutation);
  const [form, setForm] = useState({
    userId: "",
    role: "member" as Role,
    effectiveFrom: "",
    effectiveTo: "",
    isActing: false,
  });
  const [done, setDone] = useState<string | null>(null);
  const errors = fieldErrors(assigning.error);
  const members = result.data?.me?.tenant?.members.edges.map((e) => e.node) ?? [];
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const r = await assign({
      userId: form.userId,
      role: form.role,
      effectiveFrom: form.effectiveFrom || null,
      effectiveTo: form.effectiveTo || null,
      isActing: form.isActing,
    });
    if (r.data) {
      setDone("Role assigned.");
    }
  };
  return (
    <div className="card" id="members">
      <h2>Members & roles</h2>
      <QueryState result={result} retry={refetch}>
        {() =>
          members.length === 0 ? (
            <Empty>No members.</Empty>
          ) : (
            <TableScroll label="Members">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Member</th>
                    <th scope="col">Roles (effective dates)</th>
                    <th scope="col">Last sign-in</th>
                    <th scope="col">Status</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {members.map((m) => (
                    <tr key={m.id}>
                      <td>
                        {m.displayName}
                        <br />
                        <span className="muted small">{m.email}</span>
                      </td>
                      <td>
                        <ul className="plain">
                          {(m.roles ?? []).map((r) => (
                            <li key={r.id} className={r.inEffect ? "" : "muted"}>
                              <strong>{r.role}</strong> {f.date(r.effectiveFrom)} –{" "}
                              {r.effectiveTo ? f.date(r.effectiveTo) : "open"}
                              {r.isActing && " · acting"}
                              {!r.inEffect && " · not in effect"}
                            </li>
                          ))}
                        </ul>
                      </td>
                      <td>{m.lastSignInAt ? f.dateTime(m.lastSignInAt) : "Never"}</td>
                      <td>{m.profile?.isActive === false ? <span className="badge">Deactivated</span> : "Active"}</td>
                      <td>
                        {m.id !== result.data?.me?.id && (
                          <MemberMenu
                            member={{ id: m.id, displayName: m.displayName, isActive: m.profile?.isActive !== false }}
                          />
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          )
        }
      </QueryState>
      <form onSubmit={submit} className="subform" aria-labelledby="assign-h">
        <h3 id="assign-h">Assign a role</h3>
        <div className="grid2">
          <SelectField
            label="Member"
            required
            value={form.userId}
            onChange={(e) => setForm((s) => ({ ...s, userId: e.target.value }))}
            error={errors.userId}
          >
            <option value="">Choose…</option>
            {members.map((m) => (
              <option key={m.id} value={m.id}>
                {m.displayName} ({m.email})
              </option>
            ))}
          </SelectField>
          <RoleSelect value={form.role} onChange={(role) => setForm((s) => ({ ...s, role }))} />
          <TextField
            label="Effective from"
            type="date"
            value={form.effectiveFrom}
            hint="Empty: today"
            onChange={(e) => setForm((s) => ({ ...s, effectiveFrom: e.target.value }))}
            error={errors.effectiveFrom}
          />
          <TextField
            label="Effective to"
            type="date"
            value={form.effectiveTo}
            hint="Empty: open-ended"
            onChange={(e) => setForm((s) => ({ ...s, effectiveTo: e.target.value }))}
            error={errors.effectiveTo}
          />
        </div>
        <CheckboxField
          label="Acting (temporary) role"
          checked={form.isActing}
          onChange={(e) => setForm((s) => ({ ...s, isActing: e.target.checked }))}
        />
        <FormStatus error={formErrorMessage(assigning.error)} success={done} />
        <button type="submit" className="primary" disabled={assigning.fetching || !form.userId}>
          Assign role
        </button>
      </form>
    </div>
  );
}
