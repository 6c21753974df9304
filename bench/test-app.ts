// CPU a test file spends on its app before its first assertion: loading the server's modules,
// building an app as createTestApp does (in-memory PGlite from the migrated template), the first
// request that reaches the database (a sign-up, as createOwner sends), and stopping it. Every
// server test file pays this once (vitest runs each in a fresh module graph), so a second cut
// here is paid back once per file per suite run.
// Each round is a fresh process (tsx), as a test file's worker is. BASELINE_ROOT=DIR (another
// checkout, installed) runs that tree's server too, interleaved round by round with this one's.
// NODE_FLAGS="--flag ..." adds node flags to this tree's rounds (a baseline round runs without).
//   npm run bench:test-app        RUNS (5)
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import path from "node:path";

const here = path.resolve(import.meta.dirname, "..");
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");
type Step = { step: string; cpuMs: number; rssMb: number };

if (process.argv[2] === "--child") {
  const root = process.argv[3]!;
  const cpu = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  // The run's template exists before the first test file starts (the global setup makes it).
  const { makePgliteTemplate } = await import(path.join(root, "server/db/template.ts"));
  const file: string = await makePgliteTemplate();
  // Opened and configured as this tree's kit opens a test app's (a baseline's server included).
  const { TEST_APP_ENV, templateBlob } = await import("../test/support/pglite-template.ts");
  const blob = await templateBlob(file);
  const steps: Step[] = [];
  let last = cpu();
  const mark = (step: string) => {
    const now = cpu();
    steps.push({ step, cpuMs: Math.round(now - last), rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20) });
    last = now;
  };
  const { buildApp } = await import(path.join(root, "server/app.ts"));
  const { loadConfig } = await import(path.join(root, "server/config.ts"));
  mark("modules");
  const app = await buildApp(loadConfig({ ...TEST_APP_ENV }), { memoryDatabase: true, pgliteTemplate: blob });
  mark("build app");
  const res = await app.fetch("http://test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query: 'mutation($e: String!, $p: String!) { signUp(email: $e, password: $p, displayName: "B") { token } }',
      variables: { e: `bench-${process.pid}@example.com`, p: "correct horse battery staple" },
    }),
  });
  const body = (await res.json()) as { data?: { signUp?: { token?: string } }; errors?: unknown };
  if (!body.data?.signUp?.token) throw new Error(`sign-up failed: ${JSON.stringify(body)}`);
  mark("first sign-up");
  await app.stop();
  mark("stop");
  process.stdout.write(`${JSON.stringify(steps)}\n`);
  process.exit(0);
}

const roots = process.env.BASELINE_ROOT ? [path.resolve(process.env.BASELINE_ROOT), here] : [here];
const runs = Number(process.env.RUNS ?? 5);
const results = new Map(roots.map((r) => [r, [] as Step[][]]));
console.log(`load before: ${load()}`);
for (let i = 0; i < runs; i++) {
  for (const root of roots) {
    const flags = root === here ? (process.env.NODE_FLAGS ?? "").split(/\s+/).filter(Boolean) : [];
    const child = spawnSync(process.execPath, [...flags, "--import", "tsx", import.meta.filename, "--child", root], {
      cwd: root,
      encoding: "utf8",
    });
    if (child.status !== 0) throw new Error(`round failed in ${root}: ${child.stderr}`);
    results.get(root)!.push(JSON.parse(child.stdout.trim().split("\n").at(-1)!) as Step[]);
  }
  console.log(`  run ${i + 1} done, load ${load()}`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [root, rounds] of results) {
  const names = rounds[0]!.map((s) => s.step);
  const total = median(rounds.map((r) => r.reduce((sum, s) => sum + s.cpuMs, 0)));
  console.log(`${root}: createTestApp's CPU over ${runs} fresh processes (median ms; RSS at the end of each step, MB)`);
  console.log(
    `  ${names
      .map(
        (n) =>
          `${n} ${median(rounds.map((r) => r.find((s) => s.step === n)!.cpuMs))} ms / ${median(rounds.map((r) => r.find((s) => s.step === n)!.rssMb))} MB`,
      )
      .join(
        " | ",
      )} | total ${total} ms CPU (all: ${rounds.map((r) => r.reduce((sum, s) => sum + s.cpuMs, 0)).join(", ")})`,
  );
}
console.log(`load after: ${load()}`);
