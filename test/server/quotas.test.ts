// Quotas are standing limits whose periods roll over by themselves: a limit set in one month
// still binds in the next, with usage starting again from zero. Time is passed in, never waited for.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import {
  assertQuotaAvailable,
  consumeQuota,
  periodCovering,
  quotaCovering,
  setQuota,
} from "../../server/services/quota.ts";
import type { SignedInViewer } from "../../server/viewer.ts";
import { codeOf, createMember, createOwner, createTestApp, dbKind, type Execute, executor, ok } from "../kit.ts";

let app: App;
let exec: Execute;

beforeAll(async () => {
  app = await createTestApp();
  exec = executor(app);
});
afterAll(() => app?.stop());

const day = (iso: string) => new Date(`${iso}T12:00:00Z`);
const ymd = (d: Date) => d.toISOString().slice(0, 10);

async function adminViewer(): Promise<SignedInViewer> {
  const admin = await createOwner(exec);
  return { kind: "session", sessionId: "test", expiresAt: day("2099-01-01"), ...admin, roles: ["admin"] };
}

/** Charges in a transaction of its own, as a caller would; the error (if any) is returned. */
async function charge(tenantId: string, amount: number, now: Date, capAtLimit = false): Promise<unknown> {
  try {
    await app.db.prisma.$transaction((tx) => consumeQuota(tx, tenantId, "tokens", amount, { now, capAtLimit }));
    return null;
  } catch (e) {
    return (e as { extensions?: { code?: unknown } }).extensions?.code ?? e;
  }
}

