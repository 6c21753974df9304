import { type FormEvent, useState } from "react";
import { useMutation, useQuery } from "urql";
import type { QuotaPeriod, QuotaType } from "../../../gql/graphql.ts";
import { DataTable } from "../../components/DataTable.tsx";
import { SelectField, TextField } from "../../components/Field.tsx";
import { FormStatus, QueryState } from "../../components/status.tsx";
import { fieldErrors, formErrorMessage } from "../../lib/errors.ts";
import { useFormat } from "../../lib/preferences.tsx";
import { PERIOD_LABELS, QUOTA_LABELS, QuotasQuery } from "../Usage.tsx";
import { SetQuotaMutation } from "./queries.ts";

export function Quotas() {
  const f = useFormat();
  const [result, refetch] = useQuery({ query: QuotasQuery });
  const [setting, setQuota] = useMutation(SetQuotaMutation);
  const [form, setForm] = useState({
    quotaType: "tokens" as QuotaType,
    period: "month" as QuotaPeriod,
    quotaLimit: "100000",
    alert: "80",
  });
  const [done, setDone] = useState<string | null>(null);
  const errors = fieldErrors(setting.error);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const r = await setQuota({
      quotaType: form.quotaType,
      quotaLimit: Number(form.quotaLimit),
      alertThresholdPercentage: Number(form.alert),
      period: form.period,
    });
    if (r.data) setDone(`${QUOTA_LABELS[form.quotaType]} quota saved.`);
  };
  return (
    <div className="card" id="quotas">
      <h2>Quotas</h2>
      <QueryState result={result} retry={refetch}>
        {(data) => (
          <DataTable
            label="Quotas"
            columns={["Quota", "Used", "Limit", "Alert at", "Current period"]}
            rows={data.quotas.edges}
            empty="No quotas set: usage is unlimited."
          >
            {({ node: q }) => (
              <tr key={q.id} className={q.isExceeded ? "exceeded" : q.alert ? "alert" : ""}>
                <th scope="row">{QUOTA_LABELS[q.quotaType]}</th>
                <td>
                  {f.number(q.currentUsage, 2)} ({f.percent(q.usagePercentage)})
                </td>
                <td>
                  {f.number(q.quotaLimit, 2)} {PERIOD_LABELS[q.period]}
                </td>
                <td>{f.percent(q.alertThresholdPercentage)}</td>
                <td>
                  {f.date(q.periodStart)} – {f.date(q.periodEnd)}
                </td>
              </tr>
            )}
          </DataTable>
        )}
      </QueryState>
      <form onSubmit={submit} className="row wrap" aria-label="Set a quota">
        <SelectField
          label="Quota"
          value={form.quotaType}
          onChange={(e) => setForm((s) => ({ ...s, quotaType: e.target.value as QuotaType }))}
          options={QUOTA_LABELS}
        />
        <SelectField
          label="Period"
          value={form.period}
          onChange={(e) => setForm((s) => ({ ...s, period: e.target.value as QuotaPeriod }))}
          options={PERIOD_LABELS}
        />
        <TextField
          label="Limit per period"
          type="number"
          min={0}
          step="any"
          required
          value={form.quotaLimit}
          onChange={(e) => setForm((s) => ({ ...s, quotaLimit: e.target.value }))}
          error={errors.quotaLimit}
        />
        <TextField
          label="Alert at (%)"
          type="number"
          min={1}
          max={100}
          value={form.alert}
          onChange={(e) => setForm((s) => ({ ...s, alert: e.target.value }))}
          error={errors.alertThresholdPercentage}
        />
        <button type="submit" className="primary" disabled={setting.fetching}>
          Save quota
        </button>
      </form>
      <FormStatus error={formErrorMessage(setting.error)} success={done} />
    </div>
  );
}
