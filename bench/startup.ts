// Cold start (empty DATA_DIR: PGlite created and migrated), warm start (same DATA_DIR again) and
// resident memory once ready, for the embedded default `npm start` path. Prints its figures.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../test/support/services.ts";
import { productionEnv } from "./support.ts";

const root = path.resolve(import.meta.dirname, "..");
const runs = Number(process.env.RUNS ?? 3);

async function startOnce(dataDir: string) {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      ...(await productionEnv()),
    },
    stdio: "ignore",
  });
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const readyMs = performance.now() - t0;
  // One real request so the schema and database paths are warm, as after any first visit.
  await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ me { id } }" }),
  });
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  const rssMb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  return { readyMs, rssMb };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cold: number[] = [];
const warm: number[] = [];
const rss: number[] = [];
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(path.join(tmpdir(), "userplane-bench-"));
  const c = await startOnce(dir);
  const w = await startOnce(dir);
  cold.push(c.readyMs);
  warm.push(w.readyMs);
  rss.push(w.rssMb);
  rmSync(dir, { recursive: true, force: true });
}
console.log(`startup over ${runs} runs (median; process start to /readyz 200, embedded PGlite)`);
console.log(
  `  cold start, empty DATA_DIR: ${median(cold).toFixed(0)} ms  (all: ${cold.map((x) => x.toFixed(0)).join(", ")})`,
);
console.log(
  `  warm start, same DATA_DIR:  ${median(warm).toFixed(0)} ms  (all: ${warm.map((x) => x.toFixed(0)).join(", ")})`,
);
console.log(`  resident memory when ready: ${median(rss).toFixed(0)} MB`);
