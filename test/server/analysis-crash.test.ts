import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, expect, it } from "vitest";
import { buildApp } from "../../server/app.ts";
import { createOwner, dbId, dbKind, executor, seedPgliteDataDir, testConfig, testDatabaseUrl } from "../kit.ts";
import { analysisConfig, seedContent, startRun, waitFinished } from "../support/analysis.ts";

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
});

/** Runs the worker script in a process of its own and resolves with the first JSON line it prints. */
function worker(mode: "start" | "resume", env: Record<string, string>) {
  const child = spawn("node_modules/.bin/node", ["--import", "tsx", "test/support/analysis-crash-worker.ts", mode], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const line = new Promise<any>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", (l) => resolve(JSON.parse(l)));
    child.once("exit", (code) => reject(new Error(`${mode} worker exited with ${code}:\n${stderr}`)));
  });
  return { child, line };
}

// Two processes start one after another here (tsx compiles the server each time): on a loaded
// machine that alone can pass the default minute, so this test has three.
it("resumes a run whose worker was SIGKILLed mid-run: completed once, usage counted once", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "userplane-crash-"));
  await seedPgliteDataDir(dir);
  const databaseUrl = testDatabaseUrl();
  const env = {
    ...analysisConfig(),
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    PORT: "0",
    HOST: "127.0.0.1",
    SERVE_CLIENT: "false",
    // PGlite: the second process reopens the directory the first was killed in.
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATA_DIR: dir }),
  };
  try {
    const first = worker("start", { ...env, ANALYSIS_STEP_DELAY_MS: "600000" });
    const { ready } = await first.line;
    first.child.kill("SIGKILL");
    const killedAt = Date.now();
    await new Promise((r) => first.child.once("exit", r));

    const second = worker("resume", { ...env, CRASH_RUN: JSON.stringify(ready) });
    const { finished } = await second.line;
    console.log(
      `crash recovery (${dbKind}): run complete ${Date.now() - killedAt} ms after SIGKILL, ${finished.resumedAfterMs} ms after the second process was up`,
    );
    await new Promise((r) => second.child.once("exit", r));

    expect(finished.run).toMatchObject({ status: "complete", attempts: 2 });
    expect(finished.results.map((r: { source: string }) => r.source).sort()).toEqual(["linkedin", "twitter"]);
    // Twitter was stored by the killed process and not scored again.
    const twitter = finished.results.find((r: { source: string }) => r.source === "twitter");
    expect(Date.parse(twitter.createdAt)).toBeLessThan(killedAt);
    expect(finished.usageLogs).toBe(1);
    expect(finished.quotaUsage).toBe(finished.run.tokensUsed);
    expect(finished.userAgent).toEqual({ usageCount: 1, successCount: 1, errorCount: 0 });

    // What the second process streamed: from where the first left off, in order, up to 100.
    const events = finished.events as { seq: number; status: string; percent: number }[];
    expect(events[0]?.seq).toBeGreaterThanOrEqual(ready.seq);
    expect(events[0]?.percent).toBeGreaterThanOrEqual(ready.percent);
    for (let i = 1; i < events.length; i++) {
      expect(events[i]?.seq).toBe((events[i - 1]?.seq ?? 0) + 1);
      expect(events[i]?.percent).toBeGreaterThanOrEqual(events[i - 1]?.percent ?? 0);
    }
    expect(events.at(-1)).toMatchObject({ status: "complete", percent: 100, seq: finished.run.seq });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);

it("hands a run in flight back to the queue when the app stops, and another app finishes it", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "userplane-handover-"));
  await seedPgliteDataDir(dir);
  const config = analysisConfig({ DATA_DIR: dir });
  try {
    const first = await buildApp(testConfig({ ...config, ANALYSIS_STEP_DELAY_MS: "600000" }));
    const exec1 = executor(first);
    await first.start();
    const me = await createOwner(exec1);
    await seedContent(exec1, me, ["linkedin"]);
    const run = await startRun(exec1, me);
    const viewer = await first.services.sessions.resolveViewer(me.token);
    for await (const e of await first.services.analysis.progress(viewer, dbId(run.id))) {
      if (e.stage === "analyzing:linkedin") break;
    }
    await first.stop(); // returns without waiting for the run: it is interrupted, not awaited

    const second = await buildApp(testConfig(config));
    try {
      await second.start();
      const finished = await waitFinished(second, run.id);
      expect(finished).toMatchObject({ status: "complete", attempts: 2, percent: 100 });
      expect(await second.db.prisma.usageLog.count({ where: { analysisRunId: finished.id } })).toBe(1);
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
