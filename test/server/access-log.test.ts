// The privacy transparency log: reads of a member's data by others (admins, other members, API
// keys) are written once per request and subject, listing the types read, changes by others come
// from the audit log, and
// the trail is its member's alone over every door (list, node(id), WebSocket).
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { createClient } from "graphql-ws";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import type { App } from "../../server/app.ts";
import { applyMigrations } from "../../server/db/engine.ts";
import { MIGRATIONS_DIR } from "../../server/db/migrations.ts";
import { createLogger } from "../../server/logger.ts";
import { createAccessLog } from "../../server/services/access-log.ts";
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
} from "../kit.ts";

let app: App;
let exec: Execute;

beforeAll(async () => {
  // The timer never fires in these tests: every write below is an explicit flush (or the drain).
  app = await createTestApp({ config: { ACCESS_LOG_FLUSH_MS: "600000" } });
  exec = executor(app);
});
afterAll(() => app?.stop());

const TRAIL = `query Trail($kind: DataAccessKind, $first: Int, $after: String, $since: DateTime, $until: DateTime) {
  myDataAccessLog(kind: $kind, first: $first, after: $after, since: $since, until: $until) {
    edges { cursor node { id kind actorKind actorName resources resource action operationName ipAddress userAgent at } }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface Entry {
  id: string;
  kind: string;
  actorKind: string;
  actorName: string;
  resources: string[];
  /** Deprecated: the first of `resources`. */
  resource: string;
  action: string;
  operationName: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  at: string;
}

async function trail(user: TestUser, vars: Record<string, unknown> = {}): Promise<Entry[]> {
  await app.services.accessLog.flush();
  const d = await ok(exec, TRAIL, { first: 100, ...vars }, user.token);
  return d.myDataAccessLog.edges.map((e: { node: Entry }) => e.node);
}

const reads = (entries: Entry[]) => entries.filter((e) => e.kind === "read");

/** A memory as createMemory leaves it, without loading the embedding model (slow on a busy machine). */
async function memoryOf(user: TestUser) {
  await app.db.prisma.memory.create({
    data: {
      userId: user.userId,
      tenantId: user.tenantId,
      memoryType: "fact",
      memoryKey: "k",
      content: "c",
      memoryValue: { content: "c" },
      embedding: [1],
      embeddingModel: "test",
    },
  });
}

async function team() {
  const admin = await createOwner(exec, "Admin");
  const member = await createMember(exec, admin, "Member");
  return { admin, member };
}

describe(`the privacy transparency log (${dbKind})`, () => {
  it("records an admin reading a member's sessions, with who, what, how and from where", async () => {
    const { admin, member } = await team();
    await ok(
      exec,
      `query AdminSessions { sessions(allInTenant: true) { edges { node { id ipAddress } } } }`,
      {},
      admin.token,
    );
    const entries = reads(await trail(member));
    expect(entries).toEqual([
      expect.objectContaining({
        kind: "read",
        actorKind: "user",
        actorName: "Admin",
        resources: ["Session"],
        resource: "Session",
        action: "sessions",
        operationName: "AdminSessions",
        userAgent: expect.stringContaining("Mozilla"),
      }),
    ]);
    // The admin's reads of their own sessions in the same request are not in their trail.
    expect(reads(await trail(admin))).toEqual([]);
  });

  it("does not record a member reading their own data", async () => {
    const { member } = await team();
    await memoryOf(member);
    await ok(
      exec,
      `{ me { displayName email profile { jobTitle country } roles { role } } sessions { edges { node { id } } } memories(first: 10) { edges { node { content } } } }`,
      {},
      member.token,
    );
    expect(await trail(member)).toEqual([]);
  });

  it("records API keys, the member's own included, by the key's name", async () => {
    const { member } = await team();
    await memoryOf(member);
    const key = await createApiKey(exec, member, ["READ_MEMORIES", "READ_PROFILE"]);
    await ok(
      exec,
      `query Sync { memories(first: 10) { edges { node { content } } } me { profile { jobTitle } } }`,
      {},
      key,
    );
    const entries = reads(await trail(member));
    expect(entries.map((e) => [e.actorKind, e.actorName, e.resources, e.operationName])).toEqual([
      ["api_key", "test", ["Memory", "Profile", "User"], "Sync"],
    ]);
  });

  it("writes one entry per actor, subject and operation per request, however many rows, types and fields", async () => {
    const { admin, member } = await team();
    const q = `query Twice {
      a: sessions(allInTenant: true) { edges { node { id } } }
      b: sessions(allInTenant: true) { edges { node { ipAddress browser } } }
      me { tenant { members(first: 10) { edges { node { displayName email } } } } }
    }`;
    // A second session of the member: two Session rows, still one entry.
    await ok(exec, `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }`, {
      e: member.email,
      p: member.password,
    });
    await ok(exec, q, {}, admin.token);
    const once = reads(await trail(member));
    expect(once.map((e) => e.resources)).toEqual([["Session", "User"]]);
    await ok(exec, q, {}, admin.token);
    expect(reads(await trail(member)).map((e) => e.resources)).toEqual([
      ["Session", "User"],
      ["Session", "User"],
    ]);
  });

  it("writes an admin's listing of members with their profiles as one row per member, both types in it", async () => {
    const { admin, member } = await team();
    const other = await createMember(exec, admin, "Other");
    await ok(
      exec,
      `query Members { me { tenant { members(first: 10) { edges { node { displayName profile { jobTitle } } } } } } }`,
      {},
      admin.token,
    );
    await app.services.accessLog.flush();
    for (const m of [member, other]) {
      const rows = await app.db.prisma.dataAccessLog.findMany({ where: { subjectUserId: m.userId } });
      expect(rows.map((r) => [r.resources, r.field, r.operationName])).toEqual([
        [["Profile", "User"], "me", "Members"],
      ]);
    }
    // Prisma's list filters read the column: the rows that name a type.
    expect(
      await app.db.prisma.dataAccessLog.count({ where: { tenantId: admin.tenantId, resources: { has: "Profile" } } }),
    ).toBe(2);
  });

  it("starts a second row for a type noted after its subject's entry was taken by a flush, and loses none", async () => {
    const { admin, member } = await team();
    // A writer of its own whose statement waits until let go: a note can arrive while its batch is written.
    let entered!: () => void;
    const writing = new Promise<void>((r) => {
      entered = r;
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const writer = createAccessLog(
      {
        async query<T>(sql: string, params: unknown[]) {
          entered();
          await gate;
          return app.db.query<T>(sql, params);
        },
      },
      createLogger({ LOG_LEVEL: "warn", NODE_ENV: "production" }),
      { flushMs: 600_000 },
    );
    const viewer: SignedInViewer = {
      kind: "session",
      userId: admin.userId,
      tenantId: admin.tenantId,
      roles: ["admin"],
      sessionId: "s",
      expiresAt: new Date(Date.now() + 60_000),
    };
    const scope = {};
    const note = (resource: string) =>
      writer.note(
        scope,
        viewer,
        { ip: null, userAgent: null, referrer: null },
        { subjectUserId: member.userId, resource, operationType: "subscription", operationName: "Late" },
        () => "events",
      );
    note("User");
    note("Profile");
    note("User");
    expect(writer.pending()).toBe(1);
    const first = writer.flush();
    await writing;
    // Its batch is being written: these cannot join it, and the types it holds are not noted twice.
    note("Memory");
    note("Profile");
    note("Session");
    expect(writer.pending()).toBe(1);
    release();
    await first;
    await writer.flush();
    note("User");
    note("Session");
    expect(writer.pending()).toBe(0);
    const rows = await app.db.prisma.dataAccessLog.findMany({
      where: { subjectUserId: member.userId, operationName: "Late" },
    });
    expect(rows.map((r) => r.resources).sort()).toEqual([
      ["Memory", "Session"],
      ["Profile", "User"],
    ]);
  });

  it("records changes by others from the audit log, not the member's own", async () => {
    const { admin, member } = await team();
    const sessions = await ok(exec, `{ sessions { edges { node { id } } } }`, {}, member.token);
    const mine = sessions.sessions.edges[0].node.id;
    await ok(exec, `mutation($id: ID!) { revokeSession(id: $id) { id } }`, { id: mine }, admin.token);
    const again = await ok(exec, `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }`, {
      e: member.email,
      p: member.password,
    });
    const second = await ok(exec, `{ sessions { edges { node { id revokedAt } } } }`, {}, again.signIn.token);
    const open = second.sessions.edges.find((e: { node: { revokedAt: string | null } }) => !e.node.revokedAt).node.id;
    await ok(exec, `mutation($id: ID!) { revokeSession(id: $id) { id } }`, { id: open }, again.signIn.token);
    const changes = await trail({ ...member, token: (await signIn(member)).token }, { kind: "change" });
    expect(changes).toEqual([
      expect.objectContaining({ kind: "change", actorKind: "user", actorName: "Admin", action: "session.revoked" }),
    ]);
  });

  it("is its member's alone: not another member, not the admin, not an API key, on no door", async () => {
    const { admin, member } = await team();
    const other = await createMember(exec, admin, "Other");
    await ok(exec, `{ sessions(allInTenant: true) { edges { node { id } } } }`, {}, admin.token);
    const [entry] = reads(await trail(member));
    expect(entry).toBeDefined();
    const id = entry?.id as string;
    const NODE = `query($id: ID!) { node(id: $id) { id ... on DataAccessEntry { actorName } } }`;
    expect(await ok(exec, NODE, { id }, member.token)).toEqual({ node: { id, actorName: "Admin" } });
    const keys = [
      await createApiKey(exec, member, ["READ_PROFILE"]),
      await createApiKey(exec, admin, ["ADMIN", "READ_PROFILE"]),
    ];
    for (const token of [admin.token, other.token, ...keys]) {
      const r = await exec(NODE, { id }, token);
      expect(r.data?.node ?? null).toBeNull();
      expect(codeOf(r)).toBe("NOT_FOUND");
      const many = await exec(`query($id: ID!) { nodes(ids: [$id]) { id } }`, { id }, token);
      expect(many.data?.nodes?.[0] ?? null).toBeNull();
    }
    expect((await trail(other)).map((e) => e.id)).not.toContain(id);
    for (const key of keys) expect(codeOf(await exec(TRAIL, {}, key))).toBe("FORBIDDEN");
    expect(codeOf(await exec(TRAIL, {}, null))).toBe("UNAUTHENTICATED");

    // The same over WebSocket: the owner reads it, the admin gets NOT_FOUND.
    const { port } = await app.start();
    const overSocket = async (token: string, query: string, variables: Record<string, unknown>) => {
      const client = createClient({
        url: `ws://127.0.0.1:${port}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        retryAttempts: 0,
      });
      try {
        return await new Promise<{ data?: any; errors?: any[] }>((resolve, reject) => {
          let result: { data?: any; errors?: any[] } = {};
          client.subscribe(
            { query, variables },
            { next: (r) => (result = r as never), error: reject, complete: () => resolve(result) },
          );
        });
      } finally {
        await client.dispose();
      }
    };
    expect((await overSocket(member.token, NODE, { id })).data?.node?.id).toBe(id);
    const byAdmin = await overSocket(admin.token, NODE, { id });
    expect(byAdmin.data?.node ?? null).toBeNull();
    expect(byAdmin.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const adminTrail = await overSocket(admin.token, `{ myDataAccessLog(first: 100) { edges { node { id } } } }`, {});
    expect(JSON.stringify(adminTrail.data)).not.toContain(id);
  });

  it("filters by kind and date, pages newest first, at most 100 a page, and refuses foreign cursors", async () => {
    const { admin, member } = await team();
    for (let i = 0; i < 3; i++)
      await ok(exec, `{ sessions(allInTenant: true) { edges { node { id } } } }`, {}, admin.token);
    const all = reads(await trail(member));
    expect(all).toHaveLength(3);
    expect([...all].sort((a, b) => b.at.localeCompare(a.at))).toEqual(all);
    await app.services.accessLog.flush();
    const first = await ok(exec, TRAIL, { first: 2, kind: "read" }, member.token);
    expect(first.myDataAccessLog.pageInfo.hasNextPage).toBe(true);
    const rest = await ok(
      exec,
      TRAIL,
      { first: 2, kind: "read", after: first.myDataAccessLog.pageInfo.endCursor },
      member.token,
    );
    const paged = [...first.myDataAccessLog.edges, ...rest.myDataAccessLog.edges].map(
      (e: { node: Entry }) => e.node.id,
    );
    expect(paged).toEqual(all.map((e) => e.id));
    expect(await trail(member, { kind: "change" })).toEqual([]);
    expect(await trail(member, { since: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
    expect(reads(await trail(member, { until: new Date(Date.now() + 60_000).toISOString() }))).toHaveLength(3);
    // Pages are at most 100, as every list of the API (a larger `first` is cut, not refused).
    const row = await app.db.prisma.dataAccessLog.findFirstOrThrow({ where: { subjectUserId: member.userId } });
    await app.db.prisma.dataAccessLog.createMany({
      data: Array.from({ length: 100 }, (_, i) => ({
        ...row,
        id: undefined,
        createdAt: new Date(Date.now() - i * 1000),
      })),
    });
    const big = await ok(exec, TRAIL, { first: 1000 }, member.token);
    expect(big.myDataAccessLog.edges).toHaveLength(100);
    expect(big.myDataAccessLog.pageInfo.hasNextPage).toBe(true);
    expect(codeOf(await exec(TRAIL, { first: 1, after: "bm90LWEtY3Vyc29y" }, member.token))).toBe("BAD_USER_INPUT");
    const at = new Date().toISOString();
    expect(codeOf(await exec(TRAIL, { since: at, until: at }, member.token))).toBe("BAD_USER_INPUT");
  });

  it("is append-only in the database and kept per the tenant's access_log retention", async () => {
    const { admin, member } = await team();
    await ok(exec, `{ sessions(allInTenant: true) { edges { node { id } } } }`, {}, admin.token);
    await app.services.accessLog.flush();
    const row = await app.db.prisma.dataAccessLog.findFirstOrThrow({ where: { subjectUserId: member.userId } });
    await expect(
      app.db.prisma.$executeRaw`UPDATE data_access_log SET actor_display = 'nobody' WHERE id = ${row.id}::uuid`,
    ).rejects.toThrow(/append-only/);
    // Only the purge of the reader's account may change a row, and only to take its ids out.
    await expect(
      app.db.prisma
        .$executeRaw`UPDATE data_access_log SET actor_user_id = ${member.userId}::uuid WHERE id = ${row.id}::uuid`,
    ).rejects.toThrow(/append-only/);
    await expect(
      app.db.prisma
        .$executeRaw`UPDATE data_access_log SET actor_user_id = NULL, field = 'x' WHERE id = ${row.id}::uuid`,
    ).rejects.toThrow(/append-only/);
    expect((await app.db.prisma.dataAccessLog.findUniqueOrThrow({ where: { id: row.id } })).actorDisplay).toBe("Admin");
    const old = await app.db.prisma.dataAccessLog.create({
      data: { ...row, id: undefined, createdAt: new Date(Date.now() - 366 * 86_400_000) },
    });
    const policies = await ok(exec, `{ retentionPolicies { kind keepDays } }`, {}, admin.token);
    expect(policies.retentionPolicies).toContainEqual({ kind: "access_log", keepDays: 365 });
    const [pass] = await app.services.retention.run({ tenantIds: [member.tenantId] });
    expect(pass?.counts).toContainEqual({ table: "data_access_log", reason: "policy", count: 1 });
    expect(await app.db.prisma.dataAccessLog.findUnique({ where: { id: old.id } })).toBeNull();
    expect(await app.db.prisma.dataAccessLog.findUnique({ where: { id: row.id } })).not.toBeNull();
  });
});

describe(`rows leave with their subject and their tenant (${dbKind})`, () => {
  const readMembers = (admin: TestUser) =>
    ok(exec, `{ me { tenant { members(first: 10) { edges { node { displayName } } } } } }`, {}, admin.token);
  const rowsOf = (where: { subjectUserId?: string; tenantId?: string }) => app.db.prisma.dataAccessLog.count({ where });

  it("deletes a user's entries with the user, and a tenant's with the tenant", async () => {
    const { admin, member } = await team();
    const other = await createMember(exec, admin, "Other");
    await readMembers(admin);
    await app.services.accessLog.flush();
    expect(await rowsOf({ subjectUserId: member.userId })).toBe(1);
    expect(await rowsOf({ subjectUserId: other.userId })).toBe(1);
    await app.db.prisma.user.delete({ where: { id: member.userId } });
    expect(await rowsOf({ subjectUserId: member.userId })).toBe(0);
    expect(await rowsOf({ subjectUserId: other.userId })).toBe(1);
    await app.db.prisma.tenant.delete({ where: { id: admin.tenantId } });
    expect(await rowsOf({ tenantId: admin.tenantId })).toBe(0);
    expect(await rowsOf({ subjectUserId: other.userId })).toBe(0);
  });

  it("skips the reads of a user deleted before the flush, and writes the rest (no batch retried forever)", async () => {
    const { admin, member } = await team();
    const other = await createMember(exec, admin, "Other");
    await readMembers(admin);
    await app.db.prisma.user.delete({ where: { id: member.userId } });
    await app.services.accessLog.flush();
    expect(app.services.accessLog.pending()).toBe(0);
    expect(await rowsOf({ subjectUserId: member.userId })).toBe(0);
    expect(await rowsOf({ subjectUserId: other.userId })).toBe(1);
    // Likewise a tenant deleted with reads of it still queued.
    const second = await team();
    await readMembers(second.admin);
    await app.db.prisma.tenant.delete({ where: { id: second.admin.tenantId } });
    await app.services.accessLog.flush();
    expect(app.services.accessLog.pending()).toBe(0);
    expect(await rowsOf({ tenantId: second.admin.tenantId })).toBe(0);
  });

  // Two connections at once: PostgreSQL only (PGlite has one).
  it.runIf(dbKind === "postgres")(
    "leaves no entry of a user whose deletion was under way while the batch was written",
    async () => {
      const { admin, member } = await team();
      await readMembers(admin);
      // The flush is started from outside the transaction's callback (the root client refuses
      // queries made inside one), once the deletion is done but not committed.
      let go!: () => void;
      let done = false;
      const flushed = new Promise<void>((r) => {
        go = r;
      })
        .then(() => app.services.accessLog.flush())
        .finally(() => {
          done = true;
        });
      await app.db.prisma.$transaction(
        async (tx) => {
          await tx.user.delete({ where: { id: member.userId } });
          go();
          // Committed once the batch waits for this deletion (or, were nothing to make it wait, has
          // been written).
          await vi.waitFor(
            async () => {
              // The view is read once per transaction unless its snapshot is dropped.
              await tx.$executeRaw`SELECT pg_stat_clear_snapshot()`;
              const [w] = await tx.$queryRaw<{ n: bigint }[]>`
                SELECT count(*) AS n FROM pg_stat_activity
                WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO data_access_log%'`;
              expect(done || Number(w?.n) === 1).toBe(true);
            },
            { timeout: 20_000, interval: 20 },
          );
        },
        { timeout: 30_000 },
      );
      await flushed;
      expect(app.services.accessLog.pending()).toBe(0);
      expect(await rowsOf({ subjectUserId: member.userId })).toBe(0);
    },
  );
});

async function signIn(user: TestUser) {
  const d = await ok(exec, `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }`, {
    e: user.email,
    p: user.password,
  });
  return { token: d.signIn.token as string };
}

describe(`draining on shutdown (${dbKind})`, () => {
  it("writes every noted read before the database closes, though no flush came first", async () => {
    const own = await createTestApp({ config: { ACCESS_LOG_FLUSH_MS: "600000" } });
    const run = executor(own);
    const admin = await createOwner(run, "Admin");
    const member = await createMember(run, admin, "Member");
    await own.start();
    await ok(run, `{ sessions(allInTenant: true) { edges { node { id } } } }`, {}, admin.token);
    await ok(run, `{ me { tenant { members(first: 10) { edges { node { displayName } } } } } }`, {}, admin.token);
    expect(own.services.accessLog.pending()).toBe(2);
    expect(await own.db.prisma.dataAccessLog.count({ where: { subjectUserId: member.userId } })).toBe(0);
    // What the database holds at the moment it closes (stop() closes it last).
    let atClose = -1;
    const close = own.db.close.bind(own.db);
    own.db.close = async () => {
      atClose = await own.db.prisma.dataAccessLog.count({ where: { subjectUserId: member.userId } });
      return close();
    };
    await own.stop();
    expect(atClose).toBe(2);
    expect(own.services.accessLog.pending()).toBe(0);
  });
});

// The migration that made `resource` a list: run on a database holding rows of the old shape.
// PGlite only: the statements are the same on PostgreSQL, and this needs a fresh database of its own.
describe.runIf(dbKind === "pglite")("the migration to one row per subject with a list of types", () => {
  it("keeps every earlier row, its id and time, with its one type as a list of one", async () => {
    const names = (await readdir(MIGRATIONS_DIR)).sort((a, b) => a.localeCompare(b));
    const target = names.find((n) => n.endsWith("_access_log_resources")) as string;
    expect(target).toBeDefined();
    // The migrations before it, in a directory of their own.
    const before = await mkdtemp(path.join(tmpdir(), "migrations-"));
    const pglite = await PGlite.create();
    try {
      for (const n of names.filter((n) => n < target))
        await cp(path.join(MIGRATIONS_DIR, n), path.join(before, n), { recursive: true });
      await applyMigrations(new PrismaPGlite(pglite), before);
      await pglite.exec(`
        INSERT INTO data_access_log (id, tenant_id, subject_user_id, actor_kind, actor_display, resource, field,
          operation_type, created_at)
        SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'user', 'Admin',
          (ARRAY['Session', 'User', 'Profile'])[1 + i % 3], 'members', 'query', now() - make_interval(secs => i)
        FROM generate_series(1, 30) i`);
      const old = (
        await pglite.query<{ id: string; resource: string; created_at: Date }>(
          "SELECT id, resource, created_at FROM data_access_log ORDER BY id",
        )
      ).rows;
      expect(await applyMigrations(new PrismaPGlite(pglite), MIGRATIONS_DIR)).toEqual(
        names.filter((n) => n >= target && n !== "migration_lock.toml"),
      );
      const now = (
        await pglite.query<{ id: string; resources: string[]; created_at: Date }>(
          "SELECT id, resources, created_at FROM data_access_log ORDER BY id",
        )
      ).rows;
      expect(now).toEqual(old.map((r) => ({ id: r.id, resources: [r.resource], created_at: r.created_at })));
      // Still append-only, and a row names at least one type.
      await expect(pglite.exec(`UPDATE data_access_log SET field = 'x'`)).rejects.toThrow(/append-only/);
      await expect(
        pglite.exec(`INSERT INTO data_access_log (id, tenant_id, subject_user_id, actor_kind, actor_display,
          resources, field, operation_type) VALUES (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'user',
          'Admin', '{}', 'members', 'query')`),
      ).rejects.toThrow(/data_access_log_resources_not_empty/);
    } finally {
      await pglite.close();
      await rm(before, { recursive: true, force: true });
    }
  }, 120_000);
});
