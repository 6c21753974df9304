// Usage over the last days as a recharts bar chart (tokens and API calls on their own axes), with
// the same numbers as a table for screen readers and for copying.
import { lazy, Suspense, useId } from "react";

// A type only: erased from the build, so it does not bring recharts in with this module.
import type { DayPoint } from "./DailyBars.tsx";

const DAY_MS = 86_400_000;

const DailyBars = lazy(() => import("./DailyBars.tsx"));

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
        {/* recharts is most of the client's code and only this chart draws with it, so it loads when
            the chart is first shown, not with the app; its space is kept and the table has the numbers. */}
        <Suspense fallback={null}>
          <DailyBars points={points} format={format} />
        </Suspense>
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
