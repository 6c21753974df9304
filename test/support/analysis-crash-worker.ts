// A worker process for the crash test (test/server/analysis-crash.test.ts), configured by the
// environment like the real server.
//   start:  seeds a user, starts an analysis and prints {"ready": ...} once one source is stored
//           and another is mid-way; then waits forever (ANALYSIS_STEP_DELAY_MS keeps it there)
//           for the test to SIGKILL it.
//   resume: prints {"finished": ...} once the run that the killed process left is complete.
import { buildApp } from "../../server/app.ts";
import { loadConfig } from "../../server/config.ts";
import type { RunEvent } from "../../server/services/analysis/index.ts";

const mode = process.argv[2];
const app = await buildApp(loadConfig());
await app.start();
const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

async function gql(query: string, variables: Record<string, unknown> = {}, token?: string) {
  const res = await app.fetch("http://worker/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

if (mode === "start") {
  const email = `crash-${Date.now()}-${process.pid}@example.test`;
  const password = "correct horse battery staple";
  const { signUp } = await gql(
    `mutation($e: String!, $p: String!) { signUp(email: $e, password: $p, displayName: "Crash") { token } }`,
    { e: email, p: password },
  );
  const token: string = signUp.token;
  const { createAgent } = await gql(`mutation { createAgent(input: { name: "Screener" }) { id } }`, {}, token);
  const { addAgent } = await gql(`mutation($id: ID!) { addAgent(agentId: $id) { id } }`, { id: createAgent.id }, token);
  await gql(`mutation { setQuota(quotaType: tokens, quotaLimit: 1000000) { id } }`, {}, token);
  const IMPORT = `mutation($s: ContentSource!, $items: [ContentItemInput!]!) { importContent(source: $s, items: $items) { imported } }`;
  // One batch: stored before the kill. Four batches: stuck after the first, for the resume to finish.
  await gql(IMPORT, { s: "twitter", items: [{ text: "I overstayed my visa" }] }, token);
  const posts = ["Selling weed downtown", "Promoted to lead", "So wasted lol", "Conference talk"];
  await gql(IMPORT, { s: "linkedin", items: posts.map((text) => ({ text })) }, token);
  const viewer = await app.services.sessions.resolveViewer(token);
  const { startAnalysis } = await gql(
    `mutation($ua: ID) { startAnalysis(userAgentId: $ua) { id } }`,
    { ua: addAgent.id },
    token,
  );
  const runId = Buffer.from(startAnalysis.id, "base64").toString().split(":")[1] as string;
  const stream = await app.services.analysis.progress(viewer, runId);
  let twitterStored = false;
  let linkedinStarted = false;
  for await (const e of stream) {
    // A source's last event (all of its items done) is written with its stored result.
    if (e.stage === "analyzing:twitter" && e.itemsTotal > 0 && e.itemsDone === e.itemsTotal) twitterStored = true;
    if (e.stage === "analyzing:linkedin" && e.itemsTotal === 4) linkedinStarted = true;
    if (twitterStored && linkedinStarted) {
      out({ ready: { runId, token, globalRunId: startAnalysis.id, seq: e.seq, percent: e.percent } });
      break;
    }
  }
  await new Promise(() => {}); // killed here
} else if (mode === "resume") {
  const { runId, token } = JSON.parse(process.env.CRASH_RUN ?? "{}") as { runId: string; token: string };
  const started = Date.now();
  const viewer = await app.services.sessions.resolveViewer(token);
  const events: RunEvent[] = [];
  for await (const e of await app.services.analysis.progress(viewer, runId)) events.push(e);
  const p = app.db.prisma;
  const run = await p.analysisRun.findUniqueOrThrow({ where: { id: runId }, include: { results: true } });
  out({
    finished: {
      resumedAfterMs: Date.now() - started,
      events: events.map(({ seq, status, stage, percent }) => ({ seq, status, stage, percent })),
      run: { status: run.status, attempts: run.attempts, tokensUsed: run.tokensUsed, seq: run.seq },
      results: run.results.map((r) => ({ source: r.source, createdAt: r.createdAt.toISOString() })),
      usageLogs: await p.usageLog.count({ where: { analysisRunId: runId } }),
      quotaUsage: Number(
        (await p.quota.findFirstOrThrow({ where: { tenantId: run.tenantId, quotaType: "tokens" } })).currentUsage,
      ),
      userAgent: await p.userAgent.findUniqueOrThrow({
        where: { id: run.userAgentId as string },
        select: { usageCount: true, successCount: true, errorCount: true },
      }),
    },
  });
  await app.stop();
  process.exit(0);
} else {
  throw new Error(`unknown mode ${mode}`);
}
