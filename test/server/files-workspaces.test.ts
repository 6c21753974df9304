// Workspaces over real HTTP: the owner's life cycle (create, rename, complete, restore, delete with
// its files and their bytes), and the stale-workspace job run through the durable queue. Idle time is
// planted in the rows (updated_at set back) rather than by moving the clock: the PostgreSQL project
// shares its database with other test files, whose fresh workspaces must stay out of the sweep.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import { STALE_QUEUE, type StaleReport } from "../../server/services/files/workspaces.ts";
import { codeOf, createOwner, createTestApp, dbId, dbKind, type Execute, executor, ok, type TestUser } from "../kit.ts";
import { fakePng, upload } from "../support/files.ts";

const W = `id name status completedAt archivedAt files(first: 10) { edges { node { id } } }`;

async function objects(app: App): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of app.services.files.storage.list()) keys.push(o.key);
  return keys;
}

/** Sets a workspace's last activity `days` ago. */
async function idle(app: App, workspaceId: string, days: number) {
  await app.db.prisma.$executeRaw`
    UPDATE workspaces SET updated_at = now() - make_interval(days => ${days}::int) WHERE id = ${dbId(workspaceId)}::uuid`;
}

function harness(config: Record<string, string>) {
  const h = {} as { app: App; exec: Execute; base: string; dataDir: string };
  beforeAll(async () => {
    h.dataDir = await mkdtemp(path.join(tmpdir(), "userplane-ws-"));
    h.app = await createTestApp({ config: { DATA_DIR: h.dataDir, WORKSPACE_STALE_CRON: "off", ...config } });
    h.exec = executor(h.app);
    const { port } = await h.app.start();
    h.base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await h.app?.stop();
    await rm(h.dataDir, { recursive: true, force: true });
  });
  const put = async (user: TestUser, workspaceId: string, size = 1000) => {
    const r = await upload(h.base, fakePng(size), "p.png", { token: user.token, workspaceId });
    if (r.errors?.length) throw new Error(JSON.stringify(r.errors));
    return r.data.uploadFile.id as string;
  };
  const create = async (user: TestUser, name: string) =>
    (await ok(h.exec, `mutation($n: String!) { createWorkspace(name: $n) { ${W} } }`, { n: name }, user.token))
      .createWorkspace;
  return { h, put, create };
}

