// Small SVG charts: a bar chart (with the numbers as a table for screen readers) and a quota gauge.
import { useId } from "react";

export interface Bar {
  label: string;
  value: number;
}

export function BarChart({
  title,
  bars,
  format = String,
  height = 180,
}: {
  title: string;
  bars: Bar[];
  format?: (v: number) => string;
  height?: number;
}) {
  const id = useId();
  const max = Math.max(1, ...bars.map((b) => b.value));
  const slot = 56;
  const width = Math.max(240, bars.length * slot);
  const plot = height - 36;
  return (
    <figure className="chart" aria-labelledby={`${id}-t`}>
      <figcaption id={`${id}-t`}>{title}</figcaption>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        height={height}
        aria-hidden="true"
        preserveAspectRatio="xMinYMid meet"
      >
        <line x1="0" x2={width} y1={plot + 14} y2={plot + 14} className="axis" />
        {bars.map((b, i) => {
          const h = Math.round((b.value / max) * plot);
          const x = i * slot + 10;
          return (
            <g key={b.label}>
              <rect x={x} y={plot + 14 - h} width={slot - 20} height={h} className="bar" rx="3">
                <title>{`${b.label}: ${format(b.value)}`}</title>
              </rect>
              <text x={x + (slot - 20) / 2} y={plot + 14 - h - 4} textAnchor="middle" className="bar-value">
                {format(b.value)}
              </text>
              <text x={x + (slot - 20) / 2} y={height - 6} textAnchor="middle" className="bar-label">
                {b.label.length > 9 ? `${b.label.slice(0, 8)}…` : b.label}
              </text>
            </g>
          );
        })}
      </svg>
      <table className="visually-hidden">
        <caption>{title}</caption>
        <tbody>
          {bars.map((b) => (
            <tr key={b.label}>
              <th scope="row">{b.label}</th>
              <td>{format(b.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
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
