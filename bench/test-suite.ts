// Wall and CPU time (user+sys of vitest and every process it starts) of test projects, with the
// machine load beside them: on a shared machine the wall time says little alone.
//   npm run bench:test-suite -- [--root DIR] [--config FILE] [--skip-postgres] [project ...] [-- vitest args]
// --root runs another checkout's suite (e.g. main, extracted with `git archive`) for A/B figures.
// Projects name parts of the suite (pglite, postgres, unit, ops, client, e2e); none: all of it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { stripVTControlCharacters } from "node:util";

const args = process.argv.slice(2);
const sep = args.indexOf("--");
const own = sep === -1 ? args : args.slice(0, sep);
const extra = sep === -1 ? [] : args.slice(sep + 1);
let root = path.resolve(import.meta.dirname, "..");
let config = "test/vitest.config.ts";
let skipPostgres = false;
const projects: string[] = [];
for (let i = 0; i < own.length; i++) {
  const a = own[i] as string;
  if (a === "--root") root = path.resolve(own[++i] as string);
  else if (a === "--config") config = own[++i] as string;
  else if (a === "--skip-postgres") skipPostgres = true;
  else projects.push(a);
}

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
const dir = mkdtempSync(path.join(os.tmpdir(), "bench-test-suite-"));
const timeFile = path.join(dir, "time");
const loadBefore = load();
const vitestArgs = [
  "run",
  "--config",
  config,
  ...projects.flatMap((p) => ["--project", p]),
  "--reporter",
  "dot",
  ...extra,
];
// GNU time reports the CPU of the whole process tree it waited for: vitest, its workers, and the
// servers and scripts tests spawn.
const r = spawnSync(
  "/usr/bin/time",
  ["-f", "%e %U %S %M", "-o", timeFile, path.join(root, "node_modules/.bin/vitest"), ...vitestArgs],
  {
    cwd: root,
    env: { ...process.env, ...(skipPostgres ? { TEST_SKIP_POSTGRES: "1" } : {}) },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  },
);
const [wall, user, sys, maxRss] = readFileSync(timeFile, "utf8").trim().split("\n").at(-1)!.split(" ").map(Number);
rmSync(dir, { recursive: true, force: true });
const summary = `${r.stdout}\n${r.stderr}`
  .split("\n")
  .filter((l) => /^\s*(Test Files|Tests|Duration)\s/.test(l))
  .map((l) => stripVTControlCharacters(l).trim());
if (r.status !== 0) process.stderr.write(`${r.stdout}\n${r.stderr}\n`);
console.log(
  JSON.stringify({
    root,
    config,
    projects: projects.length ? projects : "all",
    exit: r.status,
    wallS: wall,
    cpuS: Math.round(((user ?? 0) + (sys ?? 0)) * 10) / 10,
    userS: user,
    sysS: sys,
    maxRssMB: Math.round((maxRss ?? 0) / 1024),
    load1_5_15Before: loadBefore,
    load1_5_15After: load(),
    cores: os.cpus().length,
    summary,
  }),
);
