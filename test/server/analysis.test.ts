import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import {
  codeOf,
  createApiKey,
  createMember,
  createOwner,
  createTestApp,
  dbId,
  type Execute,
  executor,
  ok,
} from "../kit.ts";
import {
  analysisConfig,
  connect,
  expectOrdered,
  PROGRESS,
  type ProgressEvent,
  RUN,
  seedContent,
  startRun,
  waitFinished,
  watch,
} from "../support/analysis.ts";

const IMPORT = `mutation($source: ContentSource!, $items: [ContentItemInput!]!) {
  importContent(source: $source, items: $items) { imported duplicates items { id text contentHash } }
}`;

describe("analysis", () => {
  let app: App;
  let exec: Execute;
  let url: string;

  beforeAll(async () => {
    // The worker is started by the tests that need it, so a run can be watched from its first state.
    app = await createTestApp({ config: analysisConfig({ RUN_WORKER: "false" }) });
    exec = executor(app);
    ({ url } = await app.start());
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("imports content de-duplicated by hash, within limits, and lists and deletes only my items", async () => {
    const me = await createOwner(exec, "Importer");
    const other = await createOwner(exec, "Other");
    const first = await ok(
      exec,
      IMPORT,
      { source: "twitter", items: [{ text: "hello  world" }, { text: " hello world " }, { text: "second" }] },
      me.token,
    );
    expect(first.importContent).toMatchObject({ imported: 2, duplicates: 1 });
    const again = await ok(
      exec,
      IMPORT,
      { source: "twitter", items: [{ text: "second" }, { text: "third" }] },
      me.token,
    );
    expect(again.importContent).toMatchObject({ imported: 1, duplicates: 1 });
    // The same text under another source is another item.
    expect(
      (await ok(exec, IMPORT, { source: "linkedin", items: [{ text: "second" }] }, me.token)).importContent.imported,
    ).toBe(1);

    expect(codeOf(await exec(IMPORT, { source: "twitter", items: [{ text: "   " }] }, me.token))).toBe(
      "BAD_USER_INPUT",
    );
    const tooMany = Array.from({ length: 501 }, (_, i) => ({ text: `post ${i}` }));
    expect(codeOf(await exec(IMPORT, { source: "twitter", items: tooMany }, me.token))).toBe("BAD_USER_INPUT");
    expect(codeOf(await exec(IMPORT, { source: "twitter", items: [{ text: "x".repeat(10_001) }] }, me.token))).toBe(
      "BAD_USER_INPUT",
    );

    const LIST = `query($source: ContentSource) { contentItems(source: $source, first: 50) { edges { node { id text } } } }`;
    const mine = (await ok(exec, LIST, { source: "twitter" }, me.token)).contentItems.edges;
    expect(mine.map((e: { node: { text: string } }) => e.node.text).sort()).toEqual([
      "hello  world",
      "second",
      "third",
    ]);
    expect((await ok(exec, LIST, {}, other.token)).contentItems.edges).toEqual([]);

    const DELETE = `mutation($ids: [ID!], $source: ContentSource) { deleteContent(ids: $ids, source: $source) }`;
    const ids = mine.map((e: { node: { id: string } }) => e.node.id);
    expect(codeOf(await exec(DELETE, { ids }, other.token))).toBe("NOT_FOUND");
    expect((await ok(exec, LIST, { source: "twitter" }, me.token)).contentItems.edges).toHaveLength(3);
    expect((await ok(exec, DELETE, { ids: [ids[0]] }, me.token)).deleteContent).toBe(1);
    expect((await ok(exec, DELETE, { source: "linkedin" }, me.token)).deleteContent).toBe(1);
    expect((await ok(exec, LIST, {}, me.token)).contentItems.edges).toHaveLength(2);
  });

  it("refuses to start without content, and cancels a run no worker has taken at once", async () => {
    const me = await createOwner(exec);
    expect(codeOf(await exec(`mutation { startAnalysis { id } }`, {}, me.token))).toBe("BAD_USER_INPUT");
    await seedContent(exec, me, ["twitter"]);
    const run = await startRun(exec, me);
    expect(run).toMatchObject({ status: "queued", seq: 0 });
    const ws = connect(url, me.token);
    const w = watch(ws, PROGRESS, { runId: run.id });
    await w.until((e) => e.status === "queued");
    const c = await ok(
      exec,
      `mutation($id: ID!) { cancelAnalysis(id: $id) { status stage } }`,
      { id: run.id },
      me.token,
    );
    expect(c.cancelAnalysis).toMatchObject({ status: "cancelled", stage: "cancelled" });
    const events = await w.done;
    expect(events.map((e) => [e.seq, e.status])).toEqual([
      [0, "queued"],
      [1, "cancelled"],
    ]);
    await ws.dispose();
  });

  it("streams a run over graphql-ws from its first state to complete: in order, percent up to 100", async () => {
    const me = await createOwner(exec);
    await seedContent(exec, me);
    const ws = connect(url, me.token);
    const mine = watch(
      ws,
      `subscription { myAnalysisEvents { runId seq status stage percent itemsDone itemsTotal done } }`,
      {},
    );
    const run = await startRun(exec, me);
    const w = watch(ws, PROGRESS, { runId: run.id });
    await w.until((e) => e.seq === 0);
    await app.services.analysis.startWorker();
    const events = await w.done;

    expect(events[0]).toMatchObject({ seq: 0, status: "queued", percent: 0 });
    expectOrdered(events);
    const last = events.at(-1) as ProgressEvent;
    expect(last).toMatchObject({ status: "complete", stage: "complete", percent: 100, done: true });
    const stages = new Set(events.map((e) => e.stage));
    for (const s of [
      "queued",
      "collecting",
      "analyzing:twitter",
      "analyzing:linkedin",
      "analyzing:instagram",
      "aggregating",
    ])
      expect(stages).toContain(s);
    expect(new Set(events.map((e) => e.runId))).toEqual(new Set([run.id]));

    // The user stream saw the same run's changes (it may have joined after the first).
    await mine.until((e) => e.runId === run.id && e.done);
    const fromMine = mine.events.filter((e) => e.runId === run.id);
    expectOrdered(fromMine);
    expect(fromMine.at(-1)?.seq).toBe(last.seq);
    mine.stop();

    const d = await ok(exec, RUN, { id: run.id }, me.token);
    expect(d.analysisRun).toMatchObject({ status: "complete", percent: 100, seq: last.seq, attempts: 1 });
    expect(d.analysisRun.results.map((r: { source: string }) => r.source)).toEqual([
      "instagram",
      "linkedin",
      "twitter",
    ]);
    const twitter = d.analysisRun.results.find((r: { source: string }) => r.source === "twitter");
    expect(twitter.flaggedItems[0].reasons.map((r: { rule: string }) => r.rule)).toContain("immigration.overstay");
    expect(d.analysisRun.overallGrade).toMatch(/^[A-F]$/);
    await ws.dispose();
  });

  it("keeps results readable after sign-out and sign-in, and accounts usage exactly once", async () => {
    await app.services.analysis.startWorker();
    const admin = await createOwner(exec, "Admin");
    const agent = await ok(
      exec,
      `mutation { createAgent(input: { name: "Screener", model: "gpt-4o-mini" }) { id } }`,
      {},
      admin.token,
    );
    const ua = await ok(
      exec,
      `mutation($id: ID!) { addAgent(agentId: $id) { id } }`,
      { id: agent.createAgent.id },
      admin.token,
    );
    await ok(exec, `mutation { setQuota(quotaType: tokens, quotaLimit: 100000) { id } }`, {}, admin.token);
    await seedContent(exec, admin);
    const run = await startRun(exec, admin, { userAgentId: ua.addAgent.id });
    const finished = await waitFinished(app, run.id);
    expect(finished.status).toBe("complete");
    const before = (await ok(exec, RUN, { id: run.id }, admin.token)).analysisRun;

    await ok(exec, `mutation { signOut }`, {}, admin.token);
    expect((await exec(RUN, { id: run.id }, admin.token)).data?.analysisRun ?? null).toBeNull();
    const signIn = await ok(exec, `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }`, {
      e: admin.email,
      p: admin.password,
    });
    const token = signIn.signIn.token;
    expect((await ok(exec, RUN, { id: run.id }, token)).analysisRun).toEqual(before);

    // A second delivery of the finished run's job changes nothing.
    const queue = await app.services.jobs.queue();
    const jobId = await queue.send(app.config.ANALYSIS_QUEUE, { runId: dbId(run.id) });
    for (;;) {
      const job = await queue.boss.getJobById(app.config.ANALYSIS_QUEUE, jobId as string);
      if (job && ["completed", "failed"].includes(job.state)) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const p = app.db.prisma;
    const id = dbId(run.id);
    const logs = await p.usageLog.findMany({ where: { analysisRunId: id } });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ tokensUsed: finished.tokensUsed, provider: "local", model: "lexicon-v2" });
    expect(finished.tokensUsed).toBeGreaterThan(0);
    const quota = await p.quota.findFirstOrThrow({ where: { tenantId: admin.tenantId, quotaType: "tokens" } });
    expect(Number(quota.currentUsage)).toBe(finished.tokensUsed);
    const userAgent = await p.userAgent.findUniqueOrThrow({ where: { id: dbId(ua.addAgent.id) } });
    expect(userAgent).toMatchObject({ usageCount: 1, successCount: 1, errorCount: 0 });
    expect(Number(userAgent.totalTokensUsed)).toBe(finished.tokensUsed);
    expect(userAgent.lastUsedAt).not.toBeNull();
    const after = await p.analysisRun.findUniqueOrThrow({ where: { id } });
    expect(after.seq).toBe(finished.seq);
  });

  it("fails a run that would exceed the token quota with QUOTA_EXCEEDED, and refuses to start when it is used up", async () => {
    await app.services.analysis.startWorker();
    const admin = await createOwner(exec);
    await ok(exec, `mutation { setQuota(quotaType: tokens, quotaLimit: 5) { id } }`, {}, admin.token);
    await seedContent(exec, admin);
    const run = await startRun(exec, admin);
    const ws = connect(url, admin.token);
    const events = await watch(ws, PROGRESS, { runId: run.id }).done;
    expect(events.at(-1)).toMatchObject({ status: "failed", done: true });
    expectOrdered(events);
    const d = (await ok(exec, RUN, { id: run.id }, admin.token)).analysisRun;
    expect(d).toMatchObject({ status: "failed", errorCode: "QUOTA_EXCEEDED", results: [] });
    expect(d.errorMessage).toMatch(/needs about \d+ tokens.*5 tokens/);
    expect(await app.db.prisma.usageLog.count({ where: { analysisRunId: dbId(run.id) } })).toBe(0);

    await app.db.prisma.quota.updateMany({ where: { tenantId: admin.tenantId }, data: { currentUsage: 5 } });
    const refused = await exec(`mutation { startAnalysis { id } }`, {}, admin.token);
    expect(codeOf(refused)).toBe("QUOTA_EXCEEDED");
    expect(await app.db.prisma.analysisRun.count({ where: { userId: admin.userId } })).toBe(1);
    await ws.dispose();
  });

  it("rate-limits starts by the RateLimitConfig of the user", async () => {
    const me = await createOwner(exec);
    await seedContent(exec, me, ["linkedin"]);
    await app.db.prisma.rateLimitConfig.create({
      data: {
        tenantId: me.tenantId,
        userId: me.userId,
        action: "analysis.start",
        limitType: "requests_per_hour",
        limitScope: "user",
        limitValue: 2,
      },
    });
    await startRun(exec, me);
    await startRun(exec, me);
    const third = await exec(`mutation { startAnalysis { id } }`, {}, me.token);
    expect(codeOf(third)).toBe("RATE_LIMITED");
    expect(third.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    expect(await app.db.prisma.analysisRun.count({ where: { userId: me.userId } })).toBe(2);
    // Another user of the same tenant has a window of their own.
    const colleague = await createMember(exec, me);
    await seedContent(exec, colleague, ["linkedin"]);
    await startRun(exec, colleague);
  });

  it("lets no one else read or subscribe to my run; tenant admins see its status, never its results", async () => {
    await app.services.analysis.startWorker();
    const admin = await createOwner(exec, "Admin");
    const me = await createMember(exec, admin, "Me");
    const colleague = await createMember(exec, admin, "Colleague");
    const stranger = await createOwner(exec, "Stranger");
    await seedContent(exec, me, ["twitter"]);
    const run = await startRun(exec, me);
    await waitFinished(app, run.id);

    for (const user of [colleague, stranger]) {
      const r = await exec(RUN, { id: run.id }, user.token);
      expect(r.data?.analysisRun ?? null).toBeNull();
      expect(codeOf(r)).toBe("FORBIDDEN");
      const ws = connect(url, user.token);
      await expect(watch(ws, PROGRESS, { runId: run.id }).done).rejects.toThrow(/FORBIDDEN/);
      await ws.dispose();
      const list = await ok(
        exec,
        `query { analysisRuns(wholeTenant: true) { edges { node { id } } } }`,
        {},
        user.token,
      );
      expect(list.analysisRuns.edges.map((e: { node: { id: string } }) => e.node.id)).not.toContain(run.id);
      expect(
        codeOf(await exec(`mutation($id: ID!) { cancelAnalysis(id: $id) { id } }`, { id: run.id }, user.token)),
      ).toBe("FORBIDDEN");
    }
    const anonymous = connect(url, null);
    await expect(watch(anonymous, PROGRESS, { runId: run.id }).done).rejects.toThrow(/UNAUTHENTICATED/);
    await anonymous.dispose();

    const asAdmin = await exec(RUN, { id: run.id }, admin.token);
    expect(asAdmin.data?.analysisRun).toMatchObject({ status: "complete", results: null, overallGrade: null });
    expect(asAdmin.errors?.map((e) => [e.path?.join("."), e.extensions?.code])).toContainEqual([
      "analysisRun.results",
      "FORBIDDEN",
    ]);
    const adminWs = connect(url, admin.token);
    const adminEvents = await watch(adminWs, PROGRESS, { runId: run.id }).done;
    expect(adminEvents).toHaveLength(1);
    expect(adminEvents[0]).toMatchObject({ status: "complete", done: true });
    await adminWs.dispose();
    const tenantRuns = await ok(
      exec,
      `query { analysisRuns(wholeTenant: true) { edges { node { id } } } }`,
      {},
      admin.token,
    );
    expect(tenantRuns.analysisRuns.edges.map((e: { node: { id: string } }) => e.node.id)).toContain(run.id);

    // An API key needs analysis:read.
    const writeOnly = await createApiKey(exec, me, ["ANALYSIS_RUN"]);
    expect(codeOf(await exec(RUN, { id: run.id }, writeOnly))).toBe("FORBIDDEN");
    const reader = await createApiKey(exec, me, ["ANALYSIS_READ"]);
    expect((await ok(exec, RUN, { id: run.id }, reader)).analysisRun.results).toHaveLength(1);
  });
});
