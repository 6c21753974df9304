// Streams never outlive the right to them, on every transport: a revoked key, an ended role or
// membership stops delivery at once (the WebSocket closes with 4401 when the viewer is gone, and a
// stream whose events the viewer may no longer see ends with the reason), and progress never
// carries results to those who may only follow a run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import { createApiKey, createMember, createOwner, createTestApp, dbKind, type Execute, executor, ok } from "../kit.ts";
import {
  analysisConfig,
  connect,
  heldScorer,
  openSubscriptions,
  PROGRESS,
  type ProgressEvent,
  seedContent,
  startRun,
  subscriptionsOpen,
  watch,
} from "../support/analysis.ts";

let app: App;
let exec: Execute;
let url: string;
let scorer: Awaited<ReturnType<typeof heldScorer>>;

beforeAll(async () => {
  // Runs stand between two batches while rights change: the scorer's answers are held.
  scorer = await heldScorer();
  app = await createTestApp({ config: analysisConfig(scorer.config) });
  exec = executor(app);
  url = (await app.start()).url;
});
afterAll(async () => {
  scorer?.open();
  await app?.stop();
  await scorer?.close();
});

/** Starts a run that scores one batch, then waits for scorer.open(). */
function startHeldRun(user: Parameters<typeof startRun>[1]) {
  scorer.hold();
  scorer.step();
  return startRun(exec, user);
}

const MY_EVENTS = `subscription { myAnalysisEvents { runId seq status stage percent itemsDone itemsTotal done } }`;

async function roleId(userToken: string, role: string): Promise<string> {
  const d = await ok(exec, `{ me { roles { id role inEffect } } }`, {}, userToken);
  return d.me.roles.find((r: { role: string; inEffect: boolean }) => r.role === role && r.inEffect).id;
}

/** Revokes the user's one API key from their session. */
async function revokeOnlyKey(sessionToken: string) {
  const keys = await ok(exec, `{ apiKeys { edges { node { id } } } }`, {}, sessionToken);
  await ok(
    exec,
    `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
    { id: keys.apiKeys.edges[0].node.id },
    sessionToken,
  );
}

const endRole = (adminToken: string, id: string) =>
  ok(exec, `mutation($id: ID!) { endRoleAssignment(id: $id) { id } }`, { id }, adminToken);

describe(`live streams follow the viewer's rights (${dbKind})`, () => {
  it("a revoked API key's stream stops and its socket closes with 4401", async () => {
    const owner = await createOwner(exec);
    await seedContent(exec, owner, ["twitter", "linkedin"]);
    const key = await createApiKey(exec, owner, ["ANALYSIS_READ"]);
    const byKey = connect(url, key);
    const bySession = connect(url, owner.token);
    const before = await openSubscriptions(app, "analysis:user");
    const keyEvents = watch(byKey, MY_EVENTS, {});
    const sessionEvents = watch(bySession, MY_EVENTS, {});
    await subscriptionsOpen(app, "analysis:user", before + 2);
    const run = await startHeldRun(owner);
    await keyEvents.until((e) => e.runId === run.id && e.stage.startsWith("analyzing:"));
    await revokeOnlyKey(owner.token);
    expect(await byKey.closed).toBe(4401);
    scorer.open();
    await sessionEvents.until((e) => e.runId === run.id && e.status === "complete");
    expect(keyEvents.events.some((e) => e.status === "complete")).toBe(false);
    await bySession.dispose();
  });

  it("a demoted admin's progress stream of another member's run ends with FORBIDDEN", async () => {
    const admin = await createOwner(exec, "Admin");
    const deputy = await createMember(exec, admin, "Deputy", "admin");
    const deputyId = (await ok(exec, `{ me { id } }`, {}, deputy.token)).me.id;
    await ok(exec, `mutation($u: ID!) { assignRole(userId: $u, role: member) { id } }`, { u: deputyId }, admin.token);
    const member = await createMember(exec, admin, "Member");
    await seedContent(exec, member, ["twitter", "linkedin"]);
    const run = await startHeldRun(member);
    const ws = connect(url, deputy.token);
    const followed = watch<ProgressEvent>(ws, PROGRESS, { runId: run.id });
    const own = watch<ProgressEvent>(connect(url, member.token), PROGRESS, { runId: run.id });
    await followed.until((e) => e.stage.startsWith("analyzing:"));
    // The admin may follow the run, but its progress says nothing of what it finds.
    const seen = await ok(
      exec,
      `query($id: ID!) { analysisRun(id: $id) { stage message overallGrade } }`,
      { id: run.id },
      deputy.token,
    ).catch(() => null);
    expect(JSON.stringify(seen ?? {})).not.toMatch(/grade [A-F]|risk \d/i);

    await endRole(admin.token, await roleId(deputy.token, "admin"));
    // The stream meets the change with the run's next event: the run goes on one batch at a time,
    // each seen by the member's own stream, until the admin's stream has ended.
    let ended = false;
    followed.done.then(
      () => {
        ended = true;
      },
      () => {
        ended = true;
      },
    );
    for (let seq = own.events.at(-1)?.seq ?? -1; !ended; ) {
      scorer.step();
      const next = await own.until((e) => e.seq > seq);
      if (next.done) break;
      seq = next.seq;
    }
    await expect(followed.done).rejects.toThrow(/FORBIDDEN/);
    scorer.open();
    expect(followed.events.some((e) => e.status === "complete")).toBe(false);
    await own.until((e) => e.status === "complete");
    await ws.dispose();
  });

  it("a member whose membership ends is disconnected with 4401", async () => {
    const admin = await createOwner(exec, "Admin");
    const member = await createMember(exec, admin, "Leaving");
    const ws = connect(url, member.token);
    const before = await openSubscriptions(app, "analysis:user");
    const stream = watch(ws, MY_EVENTS, {});
    await subscriptionsOpen(app, "analysis:user", before + 1);
    await seedContent(exec, member, ["twitter"]);
    const run = await startRun(exec, member);
    await stream.until((e) => e.runId === run.id);
    await endRole(admin.token, await roleId(member.token, "member"));
    expect(await ws.closed).toBe(4401);
  });

  it("over server-sent events too, a revoked key's stream ends with UNAUTHENTICATED", async () => {
    const owner = await createOwner(exec);
    await seedContent(exec, owner, ["twitter", "linkedin"]);
    const key = await createApiKey(exec, owner, ["ANALYSIS_READ"]);
    const before = await openSubscriptions(app, "analysis:user");
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: MY_EVENTS }),
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    };
    const first = readUntil(/analyzing:/);
    await subscriptionsOpen(app, "analysis:user", before + 1);
    await startHeldRun(owner);
    await first;
    await revokeOnlyKey(owner.token);
    await readUntil(/UNAUTHENTICATED/);
    scorer.open();
    expect(text).toMatch(/UNAUTHENTICATED/);
    await readUntil(/event: complete/);
    expect(text).not.toMatch(/"status":"complete"/);
    await reader.cancel();
  });
});
