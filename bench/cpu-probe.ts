// Loaded with --import into each server the compare bench starts: answers the parent's "cpu"
// message with this process's own CPU time, so CPU per request is the server's, not the bench's,
// and the bytes its JavaScript heap has allocated so far. Allocation does not move with the
// machine's load the way CPU time does, and it is what the garbage collector's share follows.
import { heapAllocation } from "./support.ts";

const allocated = heapAllocation();

let onFirstProbe: (() => void) | null = null;
process.on("message", (m) => {
  if (m !== "cpu") return;
  onFirstProbe?.();
  onFirstProbe = null;
  process.send?.({ cpu: process.cpuUsage(), allocated: allocated() });
});

// HEAP_PROF_DIR: where the allocation comes from. Node's --heap-prof keeps only the objects still
// alive at exit; per-request garbage is what matters here, so the sampling includes collected
// objects. It starts with the bench's first measurement, so start-up is not in it.
if (process.env.HEAP_PROF_DIR) {
  const { Session } = await import("node:inspector/promises");
  const { writeFileSync } = await import("node:fs");
  const path = await import("node:path");
  const session = new Session();
  session.connect();
  onFirstProbe = () =>
    void session.post("HeapProfiler.startSampling", {
      samplingInterval: 16384,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  process.once("SIGTERM", () => {
    void session.post("HeapProfiler.stopSampling").then(({ profile }) => {
      writeFileSync(path.join(process.env.HEAP_PROF_DIR!, `${process.pid}.heapprofile`), JSON.stringify(profile));
      process.exit(0);
    });
  });
}
// The IPC channel must not keep a server alive that would otherwise exit.
process.channel?.unref();

// COUNT_PLANS=1: how often Prisma compiles a query plan (its plan cache misses), by query, printed at exit.
if (process.env.COUNT_PLANS) {
  const { QueryCompiler } = await import("@prisma/client/runtime/query_compiler_fast_bg.postgresql.mjs" as string);
  const counts = new Map<string, number>();
  for (const method of ["compile", "compileBatch"]) {
    const original = QueryCompiler.prototype[method];
    QueryCompiler.prototype[method] = function (this: unknown, request: string) {
      const key = `${method} ${request.slice(0, 160)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return original.call(this, request);
    };
  }
  process.on("exit", () => {
    for (const [k, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 15))
      console.error(`plans compiled: ${n} × ${k}`);
  });
}
