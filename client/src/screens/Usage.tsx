import { useQuery } from "urql";
import { graphql } from "../../gql/index.ts";
import { BarChart, Gauge } from "../components/charts.tsx";
import { DailyChart, fillDays } from "../components/DailyChart.tsx";
import { SelectField } from "../components/Field.tsx";
import { Empty, QueryState } from "../components/status.tsx";
import { TableScroll } from "../components/TableScroll.tsx";
import { useFormat } from "../lib/preferences.tsx";
import { setSearchParams, useSearchParam } from "../lib/router.tsx";

const UsageQuery = graphql(`
  query Usage($months: Int, $days: Int, $wholeTenant: Boolean) @live {
    usage(months: $months, days: $days, wholeTenant: $wholeTenant) {
      totalTokens
      totalCost
      byMonth {
        key
        tokens
        cost
        requests
      }
      byDay {
        key
        tokens
      }
      byModel {
        key
        tokens
        cost
        requests
      }
      byAgent {
        key
        label
        tokens
      }
      byUser {
        key
        label
        tokens
      }
      apiCallsByDay {
        day
        calls
      }
    }
  }
`);

const DAYS = 30;

export const QuotasQuery = graphql(`
  query Quotas @live {
    quotas(first: 20) {
      edges {
        node {
          id
          quotaType
          period
          quotaLimit
          currentUsage
          usagePercentage
          alertThresholdPercentage
          alert
          isExceeded
          periodStart
          periodEnd
          resetsOn
        }
      }
    }
  }
`);

export const QUOTA_LABELS: Record<string, string> = {
  tokens: "Tokens",
  api_calls: "API calls",
  storage_gb: "Storage (GB)",
  users: "Users",
};

/** The limit's period kind, as the admin form offers it and the table names it. */
export const PERIOD_LABELS: Record<string, string> = {
  day: "per day",
  week: "per week",
  month: "per month",
  year: "per year",
};

/** The last `months` calendar months as YYYY-MM (oldest first), so months without usage show as zero. */
export function lastMonths(months: number, now = new Date()): string[] {
  const out: string[] = [];
  for (let i = months - 1; i >= 0; i--) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    out.push(`${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`);
  }
  return out;
}

export function fillMonths(buckets: { key: string; tokens: number }[], months: number, now = new Date()) {
  const byKey = new Map(buckets.map((b) => [b.key, b.tokens]));
  return lastMonths(months, now).map((key) => ({ label: key, value: byKey.get(key) ?? 0 }));
}

export function UsageScreen({ admin = false }: { admin?: boolean }) {
  const f = useFormat();
  // The period is in the URL (?months=12) like every filter.
  const requested = Number(useSearchParam("months"));
  const months = [3, 6, 12].includes(requested) ? requested : 6;
  const setMonths = (m: number) => setSearchParams({ months: m === 6 ? null : String(m) });
  const scope = useSearchParam("scope");
  const wholeTenant = admin && scope === "workspace";
  const setWholeTenant = (w: boolean) => setSearchParams({ scope: w ? "workspace" : null });
  const [usage, refetchUsage] = useQuery({ query: UsageQuery, variables: { months, days: DAYS, wholeTenant } });
  const [quotas, refetchQuotas] = useQuery({ query: QuotasQuery });
  return (
    <section>
      <h1>Usage & quotas</h1>
      <div className="card">
        <h2>Quotas this period</h2>
        <QueryState result={quotas} retry={refetchQuotas}>
          {(data) =>
            data.quotas.edges.length === 0 ? (
              <Empty>No quotas are set for your tenant: usage is unlimited.</Empty>
            ) : (
              <div className="gauges">
                {data.quotas.edges.map(({ node: q }) => (
                  <Gauge
                    key={q.id}
                    label={QUOTA_LABELS[q.quotaType] ?? q.quotaType}
                    percent={q.usagePercentage}
                    threshold={q.alertThresholdPercentage}
                    detail={`${f.number(q.currentUsage, 2)} of ${f.number(q.quotaLimit, 2)} ${PERIOD_LABELS[q.period] ?? ""}, ${f.date(q.periodStart)} – ${f.date(q.periodEnd)}${q.resetsOn ? ` · resets ${f.date(q.resetsOn)}` : ""}${q.isExceeded ? " · exceeded" : q.alert ? " · over alert threshold" : ""}`}
                  />
                ))}
              </div>
            )
          }
        </QueryState>
      </div>
      <div className="card">
        <div className="row">
          <h2>{wholeTenant ? "Workspace usage" : "My usage"}</h2>
          <span className="spacer" />
          {admin && (
            <label className="row">
              <input type="checkbox" checked={wholeTenant} onChange={(e) => setWholeTenant(e.target.checked)} />
              Whole workspace
            </label>
          )}
          <SelectField label="Period" value={months} onChange={(e) => setMonths(Number(e.target.value))}>
            <option value={3}>Last 3 months</option>
            <option value={6}>Last 6 months</option>
            <option value={12}>Last 12 months</option>
          </SelectField>
        </div>
        <QueryState result={usage} retry={refetchUsage}>
          {(data) => (
            <>
              <p>
                <strong>{f.number(data.usage.totalTokens)}</strong> tokens ·{" "}
                <strong>{f.money(data.usage.totalCost)}</strong>
              </p>
              <DailyChart
                title={`Tokens and API calls, last ${DAYS} days`}
                points={fillDays(data.usage.byDay, data.usage.apiCallsByDay, DAYS)}
                format={(v) => f.number(v)}
              />
              <BarChart
                title="Tokens by month"
                bars={fillMonths(data.usage.byMonth, months)}
                format={(v) => f.number(v)}
              />
              {data.usage.byModel.length === 0 ? (
                <Empty>No usage by model yet: run an analysis or use an agent.</Empty>
              ) : (
                <>
                  <BarChart
                    title="Tokens by agent"
                    bars={data.usage.byAgent.map((b) => ({ label: b.label, value: b.tokens }))}
                    format={(v) => f.number(v)}
                  />
                  {wholeTenant && (
                    <BarChart
                      title="Tokens by user"
                      bars={data.usage.byUser.map((b) => ({ label: b.label, value: b.tokens }))}
                      format={(v) => f.number(v)}
                    />
                  )}
                  <BarChart
                    title="Cost by model (USD)"
                    bars={data.usage.byModel.map((b) => ({ label: b.key, value: b.cost }))}
                    format={(v) => f.money(v)}
                  />
                  <TableScroll label="Usage by model">
                    <table>
                      <caption className="visually-hidden">Usage by model</caption>
                      <thead>
                        <tr>
                          <th scope="col">Model</th>
                          <th scope="col">Requests</th>
                          <th scope="col">Tokens</th>
                          <th scope="col">Cost</th>
                        </tr>
                      </thead>
                      <tbody>
                        {data.usage.byModel.map((b) => (
                          <tr key={b.key}>
                            <th scope="row">{b.key}</th>
                            <td>{f.number(b.requests)}</td>
                            <td>{f.number(b.tokens)}</td>
                            <td>{f.money(b.cost)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </TableScroll>
                </>
              )}
            </>
          )}
        </QueryState>
      </div>
    </section>
  );
}
