// What the privacy transparency log costs on the request path. An admin reads every member's
// sessions and profiles (each row a read that is noted) in one process, in interleaved rounds with
// the log's note() on and replaced by a no-op, so machine load drifts hit both alike; a member's
// reads of their own data (the common case, which the plugin only has to tell apart) are timed
// the same way. Per round: this process's CPU time per request (less sensitive to the other
// processes of a shared machine than wall time) and the machine's load. note() is also timed
// alone. Embedded PGlite; set DATABASE_URL for PostgreSQL.
import os from "node:os";
import { buildApp } from "../server/app.ts";
import { loadConfig } from "../server/config.ts";
import type { SignedInViewer } from "../server/viewer.ts";
import { createMember, createOwner, executor, type TestUser } from "../test/kit.ts";

const REQUESTS = Number(process.env.REQUESTS ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const SESSIONS = Number(process.env.SESSIONS ?? 100);
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

const app = await buildApp(
  loadConfig({ ...process.env, NODE_ENV: "test", LOG_LEVEL: "warn", RUN_WORKER: "false", METRICS: "false" }),
  { memoryDatabase: true },
);
const exec = executor(app);
const admin = await createOwner(exec, "Admin");
const members: TestUser[] = [];
for (let i = 0; i < 5; i++) members.push(await createMember(exec, admin, `Member${i}`));
await app.db.prisma.session.createMany({
  data: Array.from({ length: SESSIONS }, (_, i) => {
    const m = members[i % members.length] as TestUser;
    return {
      userId: m.userId,
      tenantId: m.tenantId,
      tokenHash: `bench-${i}`,
      expiresAt: new Date(Date.now() + 86_400_000),
    };
  }),
});
const member = members[0] as TestUser;

const ADMIN = `{ sessions(allInTenant: true, first: 100) { edges { node { id ipAddress user { displayName profile { jobTitle } } } } } }`;
const OWN = `{ me { displayName profile { jobTitle } } sessions(first: 100) { edges { node { id ipAddress } } } }`;

const realNote = app.services.accessLog.note;
async function round(query: string, token: string, on: boolean) {
  app.services.accessLog.note = on ? realNote : () => {};
  const cpu = process.cpuUsage();
  const t = performance.now();
  for (let i = 0; i < REQUESTS; i++) {
    const r = await exec(query, {}, token);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
  }
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - t;
  await app.services.accessLog.flush();
  return { cpuMs: (used.user + used.system) / 1000 / REQUESTS, wallMs: wall / REQUESTS };
}

const rows = (await exec(ADMIN, {}, admin.token)).data as { sessions: { edges: unknown[] } };
console.log(
  `admin query reads ${rows.sessions.edges.length} sessions of ${members.length} members with their users and profiles; ${REQUESTS} requests a round`,
);
for (const [name, query, token] of [
  ["admin reads members' data (noted)", ADMIN, admin.token],
  ["member reads own data (not noted)", OWN, member.token],
] as const) {
  const totals = { on: [] as number[], off: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const on of r % 2 ? [false, true] : [true, false]) {
      const m = await round(query, token, on);
      totals[on ? "on" : "off"].push(m.cpuMs);
      console.log(
        `${name}, log ${on ? "on " : "off"}: ${m.cpuMs.toFixed(2)} ms CPU/request, ${m.wallMs.toFixed(1)} ms wall; load ${load()}`,
      );
    }
  }
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(
    `${name}: on ${avg(totals.on).toFixed(2)} vs off ${avg(totals.off).toFixed(2)} ms CPU/request (${(((avg(totals.on) - avg(totals.off)) / avg(totals.off)) * 100).toFixed(1)}%)`,
  );
}

const viewer: SignedInViewer = {
  kind: "session",
  userId: admin.userId,
  tenantId: admin.tenantId,
  roles: [],
  sessionId: "s",
  expiresAt: new Date(),
};
const request = { ip: "127.0.0.1", userAgent: "bench", referrer: null };

// The writer's flush alone: what this process spends to write what requests noted (on PGlite,
// the database's own work too, since it runs in this process). FLUSH_ENTRIES entries, 15 per
// request scope (5 members x 3 types), in batches as the timer writes them.
const FLUSH_ENTRIES = Number(process.env.FLUSH_ENTRIES ?? 30_000);
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < FLUSH_ENTRIES; i += 15) {
    const scope = {};
    for (const m of members)
      for (const resource of ["Session", "User", "Profile"])
        realNote(
          scope,
          viewer,
          request,
          { subjectUserId: m.userId, resource, operationType: "query", operationName: null },
          () => "sessions",
        );
  }
  const queued = app.services.accessLog.pending();
  const cpu = process.cpuUsage();
  const t = performance.now();
  await app.services.accessLog.flush();
  const used = process.cpuUsage(cpu);
  console.log(
    `flush alone: ${queued} entries, ${(((used.user + used.system) / 1000 / queued) * 1000).toFixed(1)} ms CPU per 1,000 entries, ${(performance.now() - t).toFixed(0)} ms wall; load ${load()}`,
  );
}

// note() alone: 100 subjects x 3 types per request scope, the shape of the admin query above.
const N = 90_000;
const t = performance.now();
for (let i = 0; i < N; i += 300) {
  const scope = {};
  for (let j = 0; j < 300; j++)
    realNote(
      scope,
      viewer,
      request,
      {
        subjectUserId: `u${j % 100}`,
        resource: ["Session", "User", "Profile"][j % 3] as string,
        operationType: "query",
        operationName: null,
      },
      () => "sessions",
    );
}
const perNote = ((performance.now() - t) * 1000) / N;
console.log(
  `note() alone: ${perNote.toFixed(2)} µs per call (${N} calls, ${app.services.accessLog.pending()} distinct entries queued); load ${load()}`,
);
// Not written: the bench's queue goes nowhere.
app.services.accessLog.note = () => {};
(app.services.accessLog as { flush: () => Promise<void> }).flush = async () => {};
(app.services.accessLog as { stop: () => Promise<void> }).stop = async () => {};
await app.stop();
