// STARTUP_TRACE=1 prints how long each start-up phase took, as one JSON line on stderr once the
// server listens and its workers run (bench:startup reads it). Read from the environment, not
// config.ts: the first mark is taken before the config is loaded.
const on = process.env.STARTUP_TRACE === "1";
const marks: { phase: string; at: number; rss: number; cpu: number }[] = [];
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Records that `phase` ended now (ms since the process started). */
export function startupMark(phase: string): void {
  if (on) marks.push({ phase, at: performance.now(), rss: process.memoryUsage.rss(), cpu: cpuMs() });
}

/** Prints each phase's duration, in the order they ended, then forgets them. */
export function startupReport(): void {
  if (!on) return;
  let last = 0;
  const phases: Record<string, number> = {};
  const rssByPhase: Record<string, number> = {};
  // CPU per phase varies less with the machine's load than the wall time does.
  const cpuByPhase: Record<string, number> = {};
  let lastCpu = 0;
  for (const { phase, at, rss, cpu } of marks) {
    phases[phase] = Math.round(at - last);
    rssByPhase[phase] = Math.round(rss / 2 ** 20);
    cpuByPhase[phase] = Math.round(cpu - lastCpu);
    last = at;
    lastCpu = cpu;
  }
  marks.length = 0;
  const mem = process.memoryUsage();
  process.stderr.write(
    `${JSON.stringify({
      startupTrace: phases,
      rssByPhase,
      cpuByPhase,
      totalMs: Math.round(last),
      rssMb: Math.round(mem.rss / 2 ** 20),
      heapMb: Math.round(mem.heapUsed / 2 ** 20),
      externalMb: Math.round(mem.external / 2 ** 20),
    })}\n`,
  );
}
