// "Export my data" end to end on a real app and server: the document holds every section of the
// user data map and none of the secrets, progress is pushed to a live query, the download is the
// owner's alone (tampered, foreign and expired URLs are 403), one export runs at a time and they
// are throttled, a queued export survives a restart, and the clean-up removes expired ones.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildApp } from "../../server/app.ts";
import { USER_DATA } from "../../server/services/account/user-data.ts";
import { signedPath } from "../../server/services/files/signing.ts";
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
  seedPgliteDataDir,
  type TestUser,
  testConfig,
} from "../kit.ts";
import { connect } from "../support/analysis.ts";
import { live } from "../support/live.ts";

const EXPORT = `mutation { exportMyData { id status } }`;
const NODE = `query($id: ID!) { node(id: $id) { ... on DataExport { id status percent done total downloadUrl } } }`;
const LIVE = `query($id: ID!) @live { node(id: $id) { ... on DataExport { id status percent done total downloadUrl } } }`;

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), "userplane-export-"));
  dirs.push(d);
  return d;
};
const queue = () => `export-test-${randomUUID().slice(0, 8)}`;

let app: App;
let exec: Execute;
let origin: string;

beforeAll(async () => {
  app = await createTestApp({
    config: { DATA_DIR: tempDir(), EXPORT_QUEUE: queue(), JOB_POLL_SECONDS: "0.5", EXPORT_MAX_PER_DAY: "20" },
  });
  origin = new URL((await app.start()).url).origin;
  exec = executor(app);
});
afterAll(async () => {
  await app?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Starts an export and follows it through a live query until it is ready; every pushed state is kept. */
async function exportAndWait(user: TestUser) {
  const ws = connect(`${origin}/graphql`, user.token);
  try {
    const { id } = (await ok(exec, EXPORT, {}, user.token)).exportMyData;
    const watch = live(ws, LIVE, { id });
    const ready = await watch.until((d) => d?.node?.status === "ready" || d?.node?.status === "failed");
    watch.stop();
    return { id: id as string, node: ready.node, pushed: watch.results.map((r) => r.node) };
  } finally {
    await ws.dispose();
  }
}

async function seed(user: TestUser) {
  const agentId = (await ok(exec, `mutation { createAgent(input: { name: "Scout" }) { id } }`, {}, user.token))
    .createAgent.id;
  await ok(exec, `mutation($a: ID!) { addAgent(agentId: $a) { id } }`, { a: agentId }, user.token);
  await ok(
    exec,
    `mutation($i: ID!) { rate(itemType: "agent", itemId: $i, rating: 5) { id } }`,
    { i: agentId },
    user.token,
  );
  await ok(
    exec,
    `mutation { createMemory(input: { memoryType: fact, memoryKey: "favourite-tea", content: "Earl Grey" }) { id } }`,
    {},
    user.token,
  );
  await ok(
    exec,
    `mutation { importContent(source: twitter, items: [{ text: "hello export" }]) { items { id } } }`,
    {},
    user.token,
  );
  const conversation = (await ok(exec, `mutation { startConversation(title: "Chat") { id } }`, {}, user.token))
    .startConversation.id;
  await ok(
    exec,
    `mutation($c: ID!) { postMessage(conversationId: $c, content: "a message of mine") { id } }`,
    { c: conversation },
    user.token,
  );
  await ok(
    exec,
    `mutation { updatePrivacyPreferences(consentGiven: true, dataRetentionDays: 30) { consentGiven } }`,
    {},
    user.token,
  );
  const apiSecret = await createApiKey(exec, user, ["READ_PROFILE"]);
  const { secret } = (await ok(exec, `mutation { enrollTotp { secret } }`, {}, user.token)).enrollTotp;
  const code = new TOTP({ secret: Secret.fromBase32(secret) }).generate();
  const recovery: string[] = (
    await ok(exec, `mutation($c: String!) { confirmTotp(code: $c) }`, { c: code }, user.token)
  ).confirmTotp;
  const { userId, tenantId } = user;
  const p = app.db.prisma;
  await p.favorite.create({ data: { userId, tenantId, itemType: "agent", itemId: dbId(agentId) } });
  await p.usageLog.create({ data: { userId, tenantId, provider: "test", model: "m", tokensUsed: 7 } });
  await p.notification.create({
    data: { userId, tenantId, kind: "analysis_finished", title: "Done", body: "b", dedupeKey: "export-test" },
  });
  await p.file.create({
    data: {
      userId,
      tenantId,
      name: "notes.txt",
      size: 3n,
      mimeType: "text/plain",
      sha256: "0",
      storageKey: `u/${userId}/f/x`,
    },
  });
  return { apiSecret, totpSecret: secret, recovery };
}

describe("exportMyData", () => {
  it("writes every section of the user data map, without a secret, with progress pushed live", {
    timeout: 180_000,
  }, async () => {
    const owner = await createOwner(exec, "Exporter");
    const other = await createOwner(exec, "Neighbour");
    await ok(
      exec,
      `mutation { createMemory(input: { memoryType: fact, memoryKey: "not-yours", content: "Neighbour's secret" }) { id } }`,
      {},
      other.token,
    );
    const secrets = await seed(owner);

    const { node, pushed } = await exportAndWait(owner);
    expect(node).toMatchObject({ status: "ready", percent: 100 });
    expect(node.done).toBe(node.total);
    expect(node.total).toBeGreaterThan(10);
    for (let i = 1; i < pushed.length; i++) expect(pushed[i].percent).toBeGreaterThanOrEqual(pushed[i - 1].percent);

    const res = await fetch(`${origin}${node.downloadUrl}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="?userplane-export-/);
    const text = await res.text();
    const doc = JSON.parse(text);

    for (const t of USER_DATA) expect(doc, t.section).toHaveProperty(t.section);
    expect(doc.account).toMatchObject({ id: owner.userId, email: owner.email });
    expect(doc.profile).toMatchObject({ consentGiven: true, dataRetentionDays: 30 });
    expect(doc.memories.map((m: { memoryKey: string }) => m.memoryKey)).toEqual(["favourite-tea"]);
    expect(doc.messages[0].content).toBe("a message of mine");
    expect(doc.contentItems[0].text).toBe("hello export");
    for (const section of ["sessions", "apiKeys", "userAgents", "favorites", "ratings", "conversations"])
      expect(doc[section].length, section).toBeGreaterThan(0);
    expect(doc.usageLogs[0].tokensUsed).toBe(7);
    expect(doc.files[0]).toMatchObject({ name: "notes.txt", size: "3" });
    expect(doc.recoveryCodes).toHaveLength(10);
    expect(doc.auditEntries.map((a: { action: string }) => a.action)).toContain("account.data_export_requested");

    // Nothing secret: no column of a hash or secret, no value of one, and nobody else's rows.
    for (const column of ["passwordHash", "tokenHash", "keyHash", "codeHash", "totpSecret", "storageKey", "embedding"])
      expect(text).not.toContain(`"${column}"`);
    const user = await app.db.prisma.user.findUniqueOrThrow({ where: { id: owner.userId } });
    const sessions = await app.db.prisma.session.findMany({ where: { userId: owner.userId } });
    const forbidden = [
      user.passwordHash,
      user.totpSecret,
      secrets.totpSecret,
      secrets.apiSecret,
      owner.token,
      ...secrets.recovery,
      ...sessions.map((s) => s.tokenHash),
      "Neighbour's secret",
    ];
    for (const value of forbidden) expect(text).not.toContain(String(value));
  });

  it("shows the export and its URL to its owner alone, and refuses tampered, foreign and expired URLs", async () => {
    const admin = await createOwner(exec, "Admin");
    const member = await createMember(exec, admin, "Member");
    const stranger = await createOwner(exec, "Stranger");
    const { id, node } = await exportAndWait(member);
    const keyOfMember = await createApiKey(exec, member, ["READ_PROFILE", "READ_FILES", "ADMIN"].slice(0, 2));

    for (const [who, token] of [
      ["admin", admin.token],
      ["stranger", stranger.token],
      ["member's API key", keyOfMember],
      ["anonymous", null],
    ] as const) {
      const r = await exec(NODE, { id }, token);
      expect(r.data?.node ?? null, who).toBeNull();
      const list = await exec(`{ myDataExports(first: 50) { edges { node { id } } } }`, {}, token);
      expect(JSON.stringify(list.data ?? {}), who).not.toContain(id);
    }
    expect((await ok(exec, NODE, { id }, member.token)).node.id).toBe(id);

    const good = new URL(node.downloadUrl, origin);
    expect((await fetch(good)).status).toBe(200);
    const tampered = new URL(good);
    tampered.searchParams.set("expires", String(Number(good.searchParams.get("expires")) + 60));
    expect((await fetch(tampered)).status).toBe(403);
    // The same signature on a file's path, or on another export's id, opens nothing.
    expect((await fetch(new URL(good.pathname.replace("/exports/", "/files/") + good.search, origin))).status).toBe(
      403,
    );
    expect((await fetch(new URL(`/exports/${randomUUID()}${good.search}`, origin))).status).toBe(403);

    const secret = app.config.fileUrlSecret;
    const past = Math.floor(Date.now() / 1000) - 1;
    const expiredLink = signedPath(secret, dbId(id), past, "attachment", "export");
    const r = await fetch(new URL(expiredLink, origin));
    expect(r.status).toBe(403);
    expect(await r.text()).toBe("this link has expired");

    // A link still in date is refused once the export itself has expired; the field then gives none.
    await app.db.prisma.dataExport.update({
      where: { id: dbId(id) },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect((await fetch(good)).status).toBe(403);
    expect((await ok(exec, NODE, { id }, member.token)).node.downloadUrl).toBeNull();
  });

  it("removes an expired export, document and row, in the storage clean-up and not before", async () => {
    const owner = await createOwner(exec, "Leaver");
    const { id } = await exportAndWait(owner);
    const row = await app.db.prisma.dataExport.findUniqueOrThrow({ where: { id: dbId(id) } });
    const key = row.storageKey as string;
    expect(await app.services.files.storage.exists(key)).toBe(true);

    // Past the orphan grace period but before the expiry: a document with its row is no orphan.
    const early = await app.services.files.cleanup(new Date(Date.now() + 2 * 3600_000));
    expect(await app.services.files.storage.exists(key)).toBe(true);
    expect(await app.db.prisma.dataExport.count({ where: { id: row.id } })).toBe(1);
    expect(early.objectsScanned).toBeGreaterThanOrEqual(1);

    const afterExpiry = new Date((row.expiresAt as Date).getTime() + 1000);
    const report = await app.services.files.cleanup(afterExpiry);
    expect(report.exportsExpired).toBeGreaterThanOrEqual(1);
    expect(await app.services.files.storage.exists(key)).toBe(false);
    expect(await app.db.prisma.dataExport.count({ where: { id: row.id } })).toBe(0);
  });
});

describe("one export at a time, throttled", () => {
  let idle: App;
  let run: Execute;
  beforeAll(async () => {
    // No worker: exports stay queued, so "already running" holds as long as the test needs.
    idle = await createTestApp({ config: { RUN_WORKER: "false", EXPORT_QUEUE: queue(), EXPORT_MAX_PER_DAY: "2" } });
    run = executor(idle);
  });
  afterAll(() => idle?.stop());

  it("returns the export under way to a second request, and refuses past EXPORT_MAX_PER_DAY with RATE_LIMITED", async () => {
    const owner = await createOwner(run, "Eager");
    const [a, b] = await Promise.all([ok(run, EXPORT, {}, owner.token), ok(run, EXPORT, {}, owner.token)]);
    expect(a.exportMyData.id).toBe(b.exportMyData.id);
    expect(a.exportMyData.status).toBe("queued");
    const finish = (id: string) =>
      idle.db.prisma.dataExport.update({ where: { id: dbId(id) }, data: { status: "ready" } });
    await finish(a.exportMyData.id);

    const second = (await ok(run, EXPORT, {}, owner.token)).exportMyData;
    expect(second.id).not.toBe(a.exportMyData.id);
    await finish(second.id);

    const refused = await run(EXPORT, {}, owner.token);
    expect(codeOf(refused)).toBe("RATE_LIMITED");
    expect(refused.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    expect(await idle.db.prisma.dataExport.count({ where: { userId: owner.userId } })).toBe(2);
    const audited = await idle.db.prisma.auditLog.count({
      where: { userId: owner.userId, action: "account.data_export_requested" },
    });
    expect(audited).toBe(2);
  });
});

it("finishes an export queued before a restart in the app that comes up after it", { timeout: 240_000 }, async () => {
  const dir = tempDir();
  await seedPgliteDataDir(dir);
  const config = { DATA_DIR: dir, EXPORT_QUEUE: queue(), JOB_POLL_SECONDS: "0.5" };
  const first = await buildApp(testConfig({ ...config, RUN_WORKER: "false" }));
  const run = executor(first);
  const owner = await createOwner(run, "Patient");
  const { id } = (await ok(run, EXPORT, {}, owner.token)).exportMyData;
  await first.stop();

  const second = await buildApp(testConfig(config));
  try {
    await second.start();
    let row = await second.db.prisma.dataExport.findUniqueOrThrow({ where: { id: dbId(id) } });
    // Bounded by the test's timeout; the worker takes the job within a poll interval.
    while (row.status === "queued" || row.status === "running") {
      await new Promise((r) => setTimeout(r, 100));
      row = await second.db.prisma.dataExport.findUniqueOrThrow({ where: { id: dbId(id) } });
    }
    expect(row).toMatchObject({ status: "ready", attempts: 1, percent: 100 });
    const object = await second.services.files.storage.get(row.storageKey as string);
    const chunks: Buffer[] = [];
    for await (const c of object?.body ?? []) chunks.push(c as Buffer);
    expect(JSON.parse(Buffer.concat(chunks).toString()).account.email).toBe(owner.email);
  } finally {
    await second.stop();
  }
});
