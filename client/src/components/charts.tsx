// Small charts: horizontal bars (with the numbers as a table) and an SVG quota gauge.
import { useId } from "react";

export interface Bar {
  label: string;
  value: number;
}

/**
 * The scale's top: the largest value rounded up to 1, 2, 2.5 or 5 times a power of ten, so a
 * $0.06 bar is not drawn against a $1 axis. All-zero data gets a scale of 1 (empty bars).
 */
export function niceMax(values: readonly number[]): number {
  const max = Math.max(0, ...values.filter(Number.isFinite));
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  const step = [1, 2, 2.5, 5, 10].find((m) => m * power >= max) ?? 10;
  return step * power;
}

/**
 * Horizontal bars in HTML: labels are never cut (they wrap), each bar carries its value, and it
 * reflows on a phone. The same numbers are one click away as a table.
 */
export function BarChart({
  title,
  bars,
  format = String,
}: {
  title: string;
  bars: Bar[];
  format?: (v: number) => string;
}) {
  const id = useId();
  const max = niceMax(bars.map((b) => b.value));
  return (
    <figure className="chart" aria-labelledby={`${id}-t`}>
      <figcaption id={`${id}-t`}>{title}</figcaption>
      <div className="hbars" aria-hidden="true">
        {bars.map((b) => (
          <div className="hbar" key={b.label}>
            <span className="hbar-label">{b.label}</span>
            <span className="hbar-track">
              <span className="hbar-fill" style={{ width: `${Math.max(0, Math.min(100, (b.value / max) * 100))}%` }} />
            </span>
            <span className="hbar-value">{format(b.value)}</span>
          </div>
        ))}
        <div className="hbar hbar-scale">
          <span />
          <span className="hbar-ticks">
            <span>{format(0)}</span>
            <span>{format(max / 2)}</span>
            <span>{format(max)}</span>
          </span>
          <span />
        </div>
      </div>
      <details className="chart-table">
        <summary>Show as a table</summary>
        <table>
          <caption className="visually-hidden">{title}</caption>
          <tbody>
            {bars.map((b) => (
              <tr key={b.label}>
                <th scope="row">{b.label}</th>
                <td>{format(b.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

/** Point on the gauge arc for a fraction 0..1 (left to right over the top). */
function arcPoint(fraction: number, r: number, cx: number, cy: number) {
  const angle = Math.PI * (1 - Math.min(1, Math.max(0, fraction)));
  return { x: cx + r * Math.cos(angle), y: cy - r * Math.sin(angle) };
}

export function Gauge({
  label,
  percent,
  threshold,
  detail,
}: {
  label: string;
  /** Usage as a percentage of the limit (may exceed 100). */
  percent: number;
  /** Alert threshold percentage. */
  threshold: number;
  detail?: string;
}) {
  const r = 60;
  const cx = 70;
  const cy = 70;
  const end = arcPoint(percent / 100, r, cx, cy);
  const start = arcPoint(0, r, cx, cy);
  const full = arcPoint(1, r, cx, cy);
  const t1 = arcPoint(threshold / 100, r - 10, cx, cy);
  const t2 = arcPoint(threshold / 100, r + 10, cx, cy);
  const state = percent >= 100 ? "exceeded" : percent >= threshold ? "alert" : "ok";
  return (
    <div className={`gauge ${state}`}>
      <meter
        className="visually-hidden"
        aria-label={label}
        min={0}
        max={100}
        high={threshold}
        value={Math.min(100, percent)}
        aria-valuetext={`${Math.round(percent)}% used, alert at ${Math.round(threshold)}%`}
      />
      <svg viewBox="0 0 140 80" width="160" aria-hidden="true">
        <path d={`M ${start.x} ${start.y} A ${r} ${r} 0 0 1 ${full.x} ${full.y}`} className="gauge-track" />
        {percent > 0 && (
          <path d={`M ${start.x} ${start.y} A ${r} ${r} 0 0 1 ${end.x} ${end.y}`} className="gauge-fill" />
        )}
        <line x1={t1.x} y1={t1.y} x2={t2.x} y2={t2.y} className="gauge-threshold" />
        <text x={cx} y={cy - 4} textAnchor="middle" className="gauge-value">
          {Math.round(percent)}%
        </text>
      </svg>
      <div className="gauge-label" aria-hidden="true">
        {label}
      </div>
      {detail && <div className="muted small">{detail}</div>}
      <div className="muted small">Alert at {Math.round(threshold)}%</div>
    </div>
  );
}
