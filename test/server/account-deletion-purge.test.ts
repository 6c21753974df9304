// The purge after the grace period, with time passed in (never waited for): nothing before the
// date, everything of the user after it (rows, files and their objects, every uuid column in every
// table), what the tenant keeps without the person, a workspace whose only member left, passes that
// are idempotent and safe to run twice at once, and the durable job. The foreign keys to users are
// pinned here, so a new table must decide what the purge does with its rows.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { App } from "../../server/app.ts";
import { DELETED_USER_ID, PURGE_QUEUE } from "../../server/services/account/purge.ts";
import {
  codeOf,
  createMember,
  createOwner,
  createTestApp,
  dbKind,
  type Execute,
  executor,
  ok,
  type TestUser,
} from "../kit.ts";
import { fakePng, upload } from "../support/files.ts";

let app: App;
let exec: Execute;
let base: string;
let dataDir: string;
const GRACE_DAYS = 10;
const DAY = 86_400_000;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "userplane-purge-"));
  app = await createTestApp({
    config: {
      DATA_DIR: dataDir,
      RUN_WORKER: "true",
      ACCOUNT_DELETION_GRACE_DAYS: String(GRACE_DAYS),
      ACCOUNT_PURGE_CRON: "5 4 * * *",
      STORAGE_CLEANUP_CRON: "off",
      RETENTION_CRON: "off",
      WORKSPACE_STALE_CRON: "off",
      JOB_POLL_SECONDS: "0.5",
    },
  });
  exec = executor(app);
  const { port } = await app.start();
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await app?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const DELETE = `mutation($p: String!) { deleteMyAccount(password: $p) { purgeAfter tenantDeletedToo } }`;
const CANCEL = `mutation($e: String!, $p: String!) { cancelAccountDeletion(email: $e, password: $p) { token } }`;
const purge = (daysFromNow: number) =>
  app.services.account.purge.run({ now: new Date(Date.now() + daysFromNow * DAY) });

async function objects(): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of app.services.files.storage.list()) keys.push(o.key);
  return keys;
}

async function putFile(user: TestUser, size: number) {
  const r = await upload(base, fakePng(size), "p.png", { token: user.token });
  if (r.errors?.length) throw new Error(JSON.stringify(r.errors));
  return r.data.uploadFile.id as string;
}

/** Rows of every uuid column of every table that still hold `id`. */
async function leftovers(id: string): Promise<string[]> {
  const cols = await app.db.prisma.$queryRaw<{ t: string; c: string }[]>`
    SELECT table_name AS t, column_name AS c FROM information_schema.columns
    WHERE table_schema = current_schema() AND data_type = 'uuid'`;
  const found: string[] = [];
  for (const { t, c } of cols) {
    const [r] = await app.db.prisma.$queryRawUnsafe<{ n: bigint }[]>(
      `SELECT count(*) AS n FROM "${t}" WHERE "${c}" = $1::uuid`,
      id,
    );
    if (Number(r?.n) > 0) found.push(`${t}.${c}`);
  }
  return found;
}

