import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { App } from "../../server/app.ts";
import { createOwner, createTestApp, dbId, executor, instancesSkipReason } from "../kit.ts";
import {
  analysisConfig,
  connect,
  PROGRESS,
  type ProgressEvent,
  seedContent,
  startRun,
  watch,
} from "../support/analysis.ts";

const redisUrl = inject("redisUrl");
const why = instancesSkipReason("analysis-instances");

describe.skipIf(why !== "")(`two instances over Redis pub/sub ${why}`, () => {
  let a: App;
  let b: App;
  let urlA: string;

  beforeAll(async () => {
    const shared = analysisConfig({ REDIS_URL: redisUrl as string, RUN_WORKER: "false" });
    [a, b] = await Promise.all([createTestApp({ config: shared }), createTestApp({ config: shared })]);
    ({ url: urlA } = await a.start());
    await b.start();
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("a client on instance A sees every event of runs executed by instance B, in order, none lost", async () => {
    const exec = executor(a);
    const users = await Promise.all([createOwner(exec, "One"), createOwner(exec, "Two"), createOwner(exec, "Three")]);
    const watches = await Promise.all(
      users.map(async (user) => {
        await seedContent(exec, user);
        const run = await startRun(exec, user);
        const ws = connect(urlA, user.token);
        const w = watch(ws, PROGRESS, { runId: run.id });
        await w.until((e) => e.seq === 0);
        return { run, ws, w };
      }),
    );
    // Only B works, and only from now on: every change after seq 0 crosses Redis from B to A.
    await b.services.analysis.startWorker();
    for (const { run, ws, w } of watches) {
      const events: ProgressEvent[] = await w.done;
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
      for (let i = 1; i < events.length; i++)
        expect(events[i]?.percent).toBeGreaterThanOrEqual(events[i - 1]?.percent ?? 0);
      expect(events.at(-1)).toMatchObject({ status: "complete", percent: 100 });
      const stored = await a.db.prisma.analysisRun.findUniqueOrThrow({
        where: { id: dbId(run.id) },
      });
      expect(stored.seq).toBe(events.at(-1)?.seq);
      expect(stored.attempts).toBe(1);
      await ws.dispose();
    }
  });

  it("a cancel asked on instance A stops the run on instance B through the pub/sub", async () => {
    // The database poll is pushed out of reach, so only the Redis message can stop the run.
    const slow = analysisConfig({
      REDIS_URL: redisUrl as string,
      RUN_WORKER: "false",
      ANALYSIS_CANCEL_POLL_MS: "60000",
      ANALYSIS_STEP_DELAY_MS: "200",
    });
    const [c, d] = await Promise.all([createTestApp({ config: slow }), createTestApp({ config: slow })]);
    try {
      const { url } = await c.start();
      await d.start();
      const exec = executor(c);
      const user = await createOwner(exec, "Canceller");
      await seedContent(exec, user);
      const run = await startRun(exec, user);
      const ws = connect(url, user.token);
      const w = watch(ws, PROGRESS, { runId: run.id });
      await d.services.analysis.startWorker();
      await w.until((e) => e.status === "running" && e.percent > 0);
      const r = await exec(`mutation($id: ID!) { cancelAnalysis(id: $id) { id } }`, { id: run.id }, user.token);
      expect(r.errors).toBeUndefined();
      const events: ProgressEvent[] = await w.done;
      expect(events.at(-1)?.status).toBe("cancelled");
      expect(events.at(-1)?.percent).toBeLessThan(100);
      await ws.dispose();
    } finally {
      await Promise.all([c.stop(), d.stop()]);
    }
  });
});
