// The recharts half of DailyChart, in a module of its own so that recharts (and what it brings:
// d3, redux, immer, decimal.js) loads only when a daily chart is shown (DailyChart lazy-loads it).
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useMotion } from "../lib/preferences.tsx";

/** One day of the chart (DailyChart's fillDays makes them). */
export interface DayPoint {
  day: string;
  tokens: number;
  calls: number;
}

export default function DailyBars({ points, format }: { points: DayPoint[]; format: (v: number) => string }) {
  const motion = useMotion();
  return (
    <ResponsiveContainer width="100%" height={240} initialDimension={{ width: 600, height: 240 }}>
      {/* Hidden from assistive technology (the table beside it has the numbers): nothing in it may take focus. */}
      <BarChart data={points} margin={{ top: 8, right: 8, bottom: 8, left: 8 }} accessibilityLayer={false}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="day" tickFormatter={(d: string) => d.slice(5)} minTickGap={16} />
        <YAxis yAxisId="tokens" tickFormatter={(v: number) => format(v)} width={64} />
        <YAxis yAxisId="calls" orientation="right" allowDecimals={false} width={48} />
        <Tooltip formatter={(v) => format(Number(v))} />
        <Legend />
        <Bar yAxisId="tokens" dataKey="tokens" name="Tokens" fill="var(--accent, #3867d6)" isAnimationActive={motion} />
        <Bar
          yAxisId="calls"
          dataKey="calls"
          name="API calls"
          fill="var(--muted-accent, #20bf6b)"
          isAnimationActive={motion}
        />
      </BarChart>
    </ResponsiveContainer>
  );
}
