// An analysis while its worker is slow (cancel, sign-out) and after its app restarts: each group
// has its own app, apart from analysis.test.ts's.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildApp } from "../../server/app.ts";
import {
  createOwner,
  createTestApp,
  type Execute,
  executor,
  ok,
  seedPgliteDataDir,
  type TestUser,
  testConfig,
} from "../kit.ts";
import {
  analysisConfig,
  connect,
  expectOrdered,
  PROGRESS,
  RUN,
  seedContent,
  startRun,
  waitFinished,
  watch,
} from "../support/analysis.ts";

describe("analysis on a slow worker", () => {
  let app: App;
  let exec: Execute;
  let url: string;

  beforeAll(async () => {
    // Every scoring batch waits this long unless the run is stopped, so a run stays in flight
    // until the test stops it; nothing below depends on how long anything takes.
    app = await createTestApp({ config: analysisConfig({ ANALYSIS_STEP_DELAY_MS: "600000" }) });
    exec = executor(app);
    ({ url } = await app.start());
  });
  afterAll(async () => {
    await app?.stop();
  });

  async function runInFlight(user: TestUser) {
    await seedContent(exec, user);
    const run = await startRun(exec, user);
    const ws = connect(url, user.token);
    const w = watch(ws, PROGRESS, { runId: run.id });
    await w.until((e) => e.stage.startsWith("analyzing:"));
    return { run, ws, w };
  }

  it("cancels a running run: the stream ends with cancelled", async () => {
    const me = await createOwner(exec);
    const { run, ws, w } = await runInFlight(me);
    const asked = Date.now();
    const c = await ok(
      exec,
      `mutation($id: ID!) { cancelAnalysis(id: $id) { status cancelRequested } }`,
      { id: run.id },
      me.token,
    );
    expect(c.cancelAnalysis.cancelRequested).toBe(true);
    const events = await w.done;
    console.log(`cancel: stream ended ${Date.now() - asked} ms after cancelAnalysis`);
    expectOrdered(events);
    expect(events.at(-1)).toMatchObject({ status: "cancelled", stage: "cancelled", done: true });
    expect(events.at(-1)?.percent).toBeLessThan(100);
    const d = (await ok(exec, RUN, { id: run.id }, me.token)).analysisRun;
    expect(d.status).toBe("cancelled");
    await ws.dispose();
  });

  it("closes the subscriptions of a session that signs out", async () => {
    const me = await createOwner(exec);
    const { run, ws, w } = await runInFlight(me);
    await ok(exec, `mutation { signOut }`, {}, me.token);
    expect(await ws.closed).toBe(4401);
    // Told either way: an UNAUTHENTICATED error ends the stream, or the socket closes with 4401 first.
    await expect(w.done).rejects.toThrow(/closed with 4401|UNAUTHENTICATED/);
    // The run goes on without its watcher; its owner can still stop it.
    const again = await ok(exec, `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }`, {
      e: me.email,
      p: me.password,
    });
    await ok(exec, `mutation($id: ID!) { cancelAnalysis(id: $id) { id } }`, { id: run.id }, again.signIn.token);
    expect((await waitFinished(app, run.id)).status).toBe("cancelled");
  });
});

describe("analysis results after a restart", () => {
  it("are read back by a new app on the same database", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "userplane-analysis-"));
    await seedPgliteDataDir(dir);
    const config = testConfig({ ...analysisConfig(), DATA_DIR: dir });
    try {
      const first = await buildApp(config);
      await first.start();
      const exec1 = executor(first);
      const me = await createOwner(exec1);
      await seedContent(exec1, me, ["instagram"]);
      const run = await startRun(exec1, me);
      await waitFinished(first, run.id);
      const before = (await ok(exec1, RUN, { id: run.id }, me.token)).analysisRun;
      expect(before.results).toHaveLength(1);
      await first.stop();

      const second = await buildApp(config);
      try {
        const after = (await ok(executor(second), RUN, { id: run.id }, me.token)).analysisRun;
        expect(after).toEqual(before);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
