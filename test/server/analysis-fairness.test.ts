// Jobs are fair between tenants: one tenant's queue of analyses waits at its share of the workers
// while another tenant's run starts, instead of that run waiting behind all of them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import { createOwner, createTestApp, dbId, dbKind, type Execute, executor } from "../kit.ts";
import { analysisConfig, seedContent, startRun, waitFinished } from "../support/analysis.ts";

let app: App;
let exec: Execute;

beforeAll(async () => {
  app = await createTestApp({
    config: analysisConfig({
      WORKER_CONCURRENCY: "2",
      ANALYSIS_CONCURRENCY_PER_TENANT: "1",
      ANALYSIS_STEP_DELAY_MS: "250",
    }),
  });
  exec = executor(app);
  await app.start();
});
afterAll(() => app?.stop());

describe(`job fairness (${dbKind})`, () => {
  it("starts another tenant's run before the busy tenant's second run", async () => {
    const busy = await createOwner(exec, "Busy");
    const other = await createOwner(exec, "Other");
    await seedContent(exec, busy, ["twitter", "linkedin"]);
    await seedContent(exec, other, ["twitter", "linkedin"]);
    const busyRuns = [];
    for (let i = 0; i < 3; i++) busyRuns.push(await startRun(exec, busy));
    const otherRun = await startRun(exec, other);
    for (const r of [...busyRuns, otherRun]) await waitFinished(app, r.id);
    const started = await app.db.prisma.analysisRun.findMany({
      where: { id: { in: [...busyRuns, otherRun].map((r) => dbId(r.id)) } },
      select: { id: true, startedAt: true },
      orderBy: { startedAt: "asc" },
    });
    const order = started.map((r) => (r.id === dbId(otherRun.id) ? "other" : "busy"));
    // Busy's first run and the other tenant's run share the two workers; busy's others wait their turn.
    expect(order.indexOf("other")).toBeLessThan(2);
  });
});
