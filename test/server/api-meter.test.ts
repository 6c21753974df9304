// The api_calls meter counts every operation made with an API key, in memory, and adds the counts to
// the database in batches: exactly once under concurrent requests and concurrent flushes, across
// two instances on one PostgreSQL, and into the period the calls were made in (time is moved, not
// waited for). The users meter refuses invites and sign-ups beyond the tenant's seats.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildApp } from "../../server/app.ts";
import { setQuota } from "../../server/services/quota.ts";
import type { SignedInViewer } from "../../server/viewer.ts";
import {
  codeOf,
  createApiKey,
  createMember,
  createOwner,
  createTestApp,
  dbKind,
  type Execute,
  executor,
  ok,
  type TestUser,
  testConfig,
  uniqueEmail,
} from "../kit.ts";

let app: App;
let exec: Execute;

// A flush interval no test reaches: every flush here is asked for.
const CONFIG = { API_METER_FLUSH_MS: "600000" };

beforeAll(async () => {
  app = await createTestApp({ config: CONFIG });
  exec = executor(app);
});
afterAll(() => app?.stop());

const day = (iso: string) => new Date(`${iso}T12:00:00Z`);
const viewerOf = (u: TestUser): SignedInViewer => ({
  kind: "session",
  sessionId: "test",
  expiresAt: day("2099-01-01"),
  userId: u.userId,
  tenantId: u.tenantId,
  roles: ["admin"],
});

const ME = `{ me { id } }`;

async function counts(tenantId: string) {
  const rows = await app.db.prisma.apiCallCount.findMany({ where: { tenantId }, orderBy: { day: "asc" } });
  return rows.map((r) => [r.day.toISOString().slice(0, 10), Number(r.calls)]);
}
async function usage(tenantId: string) {
  const q = await app.db.prisma.quota.findUnique({
    where: { tenantId_quotaType: { tenantId, quotaType: "api_calls" } },
  });
  return q && [Number(q.currentUsage), q.periodStart.toISOString().slice(0, 10)];
}

describe(`api_calls meter (${dbKind})`, () => {
  it("counts API-key operations only, in memory until a flush", async () => {
    const owner = await createOwner(exec);
    const key = await createApiKey(exec, owner, ["READ_PROFILE"]);
    app.services.apiMeter.now = () => day("2031-05-10");
    await ok(exec, ME, {}, owner.token); // a session: not counted
    for (let i = 0; i < 3; i++) await ok(exec, ME, {}, key);
    expect(codeOf(await exec(`{ me { nope } }`, {}, key))).toBe("GRAPHQL_VALIDATION_FAILED"); // never ran
    expect(await counts(owner.tenantId)).toEqual([]);
    await app.services.apiMeter.flush();
    expect(await counts(owner.tenantId)).toEqual([["2031-05-10", 3]]);
    await app.services.apiMeter.flush(); // nothing new: nothing added twice
    expect(await counts(owner.tenantId)).toEqual([["2031-05-10", 3]]);
  });

  it("counts each call once under concurrent requests and concurrent flushes", async () => {
    const owner = await createOwner(exec);
    await setQuota(
      app.db.prisma,
      viewerOf(owner),
      { quotaType: "api_calls", quotaLimit: 1_000_000 },
      day("2031-06-01"),
    );
    const keys = await Promise.all([1, 2].map(() => createApiKey(exec, owner, ["READ_PROFILE"])));
    app.services.apiMeter.now = () => day("2031-06-02");
    const N = 60;
    await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        await ok(exec, ME, {}, keys[i % 2]);
        if (i % 7 === 0) await app.services.apiMeter.flush();
      }),
    );
    await Promise.all([app.services.apiMeter.flush(), app.services.apiMeter.flush()]);
    expect((await counts(owner.tenantId)).reduce((s, [, n]) => s + Number(n), 0)).toBe(N);
    expect(await usage(owner.tenantId)).toEqual([N, "2031-06-01"]);
  });

  it("refuses with QUOTA_EXCEEDED once the quota is used up, and starts again in the next period", async () => {
    const owner = await createOwner(exec);
    await setQuota(
      app.db.prisma,
      viewerOf(owner),
      { quotaType: "api_calls", quotaLimit: 5, period: "day" },
      day("2031-07-01"),
    );
    const key = await createApiKey(exec, owner, ["READ_PROFILE"]);
    app.services.apiMeter.now = () => day("2031-07-01");
    for (let i = 0; i < 3; i++) await ok(exec, ME, {}, key);
    await app.services.apiMeter.flush();
    await ok(exec, ME, {}, key);
    await ok(exec, ME, {}, key);
    const refused = await exec(ME, {}, key);
    expect(codeOf(refused)).toBe("QUOTA_EXCEEDED");
    expect(refused.data ?? null).toBeNull();
    await ok(exec, ME, {}, owner.token); // the signed-in user is not metered
    // Calls of the 1st flushed on the 2nd belong to the 1st; the 2nd starts from zero.
    app.services.apiMeter.now = () => day("2031-07-02");
    await ok(exec, ME, {}, key);
    await app.services.apiMeter.flush();
    expect(await counts(owner.tenantId)).toEqual([
      ["2031-07-01", 5],
      ["2031-07-02", 1],
    ]);
    expect(await usage(owner.tenantId)).toEqual([1, "2031-07-02"]);
  });

  it("moves a week quota into the week of the calls, Monday first", async () => {
    const owner = await createOwner(exec);
    await setQuota(
      app.db.prisma,
      viewerOf(owner),
      { quotaType: "api_calls", quotaLimit: 100, period: "week" },
      day("2031-06-25"),
    );
    const key = await createApiKey(exec, owner, ["READ_PROFILE"]);
    app.services.apiMeter.now = () => day("2031-07-02"); // a Wednesday
    await ok(exec, ME, {}, key);
    await app.services.apiMeter.flush();
    expect(await usage(owner.tenantId)).toEqual([1, "2031-06-30"]);
  });

  it("adds what is left when the server stops", async () => {
    const sql: string[] = [];
    const own = await createTestApp({ config: CONFIG, onQuery: (q) => sql.push(q) });
    const e = executor(own);
    const owner = await createOwner(e);
    const key = await createApiKey(e, owner, ["READ_PROFILE"]);
    for (let i = 0; i < 4; i++) await ok(e, ME, {}, key);
    expect(sql.some((q) => q.includes("api_call_counts"))).toBe(false);
    await own.stop();
    expect(sql.some((q) => q.includes("INSERT INTO api_call_counts"))).toBe(true);
    if (dbKind === "postgres") {
      const rows = await app.db.prisma.apiCallCount.findMany({ where: { tenantId: owner.tenantId } });
      expect(rows.map((r) => Number(r.calls))).toEqual([4]);
    }
  });
});

