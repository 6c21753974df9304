import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import { diffMigrationsToSchema } from "../../server/db/engine.ts";
import { createOwner, createTestApp, dbKind, type Execute, executor, ok } from "../kit.ts";
import { afterMicrotasks, atGate } from "../support/transaction-gate.ts";

let app: App;
let exec: Execute;

beforeAll(async () => {
  app = await createTestApp();
  exec = executor(app);
});
afterAll(() => app?.stop());

describe(`database (${dbKind})`, () => {
  it("records every migration as prisma migrate deploy does", async () => {
    const rows = await app.db.prisma.$queryRaw<
      { migration_name: string; finished_at: Date | null; checksum: string }[]
    >`
      SELECT migration_name, finished_at, checksum FROM _prisma_migrations`;
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.finished_at).not.toBeNull();
      expect(r.checksum).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it("applies no migration twice", async () => {
    const { applyMigrations } = await import("../../server/db/engine.ts");
    const { migrationsDir } = await import("../../server/db/client.ts");
    if (dbKind === "pglite") {
      const { PGlite } = await import("@electric-sql/pglite");
      const { PrismaPGlite } = await import("pglite-prisma-adapter");
      const pglite = app.db.pglite as InstanceType<typeof PGlite>;
      expect(await applyMigrations(new PrismaPGlite(pglite), migrationsDir)).toEqual([]);
    } else {
      const { PrismaPg } = await import("@prisma/adapter-pg");
      expect(await applyMigrations(new PrismaPg({ connectionString: app.config.DATABASE_URL }), migrationsDir)).toEqual(
        [],
      );
    }
  });

  it.runIf(dbKind === "pglite")("has no drift between migrations and schema.prisma", async () => {
    expect(await diffMigrationsToSchema()).toBe("");
  });

  it("rejects rows that break the constraints", async () => {
    const owner = await createOwner(exec);
    const prisma = app.db.prisma;
    const agent = await prisma.agent.create({ data: { tenantId: owner.tenantId, name: "Constraint probe" } });
    await expect(
      prisma.rating.create({
        data: { userId: owner.userId, tenantId: owner.tenantId, itemType: "agent", itemId: agent.id, rating: 6 },
      }),
    ).rejects.toThrow(/ratings_rating_check|check constraint/i);
    await expect(
      prisma.memory.create({
        data: {
          userId: owner.userId,
          tenantId: owner.tenantId,
          memoryType: "fact",
          memoryKey: "k",
          memoryValue: {},
          content: "c",
          importanceScore: 1.5,
          embedding: [1],
          embeddingModel: "m",
        },
      }),
    ).rejects.toThrow(/importance_score_check|check constraint/i);
    await prisma.userAgent.create({ data: { userId: owner.userId, tenantId: owner.tenantId, agentId: agent.id } });
    await expect(
      prisma.userAgent.create({ data: { userId: owner.userId, tenantId: owner.tenantId, agentId: agent.id } }),
    ).rejects.toMatchObject({ code: "P2002" });
    expect(await prisma.rating.count({ where: { userId: owner.userId } })).toBe(0);
  });
});

describe(`vector search (${dbKind})`, () => {
  const SEARCH = `query($q: String!) { searchMemories(query: $q, first: 3) { score memory { memoryKey } } }`;

  it("ranks the memory nearest in meaning first, exactly as the database computes it", async () => {
    const owner = await createOwner(exec);
    const memories = [
      ["style", "preference", "Prefers concise bullet point summaries"],
      ["food", "fact", "Loves Italian cuisine, especially fresh pasta and pizza"],
      ["trial", "context", "Working on a Phase III clinical trial for a new vaccine"],
      ["fda", "instruction", "Always cite the FDA guidelines"],
    ];
    for (const [memoryKey, memoryType, content] of memories) {
      await ok(
        exec,
        `mutation($input: MemoryInput!) { createMemory(input: $input) { id } }`,
        { input: { memoryKey, memoryType, content } },
        owner.token,
      );
    }
    const food = await ok(exec, SEARCH, { q: "what dishes does the user enjoy eating" }, owner.token);
    expect(food.searchMemories[0].memory.memoryKey).toBe("food");
    const medicine = await ok(exec, SEARCH, { q: "medical research study with patients" }, owner.token);
    expect(medicine.searchMemories[0].memory.memoryKey).toBe("trial");
    const scores = food.searchMemories.map((h: { score: number }) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);

    // The ranking is the exact one: the dot product computed by the database itself agrees.
    const [q] = await app.services.embedder.embed(["what dishes does the user enjoy eating"]);
    const exact = await app.db.prisma.$queryRaw<{ memory_key: string; score: number }[]>`
      SELECT m.memory_key, s.score FROM memories m,
        LATERAL (SELECT sum(a * b) AS score FROM unnest(m.embedding, ${q}::float8[]) AS v(a, b)) s
      WHERE m.user_id = ${owner.userId}::uuid ORDER BY s.score DESC, m.importance_score DESC LIMIT 3`;
    expect(food.searchMemories.map((h: { memory: { memoryKey: string } }) => h.memory.memoryKey)).toEqual(
      exact.map((r) => r.memory_key),
    );
    for (const [i, r] of exact.entries()) expect(food.searchMemories[i].score).toBeCloseTo(Number(r.score), 9);
  });

  it("sees every write before the next search, whoever made it: plain SQL, another instance, a job", async () => {
    const owner = await createOwner(exec);
    const search = async (q: string) =>
      (await ok(exec, SEARCH, { q }, owner.token)).searchMemories.map(
        (h: { memory: { memoryKey: string } }) => h.memory.memoryKey,
      );
    await ok(
      exec,
      `mutation($input: MemoryInput!) { createMemory(input: $input) { id } }`,
      { input: { memoryKey: "pets", memoryType: "fact", content: "Has two cats and a dog" } },
      owner.token,
    );
    expect(await search("animals at home")).toEqual(["pets"]);
    // Written past the service: no change event is published, the index must see it anyway.
    const [food] = await app.services.embedder.embed(["Loves Italian cuisine, pasta and pizza"]);
    const row = await app.db.prisma.memory.create({
      data: {
        userId: owner.userId,
        tenantId: owner.tenantId,
        memoryType: "fact",
        memoryKey: "food",
        memoryValue: {},
        content: "Loves Italian cuisine, pasta and pizza",
        embedding: food ?? [],
        embeddingModel: app.services.embedder.model,
      },
    });
    expect((await search("favourite dishes"))[0]).toBe("food");
    await app.db.prisma.$executeRaw`DELETE FROM memories WHERE id = ${row.id}::uuid`;
    expect(await search("favourite dishes")).toEqual(["pets"]);
    await app.db.prisma
      .$executeRaw`UPDATE memories SET expires_at = now() - interval '1 minute' WHERE user_id = ${owner.userId}::uuid`;
    expect(await search("animals at home")).toEqual([]);
  });
});

describe(`concurrent searches (${dbKind})`, () => {
  it("all succeed and each counts one access", async () => {
    const owner = await createOwner(exec);
    for (const [memoryKey, content] of [
      ["a", "Enjoys hiking in the Alps"],
      ["b", "Prefers window seats on long flights"],
      ["c", "Allergic to peanuts"],
    ]) {
      await ok(
        exec,
        `mutation($input: MemoryInput!) { createMemory(input: $input) { id } }`,
        { input: { memoryKey, memoryType: "fact", content } },
        owner.token,
      );
    }
    const q = `{ searchMemories(query: "travel and outdoor holidays", first: 3) { memory { memoryKey } } }`;
    const results = await Promise.all(Array.from({ length: 12 }, () => exec(q, {}, owner.token)));
    for (const r of results) expect(r.errors).toBeUndefined();
    // Counts are written after the answers (memory-access.ts); a flush writes them now.
    await app.services.memoryAccess.flush();
    const rows = await app.db.prisma.memory.findMany({ where: { userId: owner.userId } });
    expect(rows.map((m) => m.accessCount)).toEqual([12, 12, 12]);
  });
});

describe("embedded data directory", () => {
  it.runIf(dbKind === "pglite")(
    "is created and migrated on first open and reused without migrating after",
    async () => {
      const { openDatabase } = await import("../../server/db/client.ts");
      const { loadConfig } = await import("../../server/config.ts");
      const dir = mkdtempSync(path.join(tmpdir(), "userplane-data-"));
      const config = loadConfig({ DATA_DIR: dir });
      // No template to unpack (npm start's prestart may have built one by now): migrated from nothing.
      const noTemplate = { dataDirTemplate: path.join(dir, "absent-template.tar") };
      const first = await openDatabase(config, noTemplate);
      expect(first.migrationsApplied.length).toBeGreaterThan(0);
      await first.prisma.tenant.create({ data: { name: "Kept", slug: "kept" } });
      await first.close();
      const second = await openDatabase(config, noTemplate);
      expect(second.migrationsApplied).toEqual([]);
      expect(await second.prisma.tenant.count({ where: { slug: "kept" } })).toBe(1);
      await second.close();
      rmSync(dir, { recursive: true, force: true });
    },
  );
});

describe(`a statement on the app's own connection inside a transaction (${dbKind})`, () => {
  it("is refused at once, while the transaction's own statements, and work it leaves running, go through", async () => {
    const { RootQueryInTransactionError } = await import("../../server/db/transaction-guard.ts");
    const prisma = app.db.prisma;
    let background: Promise<number> | undefined;
    const refused = await prisma
      .$transaction(async (tx) => {
        expect(await tx.user.count()).toBeGreaterThanOrEqual(0);
        background = new Promise<void>((r) => setImmediate(r)).then(() => prisma.user.count());
        background.catch(() => undefined);
        return prisma.user.count();
      })
      .catch((e: unknown) => e);
    // Before the guard this waited for the transaction, which waited for it: 5 s, then a timeout.
    expect(refused).toBeInstanceOf(RootQueryInTransactionError);
    await expect(
      prisma.$transaction(async () => app.db.query("SELECT 1", [])),
      "the driver's own queries",
    ).rejects.toBeInstanceOf(RootQueryInTransactionError);
    await expect(
      prisma.$transaction(async () => prisma.$transaction(async (t) => t.user.count())),
      "a second transaction",
    ).rejects.toBeInstanceOf(RootQueryInTransactionError);
    await expect(
      prisma.$transaction(async () => prisma.$transaction([prisma.user.count()])),
      "a batch transaction",
    ).rejects.toBeInstanceOf(RootQueryInTransactionError);
    // Started inside, it ran once the callback had ended, and was let through.
    expect(await background).toBeGreaterThanOrEqual(0);
    expect(await prisma.$transaction(async (tx) => tx.user.count())).toBeGreaterThanOrEqual(0);
  });

  // Prisma gathers the statements asked for in one turn of the event loop (a transaction's, and
  // everyone's findUnique) and sends them from one callback, which the first of them scheduled. A
  // transaction's statement first, then another request's findUnique: the request's statement was
  // sent as if from inside the callback, and refused (an INTERNAL_SERVER_ERROR, files.test.ts).
  // The other way round, a findUnique inside the callback went out as the other request's.
  // Microtasks (not timers) order them (test/support/transaction-gate.ts).

  it("lets another caller's statement through that is sent in the turn of a transaction's own", async () => {
    const owner = await createOwner(exec, "Bystander");
    const prisma = app.db.prisma;
    const g = atGate();
    const transaction = prisma.$transaction(async (tx) => {
      await g.wait();
      return tx.user.count();
    });
    await g.ready;
    const outside = g.gate
      .then(afterMicrotasks)
      .then(() => prisma.user.findUnique({ where: { id: owner.userId }, select: { id: true } }));
    g.open();
    expect(await outside).toEqual({ id: owner.userId });
    expect(await transaction).toBeGreaterThan(0);
  });

  it("refuses a findUnique inside the callback that joins another caller's in the same turn", async () => {
    const { RootQueryInTransactionError } = await import("../../server/db/transaction-guard.ts");
    const owner = await createOwner(exec, "Joined");
    const prisma = app.db.prisma;
    const read = () => prisma.user.findUnique({ where: { id: owner.userId }, select: { id: true } });
    const g = atGate();
    const transaction = prisma
      .$transaction(async () => {
        await g.wait();
        await afterMicrotasks();
        return read();
      })
      .catch((e: unknown) => e);
    await g.ready;
    const outside = g.gate.then(read);
    g.open();
    // Before, it went out as the outside caller's: on PGlite it then waited for the transaction
    // that waited for it (5 s, Prisma's timeout); on PostgreSQL it took a second connection.
    expect(await transaction).toBeInstanceOf(RootQueryInTransactionError);
    expect(await outside).toEqual({ id: owner.userId });
  });

  it("refuses a shared or joined read asked for inside the callback; a caller outside gets its own", async () => {
    const { RootQueryInTransactionError } = await import("../../server/db/transaction-guard.ts");
    const { sharedReads } = await import("../../server/shared-reads.ts");
    const { joinedReads } = await import("../../server/live/joined-reads.ts");
    await createOwner(exec, "Counted");
    const prisma = app.db.prisma;
    const count = () => prisma.user.count();
    const shared = sharedReads<string, number>();
    const asks: [string, (key: string) => Promise<number>][] = [
      ["shared", (key) => shared(key, count)],
      ["joined", joinedReads(count)],
    ];
    for (const [name, ask] of asks) {
      let askedInside!: () => void;
      const outside = new Promise<void>((resolve) => {
        askedInside = resolve;
      }).then(() => ask("users"));
      const inside = await prisma
        .$transaction(async () => {
          const mine = ask("users");
          // The outside caller asks right after, while this read is under way.
          askedInside();
          return await mine;
        })
        .catch((e: unknown) => e);
      expect(inside, name).toBeInstanceOf(RootQueryInTransactionError);
      // Before, it shared the read begun inside, and with it the refusal.
      expect(await outside, name).toBeGreaterThan(0);
    }
  });
});

describe("prepared statements on PostgreSQL", () => {
  it.runIf(dbKind === "postgres")(
    "names a text seen twice, prepares it once per connection, and names no more texts than the limit",
    async () => {
      const { openDatabase } = await import("../../server/db/client.ts");
      // One connection, so the catalogue read on it sees what Prisma's statements prepared there.
      const db = await openDatabase({
        ...app.config,
        DATABASE_POOL_SIZE: 1,
        DATABASE_PREPARED_STATEMENTS: 2,
      });
      try {
        const owner = await createOwner(exec);
        const prepared = () =>
          db.query<{ name: string; statement: string }>(
            "SELECT name, statement FROM pg_prepared_statements WHERE name LIKE 'userplane_%' ORDER BY name",
            [],
          );
        const read = (id: string) => db.prisma.user.findMany({ where: { id }, select: { id: true } });
        expect(await read(owner.userId)).toEqual([{ id: owner.userId }]);
        expect(await prepared(), "a text seen once stays unnamed").toEqual([]);
        expect(await read(owner.userId)).toEqual([{ id: owner.userId }]);
        const [first] = await prepared();
        expect(first?.statement).toMatch(/^SELECT .*"users"/);
        // Other values bind to the same statement, in a transaction too.
        expect(await read("00000000-0000-0000-0000-000000000000")).toEqual([]);
        expect(await db.prisma.$transaction((tx) => tx.user.findMany({ where: { id: owner.userId } }))).toHaveLength(1);
        expect(await db.prisma.$transaction((tx) => tx.user.findMany({ where: { id: owner.userId } }))).toHaveLength(1);
        expect((await prepared()).length).toBe(2);
        // Past the limit, texts go unnamed and still answer.
        for (let i = 0; i < 3; i++)
          expect(await db.prisma.user.findMany({ where: { id: owner.userId }, select: { email: true } })).toHaveLength(
            1,
          );
        expect((await prepared()).length).toBe(2);
      } finally {
        await db.close();
      }
    },
  );
});