describe(`workspaces (${dbKind}): stale ones archived by the durable job`, () => {
  const { h, put, create } = harness({
    RUN_WORKER: "true",
    WORKSPACE_STALE_DAYS: "30",
    WORKSPACE_STALE_CRON: "5 4 * * *",
  });

  it("lets the owner create, rename, complete, filter and delete a workspace, whose files and bytes go with it", async () => {
    const owner = await createOwner(h.exec, "Worker");
    await ok(h.exec, `mutation { setQuota(quotaType: storage_gb, quotaLimit: 1000000) { id } }`, {}, owner.token);
    const ws = await create(owner, "  Visa\u0007 application ");
    expect(ws).toMatchObject({ name: "Visa application", status: "active", completedAt: null, archivedAt: null });
    const keep = await create(owner, "Other");
    const f1 = await put(owner, ws.id, 2000);
    const f2 = await put(owner, ws.id, 3000);
    const kept = await put(owner, keep.id, 1000);

    const renamed = await ok(
      h.exec,
      `mutation($id: ID!) { renameWorkspace(id: $id, name: "Visa 2027") { ${W} } }`,
      { id: ws.id },
      owner.token,
    );
    expect(renamed.renameWorkspace.name).toBe("Visa 2027");
    expect(renamed.renameWorkspace.files.edges.map((e: any) => e.node.id).sort()).toEqual([f1, f2].sort());
    const filtered = await ok(
      h.exec,
      `query($w: ID) { files(workspaceId: $w) { edges { node { id } } } }`,
      { w: keep.id },
      owner.token,
    );
    expect(filtered.files.edges.map((e: any) => e.node.id)).toEqual([kept]);

    const done = await ok(
      h.exec,
      `mutation($id: ID!) { completeWorkspace(id: $id) { ${W} } }`,
      { id: keep.id },
      owner.token,
    );
    expect(done.completeWorkspace.status).toBe("completed");
    const byStatus = async (s: string) =>
      (
        await ok(
          h.exec,
          `query($s: WorkspaceStatus) { workspaces(status: $s) { edges { node { id } } } }`,
          { s },
          owner.token,
        )
      ).workspaces.edges.map((e: any) => e.node.id);
    expect(await byStatus("completed")).toEqual([keep.id]);
    expect(await byStatus("active")).toEqual([ws.id]);

    const before = await objects(h.app);
    const rows = await h.app.db.prisma.file.findMany({ where: { workspaceId: dbId(ws.id) } });
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(before).toContain(r.storageKey);
    await ok(h.exec, `mutation($id: ID!) { deleteWorkspace(id: $id) }`, { id: ws.id }, owner.token);
    const after = await objects(h.app);
    for (const r of rows) expect(after).not.toContain(r.storageKey);
    expect(await h.app.db.prisma.file.count({ where: { id: { in: rows.map((r) => r.id) } } })).toBe(0);
    const usage = await h.app.db.prisma.quota.findFirstOrThrow({
      where: { tenantId: owner.tenantId, quotaType: "storage_gb" },
    });
    expect(Number(usage.currentUsage)).toBe(1000);
    expect(codeOf(await h.exec(`mutation($id: ID!) { deleteWorkspace(id: $id) }`, { id: ws.id }, owner.token))).toBe(
      "NOT_FOUND",
    );
  });

  it("archives incomplete workspaces idle past WORKSPACE_STALE_DAYS through the queue, keeps the rest, and reports to admins", async () => {
    const owner = await createOwner(h.exec, "Idler");
    const stale = await create(owner, "Abandoned");
    const staleFile = await put(owner, stale.id);
    const finished = await create(owner, "Finished");
    const fresh = await create(owner, "Fresh");
    await ok(h.exec, `mutation($id: ID!) { completeWorkspace(id: $id) { id } }`, { id: finished.id }, owner.token);
    await idle(h.app, stale.id, 31);
    await idle(h.app, finished.id, 90);
    await idle(h.app, fresh.id, 29);

    const queue = await h.app.services.jobs.queue();
    const jobId = await h.app.services.workspaces.enqueueSweep();
    expect(jobId).toBeTruthy();
    // Waits for the job's own state (an event), not for a length of time.
    let job = await queue.boss.getJobById<object>(STALE_QUEUE, jobId as string);
    while (job && job.state !== "completed" && job.state !== "failed") {
      await new Promise((r) => setTimeout(r, 100));
      job = await queue.boss.getJobById<object>(STALE_QUEUE, jobId as string);
    }
    expect(job?.state).toBe("completed");
    expect((job?.output as StaleReport | undefined)?.archived).toBeGreaterThanOrEqual(1);

    const status = async (id: string) =>
      (
        await ok(
          h.exec,
          `query($id: ID!) { node(id: $id) { ... on Workspace { status archivedAt } } }`,
          { id },
          owner.token,
        )
      ).node;
    expect((await status(stale.id)).status).toBe("archived");
    expect((await status(finished.id)).status).toBe("completed");
    expect((await status(fresh.id)).status).toBe("active");
    // Archived, not deleted: the file and its bytes are kept.
    expect(await h.app.db.prisma.file.count({ where: { id: dbId(staleFile) } })).toBe(1);

    const refused = await upload(h.base, fakePng(500), "late.png", { token: owner.token, workspaceId: stale.id });
    expect(codeOf(refused as never)).toBe("CONFLICT");
    const log = await ok(h.exec, `{ auditLog(first: 20) { edges { node { action metadata } } } }`, {}, owner.token);
    expect(log.auditLog.edges.map((e: any) => e.node)).toContainEqual({
      action: "workspace.stale_archived",
      metadata: { count: 1, staleDays: 30 },
    });

    const restored = await ok(
      h.exec,
      `mutation($id: ID!) { restoreWorkspace(id: $id) { status } }`,
      { id: stale.id },
      owner.token,
    );
    expect(restored.restoreWorkspace.status).toBe("active");
    await put(owner, stale.id);
    expect(
      codeOf(await h.exec(`mutation($id: ID!) { restoreWorkspace(id: $id) { id } }`, { id: stale.id }, owner.token)),
    ).toBe("CONFLICT");
  });

  it("schedules the sweep in the job queue (WORKSPACE_STALE_CRON, UTC)", async () => {
    const queue = await h.app.services.jobs.queue();
    const schedules = await queue.boss.getSchedules(STALE_QUEUE);
    expect(schedules.map((s) => [s.name, s.cron, s.timezone])).toEqual([[STALE_QUEUE, "5 4 * * *", "UTC"]]);
  });
});

describe(`workspaces (${dbKind}): stale ones deleted with their files`, () => {
  const { h, put, create } = harness({
    RUN_WORKER: "false",
    WORKSPACE_STALE_ACTION: "delete",
    WORKSPACE_STALE_DAYS: "7",
  });

  it("deletes incomplete workspaces idle past the limit, with their files' rows, objects and bytes", async () => {
    const owner = await createOwner(h.exec, "Deleter");
    await ok(h.exec, `mutation { setQuota(quotaType: storage_gb, quotaLimit: 1000000) { id } }`, {}, owner.token);
    const stale = await create(owner, "Gone");
    const kept = await create(owner, "Kept");
    await put(owner, stale.id, 4000);
    const keptFile = await put(owner, kept.id, 1500);
    const keys = (await h.app.db.prisma.file.findMany({ where: { workspaceId: dbId(stale.id) } })).map(
      (f) => f.storageKey,
    );
    await idle(h.app, stale.id, 8);
    await idle(h.app, kept.id, 6);

    const report = await h.app.services.workspaces.sweepStale();
    expect(report.deleted).toBeGreaterThanOrEqual(1);
    expect(report.filesRemoved).toBeGreaterThanOrEqual(1);
    expect(await h.app.db.prisma.workspace.count({ where: { id: dbId(stale.id) } })).toBe(0);
    expect(await h.app.db.prisma.workspace.count({ where: { id: dbId(kept.id) } })).toBe(1);
    const left = await objects(h.app);
    for (const k of keys) expect(left).not.toContain(k);
    const files = await ok(h.exec, `{ files { edges { node { id } } } }`, {}, owner.token);
    expect(files.files.edges.map((e: any) => e.node.id)).toEqual([keptFile]);
    const quota = await h.app.db.prisma.quota.findFirstOrThrow({
      where: { tenantId: owner.tenantId, quotaType: "storage_gb" },
    });
    expect(Number(quota.currentUsage)).toBe(1500);
    const log = await ok(h.exec, `{ auditLog(first: 20) { edges { node { action metadata } } } }`, {}, owner.token);
    expect(log.auditLog.edges.map((e: any) => e.node)).toContainEqual({
      action: "workspace.stale_deleted",
      metadata: { count: 1, staleDays: 7 },
    });
  });
});
