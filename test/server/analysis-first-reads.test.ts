// A run's later subscribers on an instance that already follows it start from the row read for an
// earlier one, while no event of the run has come since (services/analysis/index.ts); after one
// has, the next subscriber reads the run again and starts where it is.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import { createOwner, createTestApp, type Execute, executor } from "../kit.ts";
import { analysisConfig, connect, PROGRESS, seedContent, startRun, watch } from "../support/analysis.ts";

describe("the first state of a run's subscribers", () => {
  let app: App;
  let exec: Execute;
  let url: string;
  const runReads: string[] = [];

  beforeAll(async () => {
    app = await createTestApp({
      // Each step of the run waits a minute: the run stays at its first events while watched.
      config: analysisConfig({ RUN_WORKER: "false", ANALYSIS_STEP_DELAY_MS: "60000" }),
      onQuery: (sql) => {
        // A run read by its id: what a subscription's first state costs.
        if (/FROM "public"\."analysis_runs" AS "t0" WHERE \("t0"\."id" = \$1 AND 1=1\)/.test(sql)) runReads.push(sql);
      },
    });
    exec = executor(app);
    ({ url } = await app.start());
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("is read once while nothing changes, and read again after the run moved", async () => {
    const me = await createOwner(exec);
    await seedContent(exec, me);
    const run = await startRun(exec, me);
    const ws = connect(url, me.token);

    const first = watch(ws, PROGRESS, { runId: run.id });
    await first.until((e) => e.seq === 0);
    const afterFirst = runReads.length;
    expect(afterFirst).toBeGreaterThan(0);
    // One after another, each in a turn of its own: no read is shared by joining.
    for (let i = 0; i < 3; i++) {
      const later = watch(ws, PROGRESS, { runId: run.id });
      expect(await later.until(() => true)).toMatchObject({ seq: 0, status: "queued" });
    }
    expect(runReads.length).toBe(afterFirst);

    // The run moves: its events reach this instance, and the next subscriber starts from there.
    await app.services.analysis.startWorker();
    const moved = await first.until((e) => e.status === "running");
    const next = watch(ws, PROGRESS, { runId: run.id });
    const start = await next.until(() => true);
    expect(start.seq).toBeGreaterThanOrEqual(moved.seq);
    expect(start.status).toBe("running");
    expect(runReads.length).toBeGreaterThan(afterFirst);
    await ws.dispose();
  });
});
