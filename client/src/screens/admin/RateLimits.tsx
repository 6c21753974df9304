// Rate limits as data: the tenant's limits (create, change, switch off, delete) and the requests
// they refused. Limits take effect on other instances within 5 s, so the list is re-read after each
// change rather than watched live.
import { type FormEvent, useState } from "react";
import { toast } from "sonner";
import { useMutation, useQuery } from "urql";
import type { RateLimitScope, RateLimitType } from "../../../gql/graphql.ts";
import { useConfirm } from "../../components/ConfirmDialog.tsx";
import { ACTIONS_COLUMN, DataTable } from "../../components/DataTable.tsx";
import { CheckboxField, SelectField, TextField } from "../../components/Field.tsx";
import { FormStatus, QueryState } from "../../components/status.tsx";
import { fieldErrors, formErrorMessage } from "../../lib/errors.ts";
import { useFormat } from "../../lib/preferences.tsx";
import {
  DeleteRateLimitMutation,
  RateLimitsQuery,
  RateLimitViolationsQuery,
  SetRateLimitMutation,
} from "./limits-queries.ts";

const ACTIONS: Record<string, string> = {
  "api.request": "API-key requests",
  "analysis.start": "Analysis starts",
};
export const LIMIT_TYPES: Record<RateLimitType, string> = {
  requests_per_minute: "per minute",
  requests_per_hour: "per hour",
  requests_per_day: "per day",
  concurrent_requests: "at once",
};
export const SCOPES: Record<RateLimitScope, string> = {
  global: "Everyone",
  tenant: "Whole tenant",
  user: "One member",
  agent: "One agent",
  api_key: "One API key",
};
// A global limit binds every tenant, so only a superadmin may set one (services/rate-limits.ts).
const { global: _global, ...SETTABLE_SCOPES } = SCOPES;
const TARGET: Partial<Record<RateLimitScope, "userId" | "agentId" | "apiKeyId">> = {
  user: "userId",
  agent: "agentId",
  api_key: "apiKeyId",
};

interface Form {
  id: string | null;
  action: string;
  limitType: RateLimitType;
  limitScope: RateLimitScope;
  limitValue: string;
  target: string;
  isActive: boolean;
}
const EMPTY: Form = {
  id: null,
  action: "api.request",
  limitType: "requests_per_minute",
  limitScope: "tenant",
  limitValue: "60",
  target: "",
  isActive: true,
};