describe(`quota periods (${dbKind})`, () => {
  it("computes UTC day, ISO week, month and year periods, both ends inclusive", () => {
    const p = (k: "day" | "week" | "month" | "year", d: string) => {
      const { start, end } = periodCovering(k, day(d));
      return [ymd(start), ymd(end)];
    };
    expect(p("day", "2030-02-28")).toEqual(["2030-02-28", "2030-02-28"]);
    expect(p("week", "2030-01-06")).toEqual(["2029-12-31", "2030-01-06"]); // a Sunday
    expect(p("week", "2029-12-31")).toEqual(["2029-12-31", "2030-01-06"]); // a Monday
    expect(p("month", "2028-02-10")).toEqual(["2028-02-01", "2028-02-29"]);
    expect(p("year", "2030-07-04")).toEqual(["2030-01-01", "2030-12-31"]);
  });

  it("a quota set in one month still binds in the next, starting again from zero", async () => {
    const viewer = await adminViewer();
    const { tenantId } = viewer;
    await setQuota(app.db.prisma, viewer, { quotaType: "tokens", quotaLimit: 100 }, day("2030-01-20"));

    expect(await charge(tenantId, 70, day("2030-01-25"))).toBeNull();
    expect(await charge(tenantId, 40, day("2030-01-31"))).toBe("QUOTA_EXCEEDED");
    await expect(
      assertQuotaAvailable(app.db.prisma, tenantId, "tokens", { now: day("2030-01-31"), needed: 31 }),
    ).rejects.toMatchObject({
      extensions: { code: "QUOTA_EXCEEDED" },
    });

    // February: the same limit, usage from zero; the refused January charge wrote nothing.
    const feb = await quotaCovering(app.db.prisma, tenantId, "tokens", day("2030-02-01"));
    expect(feb && [Number(feb.currentUsage), Number(feb.quotaLimit), ymd(feb.periodStart), ymd(feb.periodEnd)]).toEqual(
      [0, 100, "2030-02-01", "2030-02-28"],
    );
    expect(await charge(tenantId, 90, day("2030-02-01"))).toBeNull();
    expect(await charge(tenantId, 11, day("2030-02-14"))).toBe("QUOTA_EXCEEDED");
    const row = await app.db.prisma.quota.findFirstOrThrow({ where: { tenantId } });
    expect([Number(row.currentUsage), ymd(row.periodStart), ymd(row.periodEnd)]).toEqual([
      90,
      "2030-02-01",
      "2030-02-28",
    ]);

    // Months later, never touched in between: still limited, never unlimited.
    expect(await charge(tenantId, 101, day("2030-09-03"))).toBe("QUOTA_EXCEEDED");
    expect(await charge(tenantId, 100, day("2030-09-03"))).toBeNull();
  });

  it("charges what is left without refusing when asked to cap, within the period of now", async () => {
    const viewer = await adminViewer();
    await setQuota(app.db.prisma, viewer, { quotaType: "tokens", quotaLimit: 50, period: "day" }, day("2030-03-01"));
    expect(await charge(viewer.tenantId, 40, day("2030-03-01"))).toBeNull();
    expect(await charge(viewer.tenantId, 40, day("2030-03-01"), true)).toBeNull();
    expect(
      Number((await quotaCovering(app.db.prisma, viewer.tenantId, "tokens", day("2030-03-01")))?.currentUsage),
    ).toBe(50);
    // The next day is a new period.
    expect(await charge(viewer.tenantId, 30, day("2030-03-02"), true)).toBeNull();
    expect(
      Number((await quotaCovering(app.db.prisma, viewer.tenantId, "tokens", day("2030-03-02")))?.currentUsage),
    ).toBe(30);
  });

  it("changing the period kind keeps the usage of the period in course", async () => {
    const viewer = await adminViewer();
    await setQuota(app.db.prisma, viewer, { quotaType: "tokens", quotaLimit: 1000, period: "week" }, day("2030-04-02"));
    expect(await charge(viewer.tenantId, 600, day("2030-04-03"))).toBeNull();
    const q = await setQuota(
      app.db.prisma,
      viewer,
      { quotaType: "tokens", quotaLimit: 1000, period: "day" },
      day("2030-04-03"),
    );
    expect([q.period, Number(q.currentUsage), ymd(q.periodStart), ymd(q.periodEnd)]).toEqual([
      "day",
      600,
      "2030-04-03",
      "2030-04-03",
    ]);
    expect(await charge(viewer.tenantId, 401, day("2030-04-03"))).toBe("QUOTA_EXCEEDED");
    expect(await charge(viewer.tenantId, 401, day("2030-04-04"))).toBeNull();
  });

  it("a tenant without a quota is unlimited; another tenant's quota does not bind it", async () => {
    const limited = await adminViewer();
    const free = await adminViewer();
    await setQuota(app.db.prisma, limited, { quotaType: "tokens", quotaLimit: 1 }, day("2030-01-01"));
    expect(await charge(free.tenantId, 1_000_000, day("2030-05-01"))).toBeNull();
    expect(await quotaCovering(app.db.prisma, free.tenantId, "tokens", day("2030-05-01"))).toBeNull();
  });

  it("setQuota over GraphQL: one standing row per type with its period kind, read as of today", async () => {
    const admin = await createOwner(exec);
    const member = await createMember(exec, admin);
    const SET = `mutation($t: QuotaType!, $l: Float!, $p: QuotaPeriod) { setQuota(quotaType: $t, quotaLimit: $l, period: $p) { quotaType period quotaLimit currentUsage periodStart periodEnd } }`;
    const set = await ok(exec, SET, { t: "tokens", l: 500, p: "year" }, admin.token);
    const thisYear = new Date().getUTCFullYear();
    expect(set.setQuota).toEqual({
      quotaType: "tokens",
      period: "year",
      quotaLimit: 500,
      currentUsage: 0,
      periodStart: `${thisYear}-01-01`,
      periodEnd: `${thisYear}-12-31`,
    });
    // Without a period the kind stays what it was.
    expect((await ok(exec, SET, { t: "tokens", l: 700 }, admin.token)).setQuota.period).toBe("year");
    expect(codeOf(await exec(SET, { t: "tokens", l: 1, p: "decade" }, admin.token))).toBe("BAD_USER_INPUT");
    expect(codeOf(await exec(SET, { t: "tokens", l: 1 }, member.token))).toBe("FORBIDDEN");
    expect(await app.db.prisma.quota.count({ where: { tenantId: admin.tenantId } })).toBe(1);

    // A row last charged in an ended period reads as the period in course, with usage zero.
    await app.db.prisma.quota.updateMany({
      where: { tenantId: admin.tenantId },
      data: { currentUsage: 700, isExceeded: true, periodStart: day("2001-01-01"), periodEnd: day("2001-12-31") },
    });
    const Q = `{ quotas { edges { node { period currentUsage isExceeded periodStart } } } }`;
    expect((await ok(exec, Q, {}, member.token)).quotas.edges[0].node).toEqual({
      period: "year",
      currentUsage: 0,
      isExceeded: false,
      periodStart: `${thisYear}-01-01`,
    });
  });
});
