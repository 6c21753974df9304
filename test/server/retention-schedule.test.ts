import { randomUUID } from "node:crypto";
import { TestClock } from "pg-boss";
import { describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import { createOwner, createTestApp, dbKind, executor } from "../kit.ts";

// The retention schedule, in a file of its own: a scheduled pass covers every tenant of the
// database, so it must not run where retention.test.ts counts what its own passes removed (each
// file has a database of its own). pg-boss's time is a TestClock the test moves a second at a time
// (every timer of pg-boss, and job_now() in its schema), starting just before a minute: no waiting
// for the wall clock to reach one.
describe(`the retention schedule (${dbKind})`, () => {
  it("runs each occurrence once, on one instance of those sharing the database", async () => {
    const schema = `pgboss_retention_${randomUUID().slice(0, 8)}`;
    const config = {
      RETENTION_CRON: "* * * * *",
      STORAGE_CLEANUP_CRON: "off",
      JOB_CRON_SECONDS: "1",
      JOB_POLL_SECONDS: "1",
      JOB_SCHEMA: schema,
    };
    const clock = new TestClock(Math.ceil(Date.now() / 60_000) * 60_000 - 2_000);
    // Two instances on one PostgreSQL (one clock, as two processes share the time); PGlite is one
    // process's database, so there it is one instance (the embedded mode's scheduler must fire all the same).
    // Built one after the other: attaching pg-boss's TestClock drops and creates its table, and two
    // attaching at once collide in PostgreSQL's catalog (a test-only table; pg-boss's own schema
    // is created under an advisory lock).
    const apps: App[] = [];
    for (let i = 0; i < (dbKind === "postgres" ? 2 : 1); i++)
      apps.push(await createTestApp({ config, jobClock: clock }));
    const [first] = apps as [App];
    try {
      const owner = await createOwner(executor(first), "Scheduled");
      await Promise.all(apps.map((a) => a.start()));
      const q = first.db.prisma;
      // Each step is one second of pg-boss's time: its cron passes and polls due by then run, and
      // finish, before the next (the retention handler itself runs in real time between steps).
      const until = async (what: string, test: () => Promise<boolean>) => {
        for (let i = 0; i < 600; i++) {
          if (await test()) return;
          await clock.tick(1_000);
        }
        throw new Error(`not seen within 600 seconds of pg-boss's time: ${what}`);
      };
      const schedRuns = () => q.retentionRun.findMany({ where: { tenantId: owner.tenantId, trigger: "schedule" } });
      await until("a scheduled run", async () => (await schedRuns()).length > 0);
      // Let several more cron passes go by (each instance tries every second) and the queue drain.
      const cronOn = async () =>
        String((await q.$queryRawUnsafe<{ c: Date }[]>(`SELECT cron_on AS c FROM ${schema}.version`))[0]?.c);
      const seen = new Set([await cronOn()]);
      await until("three more cron passes", async () => seen.add(await cronOn()).size > 3);
      await until("an idle queue", async () => {
        const [r] = await q.$queryRawUnsafe<{ n: bigint }[]>(
          `SELECT count(*) AS n FROM ${schema}.job WHERE name IN ('retention-run', '__pgboss__send-it') AND state IN ('created', 'retry', 'active')`,
        );
        return Number(r?.n) === 0;
      });
      const slots = await q.$queryRawUnsafe<{ slot: string; n: bigint }[]>(
        `SELECT data->>'slot' AS slot, count(*) AS n FROM ${schema}.job
          WHERE name = '__pgboss__send-it' AND data->>'name' = 'retention-run' GROUP BY 1`,
      );
      const jobs = await q.$queryRawUnsafe<{ id: string }[]>(
        `SELECT id::text AS id FROM ${schema}.job WHERE name = 'retention-run'`,
      );
      const runs = await schedRuns();
      expect(slots.length).toBeGreaterThan(0);
      expect(slots.every((s) => Number(s.n) === 1)).toBe(true);
      expect(jobs).toHaveLength(slots.length);
      expect(runs.map((r) => r.jobKey).sort()).toEqual(jobs.map((j) => j.id).sort());
    } finally {
      await Promise.all(apps.map((a) => a.stop()));
      if (dbKind === "postgres") {
        const cleanup = await createTestApp();
        await cleanup.db.prisma.$executeRawUnsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await cleanup.stop();
      }
    }
    // Apps are built inside the test (two on PostgreSQL), which takes long on a loaded machine.
  }, 180_000);
});
