// Usage over the last days as a recharts bar chart (tokens and API calls on their own axes), with
// the same numbers as a table for screen readers and for copying.
import { useId } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export interface DayPoint {
  day: string;
  tokens: number;
  calls: number;
}

const DAY_MS = 86_400_000;

/** The last `days` UTC days (oldest first), days without usage as zero, so gaps show as gaps. */
export function fillDays(
  tokens: { key: string; tokens: number }[],
  calls: { day: string; calls: number }[],
  days: number,
  now = new Date(),
): DayPoint[] {
  const t = new Map(tokens.map((b) => [b.key, b.tokens]));
  const c = new Map(calls.map((b) => [b.day, b.calls]));
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: days }, (_, i) => {
    const day = new Date(today - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10);
    return { day, tokens: t.get(day) ?? 0, calls: c.get(day) ?? 0 };
  });
}

export function DailyChart({
  title,
  points,
  format = String,
}: {
  title: string;
  points: DayPoint[];
  format?: (v: number) => string;
}) {
  const id = useId();
  return (
    <figure className="chart" aria-labelledby={`${id}-t`}>
      <figcaption id={`${id}-t`}>{title}</figcaption>
      <div aria-hidden="true" style={{ width: "100%", height: 240 }}>
        <ResponsiveContainer width="100%" height={240} initialDimension={{ width: 600, height: 240 }}>
          {/* Hidden from assistive technology (the table below has the numbers): nothing in it may take focus. */}
          <BarChart data={points} margin={{ top: 8, right: 8, bottom: 8, left: 8 }} accessibilityLayer={false}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="day" tickFormatter={(d: string) => d.slice(5)} minTickGap={16} />
            <YAxis yAxisId="tokens" tickFormatter={(v: number) => format(v)} width={64} />
            <YAxis yAxisId="calls" orientation="right" allowDecimals={false} width={48} />
            <Tooltip formatter={(v) => format(Number(v))} />
            <Legend />
            <Bar yAxisId="tokens" dataKey="tokens" name="Tokens" fill="var(--accent, #3867d6)" />
            <Bar yAxisId="calls" dataKey="calls" name="API calls" fill="var(--muted-accent, #20bf6b)" />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <details className="chart-table">
        <summary>Show as a table</summary>
        <table>
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Tokens</th>
              <th scope="col">API calls</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr key={p.day}>
                <th scope="row">{p.day}</th>
                <td>{format(p.tokens)}</td>
                <td>{format(p.calls)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