export function RateLimits() {
  const f = useFormat();
  const confirm = useConfirm();
  const [result, refetch] = useQuery({ query: RateLimitsQuery, requestPolicy: "cache-and-network" });
  const [saving, save] = useMutation(SetRateLimitMutation);
  const [, remove] = useMutation(DeleteRateLimitMutation);
  const [form, setForm] = useState<Form>(EMPTY);
  const [done, setDone] = useState<string | null>(null);
  const errors = fieldErrors(saving.error);
  const targetField = TARGET[form.limitScope];

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const r = await save({
      id: form.id,
      action: form.action,
      limitType: form.limitType,
      limitScope: form.limitScope,
      limitValue: Number(form.limitValue),
      isActive: form.isActive,
      ...(targetField ? { [targetField]: form.target.trim() } : {}),
    });
    if (r.data) {
      setDone(form.id ? "Rate limit changed." : "Rate limit added.");
      setForm(EMPTY);
    }
  };

  return (
    <div className="card" id="rate-limits">
      <h2>Rate limits</h2>
      <QueryState result={result} retry={refetch}>
        {(data) => (
          <DataTable
            label="Rate limits"
            columns={["Applies to", "Limit", "Whose", "Active", "Changed", ACTIONS_COLUMN]}
            rows={data.rateLimits.edges}
            empty="No rate limits: only the defaults apply."
          >
            {({ node: l }) => {
              const label = `${ACTIONS[l.action] ?? l.action}: ${f.number(l.limitValue)} ${LIMIT_TYPES[l.limitType]}`;
              return (
                <tr key={l.id}>
                  <th scope="row">{ACTIONS[l.action] ?? l.action}</th>
                  <td>
                    {f.number(l.limitValue)} {LIMIT_TYPES[l.limitType]}
                  </td>
                  <td>
                    {SCOPES[l.limitScope]}
                    {(l.userId ?? l.agentId ?? l.apiKeyId) && (
                      <>
                        {" "}
                        <code>{(l.userId ?? l.agentId ?? l.apiKeyId ?? "").slice(0, 12)}…</code>
                      </>
                    )}
                  </td>
                  <td>{l.isActive ? "Yes" : "Off"}</td>
                  <td>{f.dateTime(l.updatedAt)}</td>
                  <td>
                    {l.limitScope !== "global" && (
                      <div className="row">
                        <button
                          type="button"
                          aria-label={`Edit ${label}`}
                          onClick={() =>
                            setForm({
                              id: l.id,
                              action: l.action,
                              limitType: l.limitType,
                              limitScope: l.limitScope,
                              limitValue: String(l.limitValue),
                              target: l.userId ?? l.agentId ?? l.apiKeyId ?? "",
                              isActive: l.isActive,
                            })
                          }
                        >
                          Edit
                        </button>
                        <button
                          type="button"
                          aria-label={`Delete ${label}`}
                          onClick={async () => {
                            const ok = await confirm({
                              title: "Delete this rate limit?",
                              description: `${label} stops applying within 5 seconds.`,
                              confirmLabel: "Delete limit",
                              danger: true,
                            });
                            if (!ok) return;
                            const r = await remove({ id: l.id });
                            if (!r.error) {
                              toast.success("Rate limit deleted.");
                            } else toast.error(formErrorMessage(r.error) ?? "Could not delete the limit.");
                          }}
                        >
                          Delete
                        </button>
                      </div>
                    )}
                  </td>
                </tr>
              );
            }}
          </DataTable>
        )}
      </QueryState>
      <form onSubmit={submit} className="row wrap" aria-label={form.id ? "Change a rate limit" : "Add a rate limit"}>
        <SelectField
          label="Applies to"
          value={form.action}
          onChange={(e) => setForm((s) => ({ ...s, action: e.target.value }))}
          options={ACTIONS}
        />
        <TextField
          label="Limit"
          type="number"
          min={1}
          max={1_000_000}
          required
          value={form.limitValue}
          onChange={(e) => setForm((s) => ({ ...s, limitValue: e.target.value }))}
          error={errors.limitValue}
        />
        <SelectField
          label="Per"
          value={form.limitType}
          onChange={(e) => setForm((s) => ({ ...s, limitType: e.target.value as RateLimitType }))}
          options={LIMIT_TYPES}
        />
        <SelectField
          label="Whose"
          value={form.limitScope}
          onChange={(e) => setForm((s) => ({ ...s, limitScope: e.target.value as RateLimitScope }))}
          options={SETTABLE_SCOPES}
        />
        {targetField && (
          <TextField
            label={`${SCOPES[form.limitScope]} (ID)`}
            required
            maxLength={200}
            value={form.target}
            onChange={(e) => setForm((s) => ({ ...s, target: e.target.value }))}
            error={errors[targetField]}
          />
        )}
        <CheckboxField
          label="Active"
          checked={form.isActive}
          onChange={(e) => setForm((s) => ({ ...s, isActive: e.target.checked }))}
        />
        <button type="submit" className="primary" disabled={saving.fetching}>
          {form.id ? "Save changes" : "Add limit"}
        </button>
        {form.id && (
          <button type="button" onClick={() => setForm(EMPTY)}>
            Cancel
          </button>
        )}
      </form>
      <FormStatus error={formErrorMessage(saving.error)} success={done} />
      <Violations />
    </div>
  );
}

function Violations() {
  const f = useFormat();
  const [result, refetch] = useQuery({ query: RateLimitViolationsQuery, requestPolicy: "cache-and-network" });
  return (
    <>
      <h3>Refused requests</h3>
      <QueryState result={result} retry={refetch}>
        {(data) => (
          <DataTable
            label="Refused requests"
            columns={["When", "What", "Limit", "Told to wait"]}
            rows={data.rateLimitViolations.edges}
            empty="No request has been refused."
          >
            {({ node: v }) => (
              <tr key={v.id}>
                <td>{f.dateTime(v.createdAt)}</td>
                <td>{ACTIONS[v.action] ?? v.action}</td>
                <td>
                  {f.number(v.limitValue)} {LIMIT_TYPES[v.limitType]} ({SCOPES[v.limitScope].toLowerCase()})
                </td>
                <td>{f.number(v.retryAfterSeconds)} s</td>
              </tr>
            )}
          </DataTable>
        )}
      </QueryState>
    </>
  );
}
