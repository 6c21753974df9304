// What one PGlite test app costs to start: created and migrated through the schema engine (as
// before test/support/pglite-template.ts) against loaded from a dumped migrated data directory
// (as createTestApp now does), in wall and CPU time with the machine load beside.
import os from "node:os";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { migrationsDir } from "../server/db/client.ts";
import { applyMigrations, loadEngine } from "../server/db/engine.ts";

const runs = Number(process.env.RUNS ?? 3);
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
async function time(label: string, fn: () => Promise<void>) {
  const t = performance.now();
  const c = cpuMs();
  await fn();
  const load = os.loadavg().map((l) => l.toFixed(1));
  console.log(
    `${label}: ${Math.round(performance.now() - t)} ms wall, ${Math.round(cpuMs() - c)} ms CPU (load ${load.join(" ")}, ${os.cpus().length} cores)`,
  );
}

await loadEngine();
let dump: Blob | undefined;
for (let i = 0; i < runs; i++) {
  await time("create + migrate", async () => {
    const pglite = await PGlite.create("memory://");
    await applyMigrations(new PrismaPGlite(pglite), migrationsDir);
    dump ??= await pglite.dumpDataDir("none");
    await pglite.close();
  });
}
console.log(`template: ${((dump?.size ?? 0) / 1e6).toFixed(1)} MB`);
for (let i = 0; i < runs; i++) {
  await time("load template + migrations (none to apply)", async () => {
    const pglite = await PGlite.create("memory://", { loadDataDir: dump });
    const applied = await applyMigrations(new PrismaPGlite(pglite), migrationsDir);
    if (applied.length) throw new Error(`the template lacked ${applied.join(", ")}`);
    await pglite.close();
  });
}