describe(`the purge of deleted accounts (${dbKind})`, () => {
  it("removes nothing before the grace period ends and everything of the user after it", async () => {
    const admin = await createOwner(exec, "Stayer");
    await ok(exec, `mutation { setQuota(quotaType: storage_gb, quotaLimit: 1000000000) { id } }`, {}, admin.token);
    const member = await createMember(exec, admin, "Goer");
    // The member reads the admin's data: the admin's access log keeps that, without the member's id.
    await ok(exec, `{ me { tenant { members(first: 10) { edges { node { displayName } } } } } }`, {}, member.token);
    await app.services.accessLog.flush();
    await putFile(member, 3000);
    const adminFile = await putFile(admin, 1000);
    const keys = (await app.db.prisma.file.findMany({ where: { userId: member.userId } })).map((f) => f.storageKey);
    expect(keys).toHaveLength(1);
    // Planted directly: the point is that the purge finds it, not how memories are written.
    await app.db.prisma.memory.create({
      data: {
        userId: member.userId,
        tenantId: admin.tenantId,
        memoryType: "fact",
        memoryKey: "k",
        memoryValue: { a: 1 },
        content: "likes tea",
        embedding: [],
        embeddingModel: "test",
      },
    });
    await app.db.prisma.usageLog.create({
      data: {
        userId: member.userId,
        tenantId: admin.tenantId,
        provider: "test",
        model: "m-1",
        tokensUsed: 70,
        cost: 0.5,
      },
    });
    await ok(exec, DELETE, { p: member.password }, member.token);
    const memberAudit = await app.db.prisma.auditLog.findMany({ where: { userId: member.userId } });
    expect(memberAudit.length).toBeGreaterThan(1);

    expect((await purge(GRACE_DAYS - 1)).purged).toBe(0);
    expect(await app.db.prisma.user.count({ where: { id: member.userId } })).toBe(1);
    expect(await objects()).toEqual(expect.arrayContaining(keys));

    const report = await purge(GRACE_DAYS + 1);
    expect(report.purged).toBeGreaterThanOrEqual(1);
    expect(report.failed).toBe(0);
    expect(await leftovers(member.userId)).toEqual([]);
    const left = await objects();
    for (const k of keys) expect(left).not.toContain(k);

    // What the tenant keeps, without the person.
    const kept = await app.db.prisma.auditLog.findMany({ where: { id: { in: memberAudit.map((a) => a.id) } } });
    expect(kept).toHaveLength(memberAudit.length);
    for (const a of kept) {
      expect(a.userId).toBeNull();
      expect(a.ipAddress).toBeNull();
      expect(a.userAgent).toBeNull();
      expect(JSON.stringify(a.metadata)).not.toContain(member.email);
    }
    const read = await app.db.prisma.dataAccessLog.findFirstOrThrow({
      where: { subjectUserId: admin.userId, actorDisplay: "Goer" },
    });
    expect(read.actorUserId).toBeNull();
    // Both roll-ups keep the member's totals, under the nil user.
    for (const usage of [
      await app.db.prisma.usageMonthly.findMany({ where: { tenantId: admin.tenantId } }),
      await app.db.prisma.usageDaily.findMany({ where: { tenantId: admin.tenantId } }),
    ])
      expect(usage).toEqual([
        expect.objectContaining({ userId: DELETED_USER_ID, model: "m-1", calls: 1, tokens: 70n }),
      ]);
    expect(
      await app.db.prisma.auditLog.count({ where: { tenantId: admin.tenantId, action: "user.purged", userId: null } }),
    ).toBe(1);
    // The tenant, its admin and their file stay; its storage level lost the member's bytes only.
    const files = await ok(exec, `{ files { edges { node { id } } } }`, {}, admin.token);
    expect(files.files.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([adminFile]);
    const quota = await app.db.prisma.quota.findFirstOrThrow({
      where: { tenantId: admin.tenantId, quotaType: "storage_gb" },
    });
    expect(quota.currentUsage).toBe(1000n);

    // Purged for good: a cancel or a sign-in now answers as for an unknown address.
    expect(codeOf(await exec(CANCEL, { e: member.email, p: member.password }))).toBe("UNAUTHENTICATED");
    expect((await purge(GRACE_DAYS + 1)).purged).toBe(0);
  }, 120_000);

  it("a workspace whose only member is purged goes with them, files and all", async () => {
    const owner = await createOwner(exec, "Only");
    await putFile(owner, 2000);
    const keys = (await app.db.prisma.file.findMany({ where: { tenantId: owner.tenantId } })).map((f) => f.storageKey);
    const d = await ok(exec, DELETE, { p: owner.password }, owner.token);
    expect(d.deleteMyAccount.tenantDeletedToo).toBe(true);
    const report = await purge(GRACE_DAYS + 1);
    expect(report.tenantsDeleted).toBeGreaterThanOrEqual(1);
    expect(await app.db.prisma.tenant.count({ where: { id: owner.tenantId } })).toBe(0);
    expect(await leftovers(owner.tenantId)).toEqual([]);
    const left = await objects();
    for (const k of keys) expect(left).not.toContain(k);
  });

  it("cancelling is refused once the grace period has passed, even before the purge ran", async () => {
    const owner = await createOwner(exec, "Late");
    await ok(exec, DELETE, { p: owner.password }, owner.token);
    await app.db.prisma.user.update({
      where: { id: owner.userId },
      data: { deletedAt: new Date(Date.now() - (GRACE_DAYS + 1) * DAY) },
    });
    expect(codeOf(await exec(CANCEL, { e: owner.email, p: owner.password }))).toBe("UNAUTHENTICATED");
    expect((await app.db.prisma.user.findUniqueOrThrow({ where: { id: owner.userId } })).deletedAt).not.toBeNull();
    await purge(0);
  });

  it("two passes at once purge each user once, and a cancelled user is never purged", async () => {
    const a = await createOwner(exec, "Twice");
    const b = await createOwner(exec, "Changed");
    await ok(exec, DELETE, { p: a.password }, a.token);
    await ok(exec, DELETE, { p: b.password }, b.token);
    await ok(exec, CANCEL, { e: b.email, p: b.password });
    const [r1, r2] = await Promise.all([purge(GRACE_DAYS + 1), purge(GRACE_DAYS + 1)]);
    expect(r1.failed + r2.failed).toBe(0);
    expect(await app.db.prisma.user.count({ where: { id: a.userId } })).toBe(0);
    expect(await app.db.prisma.user.count({ where: { id: b.userId } })).toBe(1);
  });

  it("runs as a durable job scheduled once for the fleet (ACCOUNT_PURGE_CRON, UTC)", async () => {
    const queue = await app.services.jobs.queue();
    const schedules = await queue.boss.getSchedules(PURGE_QUEUE);
    expect(schedules.map((s) => [s.name, s.cron, s.timezone])).toEqual([[PURGE_QUEUE, "5 4 * * *", "UTC"]]);
    const owner = await createOwner(exec, "Queued");
    await ok(exec, DELETE, { p: owner.password }, owner.token);
    await app.db.prisma.user.update({
      where: { id: owner.userId },
      data: { deletedAt: new Date(Date.now() - (GRACE_DAYS + 1) * DAY) },
    });
    const id = await app.services.account.purge.enqueue();
    expect(id).toBeTruthy();
    await vi.waitFor(async () => expect(await app.db.prisma.user.count({ where: { id: owner.userId } })).toBe(0), {
      timeout: 30_000,
      interval: 200,
    });
  });

  it("every foreign key to users has its decided purge rule", async () => {
    const rows = await app.db.prisma.$queryRaw<{ t: string; c: string; rule: string }[]>`
      SELECT cl.relname AS t, a.attname AS c, c.confdeltype::text AS rule
      FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
      WHERE c.contype = 'f' AND c.confrelid = 'users'::regclass`;
    const found = Object.fromEntries(
      rows.map((r) => [`${r.t}.${r.c}`, r.rule === "c" ? "cascade" : r.rule === "n" ? "set null" : r.rule]),
    );
    // cascade: the user's own rows, gone with them. set null: the tenant's record, kept without them.
    expect(found).toEqual({
      "account_tokens.user_id": "cascade",
      "analysis_results.user_id": "cascade",
      "analysis_runs.user_id": "cascade",
      "api_keys.user_id": "cascade",
      "audit_logs.user_id": "set null",
      "content_items.user_id": "cascade",
      "conversations.user_id": "cascade",
      "data_exports.user_id": "cascade",
      "favorites.user_id": "cascade",
      "files.user_id": "cascade",
      "invites.accepted_by": "set null",
      "invites.created_by": "cascade",
      "memories.user_id": "cascade",
      "messages.user_id": "cascade",
      "notifications.user_id": "cascade",
      "profiles.user_id": "cascade",
      "rate_limit_configs.user_id": "cascade",
      "rating_helpful_votes.user_id": "cascade",
      "ratings.user_id": "cascade",
      "recovery_codes.user_id": "cascade",
      "role_assignments.created_by": "set null",
      "role_assignments.user_id": "cascade",
      "sessions.user_id": "cascade",
      "usage_logs.user_id": "cascade",
      "user_agents.user_id": "cascade",
      "webhook_endpoints.created_by": "set null",
      "workspaces.user_id": "cascade",
    });
    // The transparency log's rows go with their subject by a trigger instead (a foreign key checked
    // each inserted row on its own); test/server/access-log.test.ts shows them go.
    const triggers = await app.db.prisma.$queryRaw<{ name: string }[]>`
      SELECT tgname AS name FROM pg_trigger WHERE tgrelid = 'users'::regclass AND NOT tgisinternal`;
    expect(triggers.map((t) => t.name)).toContain("data_access_log_subject_deleted");
  });
});