describe.skipIf(dbKind !== "postgres")("api_calls across instances (postgres)", () => {
  it("two instances each add their own counts, none lost or doubled", async () => {
    const second = await buildApp(testConfig(CONFIG));
    try {
      const owner = await createOwner(exec);
      await setQuota(
        app.db.prisma,
        viewerOf(owner),
        { quotaType: "api_calls", quotaLimit: 1_000_000 },
        day("2031-08-01"),
      );
      for (const a of [app, second]) a.services.apiMeter.now = () => day("2031-08-03");
      const key = await createApiKey(exec, owner, ["READ_PROFILE"]);
      const execs = [exec, executor(second)];
      const N = 40;
      await Promise.all(Array.from({ length: N }, (_, i) => ok(execs[i % 2] as Execute, ME, {}, key)));
      await Promise.all([app.services.apiMeter.flush(), second.services.apiMeter.flush()]);
      expect(await counts(owner.tenantId)).toEqual([["2031-08-03", N]]);
      expect((await usage(owner.tenantId))?.[0]).toBe(N);
    } finally {
      await second.stop();
    }
  });
});

describe(`users meter (${dbKind})`, () => {
  const SIGN_UP = `mutation($email: String!, $t: String) {
    signUp(email: $email, password: "correct horse battery staple", displayName: "New", inviteToken: $t) { token }
  }`;

  it("refuses invites beyond the seats left, counting open invites", async () => {
    const owner = await createOwner(exec);
    await setQuota(app.db.prisma, viewerOf(owner), { quotaType: "users", quotaLimit: 3 });
    await createMember(exec, owner); // 2 members
    await ok(exec, `mutation { createInvite { token } }`, {}, owner.token); // holds the 3rd seat
    const r = await exec(`mutation { createInvite { token } }`, {}, owner.token);
    expect(codeOf(r)).toBe("QUOTA_EXCEEDED");
    const q = await app.db.prisma.quota.findFirstOrThrow({ where: { tenantId: owner.tenantId, quotaType: "users" } });
    expect(Number(q.currentUsage)).toBe(2);
  });

  it("refuses a sign-up by invite when the seats were taken since (concurrent sign-ups take one seat each)", async () => {
    const owner = await createOwner(exec);
    const invites = await Promise.all(
      [0, 1, 2].map(() => ok(exec, `mutation { createInvite { token } }`, {}, owner.token)),
    );
    // The limit is lowered after the invites were handed out: 1 seat left for 3 invitees.
    await setQuota(app.db.prisma, viewerOf(owner), { quotaType: "users", quotaLimit: 2 });
    const results = await Promise.all(
      invites.map((i) => exec(SIGN_UP, { email: uniqueEmail("late"), t: i.createInvite.token })),
    );
    const codes = results.map((r) => codeOf(r) ?? "ok").sort();
    expect(codes).toEqual(["QUOTA_EXCEEDED", "QUOTA_EXCEEDED", "ok"]);
    const members = await app.db.prisma.roleAssignment.count({ where: { tenantId: owner.tenantId } });
    expect(members).toBe(2);
    const q = await app.db.prisma.quota.findFirstOrThrow({ where: { tenantId: owner.tenantId, quotaType: "users" } });
    expect([Number(q.currentUsage), q.isExceeded]).toEqual([2, true]);
  });
});
