// Access counting of memory search happens after the answer: a search never waits on a row lock
// (another search's, a job's), the answer already shows its own access, and the counts reach the
// database summed, on flush and on shutdown.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import { searchMemories } from "../../server/services/memories.ts";
import type { SignedInViewer } from "../../server/viewer.ts";
import { createOwner, createTestApp, dbId, dbKind, type Execute, executor, ok } from "../kit.ts";

let app: App;
let exec: Execute;

beforeAll(async () => {
  // The timer never fires in these tests: every write below is an explicit flush.
  app = await createTestApp({ config: { MEMORY_ACCESS_FLUSH_MS: "600000" } });
  exec = executor(app);
  // The embedding model loads once, here, not inside the first test's time limit.
  await app.services.embedder.embed(["warm"]);
}, 600_000);
afterAll(() => app?.stop());

/** `searchMemories` as the user, with an embedder that answers every text with `query`. */
function searchAs(owner: { userId: string; tenantId: string }, model: string, query: number[], first: number) {
  return searchMemories(
    app.db.prisma,
    { model, embed: async () => [query] },
    app.services.memoryIndex,
    app.services.memoryAccess,
    { kind: "session", userId: owner.userId, tenantId: owner.tenantId } as SignedInViewer,
    "ignored: the embedder answers every text with the query vector",
    first,
  );
}

const CREATE = `mutation($i: MemoryInput!) { createMemory(input: $i) { id } }`;
const SEARCH = `query($q: String!) { searchMemories(query: $q, first: 1) { memory { id accessCount lastAccessedAt } } }`;

describe(`memory access counting (${dbKind})`, () => {
  it("the answer shows its own access at once; the database gets the sum on flush", async () => {
    const owner = await createOwner(exec);
    const cat = (
      await ok(
        exec,
        CREATE,
        { i: { memoryType: "fact", memoryKey: "pet", content: "The user has a cat" } },
        owner.token,
      )
    ).createMemory.id as string;
    const row = () => app.db.prisma.memory.findUniqueOrThrow({ where: { id: dbId(cat) } });

    const first = (await ok(exec, SEARCH, { q: "my cat" }, owner.token)).searchMemories[0].memory;
    expect(first).toMatchObject({ id: cat, accessCount: 1 });
    expect(first.lastAccessedAt).not.toBeNull();
    expect((await row()).accessCount).toBe(0);
    expect(app.services.memoryAccess.pending()).toBeGreaterThan(0);

    await Promise.all(Array.from({ length: 7 }, () => ok(exec, SEARCH, { q: "my cat" }, owner.token)));
    expect((await ok(exec, SEARCH, { q: "my cat" }, owner.token)).searchMemories[0].memory.accessCount).toBe(9);
    await app.services.memoryAccess.flush();
    expect(app.services.memoryAccess.pending()).toBe(0);
    const written = await row();
    expect(written.accessCount).toBe(9);
    expect(written.lastAccessedAt).not.toBeNull();
    // Counting is not a change search could see: the user's vectors stay where they are.
    const version = await app.db.prisma.$queryRaw<{ version: bigint }[]>`
      SELECT version FROM memory_versions WHERE user_id = ${owner.userId}::uuid`;
    expect(Number(version[0]?.version)).toBe(1);
  });

  it.skipIf(dbKind !== "postgres")(
    "searches answer while another transaction holds the memory's row lock; the counts follow after",
    async () => {
      const owner = await createOwner(exec);
      const id = dbId(
        (
          await ok(
            exec,
            CREATE,
            { i: { memoryType: "fact", memoryKey: "trip", content: "Travelling to Lisbon in May" } },
            owner.token,
          )
        ).createMemory.id,
      );
      // Another client's transaction holds the row. Counting inside the search (an UPDATE of the
      // rows it returns) would wait here until that transaction ends, which waits for the searches.
      const other = new pg.Client({ connectionString: app.db.connectionString });
      await other.connect();
      try {
        await other.query("BEGIN");
        await other.query("SELECT id FROM memories WHERE id = $1::uuid FOR UPDATE", [id]);
        const answers = await Promise.all(
          Array.from({ length: 8 }, () => ok(exec, SEARCH, { q: "travel to Portugal" }, owner.token)),
        );
        // Each answer counts itself and what others noted before it; the last one counts all eight.
        const counts = answers.map((a) => a.searchMemories[0].memory.accessCount as number);
        for (const n of counts) expect(n).toBeGreaterThanOrEqual(1);
        expect(Math.max(...counts)).toBe(8);
        await other.query("COMMIT");
      } finally {
        await other.end();
      }
      await app.services.memoryAccess.flush();
      expect((await app.db.prisma.memory.findUniqueOrThrow({ where: { id } })).accessCount).toBe(8);
    },
  );

  it("the index holds float32 vectors, yet a difference float32 cannot see still decides the ranking", async () => {
    const owner = await createOwner(exec);
    const model = app.services.embedder.model;
    const vector = (x: number) => [x, Math.sqrt(1 - x * x), ...Array(98).fill(0)];
    // Both round to the same float32 vector; exactly, `closer` scores 1e-12 higher.
    for (const [memoryKey, x, importanceScore] of [
      ["farther", 0.6, 0.9],
      ["closer", 0.6 + 1e-12, 0.1],
    ] as const)
      await app.db.prisma.memory.create({
        data: {
          userId: owner.userId,
          tenantId: owner.tenantId,
          memoryType: "fact",
          memoryKey,
          content: memoryKey,
          memoryValue: {},
          importanceScore,
          embedding: vector(x),
          embeddingModel: model,
        },
      });
    expect(Math.fround(0.6)).toBe(Math.fround(0.6 + 1e-12));
    const query = [1, ...Array(99).fill(0)];
    const hits = await searchAs(owner, model, query, 2);
    expect(hits.map((h) => h.memory.memoryKey)).toEqual(["closer", "farther"]);
    expect(hits[0]?.score).toBe(0.6 + 1e-12);
  });

  it("twins (identical vectors) rank by importance, then id, and only `first` of them are candidates", async () => {
    const owner = await createOwner(exec);
    const model = app.services.embedder.model;
    // 40 memories with one vector and four importances, and one whose vector rounds to the same
    // float32 vector but scores 1e-12 higher exactly, with the lowest importance.
    await app.db.prisma.$executeRaw`
      INSERT INTO memories (id, user_id, tenant_id, memory_type, memory_key, memory_value, content,
        importance_score, embedding, embedding_model, updated_at)
      SELECT gen_random_uuid(), ${owner.userId}::uuid, ${owner.tenantId}::uuid, 'fact'::memory_type, 'twin' || g, '{}'::jsonb,
        'twin', (g % 4) / 4.0, ARRAY[0.6::float8, 0.8::float8] || array_fill(0::float8, ARRAY[98]), ${model}, now()
      FROM generate_series(1, 40) g
      UNION ALL
      SELECT gen_random_uuid(), ${owner.userId}::uuid, ${owner.tenantId}::uuid, 'fact'::memory_type, 'closer', '{}'::jsonb,
        'closer', 0, ARRAY[(0.6 + 1e-12)::float8, sqrt(1 - (0.6 + 1e-12) ^ 2)] || array_fill(0::float8, ARRAY[98]),
        ${model}, now()`;
    const query = [1, ...Array(99).fill(0)];
    const { candidates } = await app.services.memoryIndex.search(owner.userId, model, query, 5);
    expect(candidates).toHaveLength(6);
    const hits = await searchAs(owner, model, query, 5);
    const exact = await app.db.prisma.$queryRaw<{ memory_key: string }[]>`
      SELECT m.memory_key FROM memories m,
        LATERAL (SELECT sum(a * b) AS score FROM unnest(m.embedding, ${query}::float8[]) AS v(a, b)) s
      WHERE m.user_id = ${owner.userId}::uuid ORDER BY s.score DESC, m.importance_score DESC, m.id LIMIT 5`;
    expect(hits.map((h) => h.memory.memoryKey)).toEqual(exact.map((r) => r.memory_key));
    expect(hits[0]?.memory.memoryKey).toBe("closer");
    expect(hits.slice(1).map((h) => h.memory.importanceScore)).toEqual([0.75, 0.75, 0.75, 0.75]);
  });

  it("rows written or removed in bulk by plain SQL bump each user once and reach the next search", async () => {
    const [a, b] = [await createOwner(exec), await createOwner(exec)];
    const model = app.services.embedder.model;
    const version = async (userId: string) =>
      Number(
        (
          await app.db.prisma.$queryRaw<{ version: bigint }[]>`
            SELECT version FROM memory_versions WHERE user_id = ${userId}::uuid`
        )[0]?.version ?? 0,
      );
    const query = [1, ...Array(99).fill(0)];
    const search = (userId: string, memoryType?: "fact" | "context") =>
      searchMemories(
        app.db.prisma,
        { model, embed: async () => [query] },
        app.services.memoryIndex,
        app.services.memoryAccess,
        { kind: "session", userId, tenantId: a.tenantId } as SignedInViewer,
        "ignored: the embedder above answers every text with the query vector",
        5,
        memoryType,
      ).then((hits) => hits.map((h) => h.memory.memoryKey));
    expect(await search(a.userId)).toEqual([]);
    // Three rows each for two users in one statement; x descending, so m1 ranks first. m2 is a
    // context, m3 has expired (written directly: the API refuses a past expiry).
    await app.db.prisma.$executeRaw`
      INSERT INTO memories (id, user_id, tenant_id, memory_type, memory_key, memory_value, content,
        embedding, embedding_model, expires_at, updated_at)
      SELECT gen_random_uuid(), u.id, u.tenant, (CASE WHEN g = 2 THEN 'context' ELSE 'fact' END)::memory_type,
        'm' || g, '{}'::jsonb, 'bulk', ARRAY[1.0 - g / 10.0, sqrt(1 - (1.0 - g / 10.0) ^ 2)]::float8[] || array_fill(0::float8, ARRAY[98]),
        ${model}, CASE WHEN g = 3 THEN now() - interval '1 hour' END, now()
      FROM (VALUES (${a.userId}::uuid, ${a.tenantId}::uuid), (${b.userId}::uuid, ${b.tenantId}::uuid)) u(id, tenant),
        generate_series(1, 3) g`;
    expect([await version(a.userId), await version(b.userId)]).toEqual([1, 1]);
    expect(await search(a.userId)).toEqual(["m1", "m2"]);
    expect(await search(b.userId, "context")).toEqual(["m2"]);
    await app.db.prisma
      .$executeRaw`DELETE FROM memories WHERE memory_key IN ('m1', 'm3') AND user_id IN (${a.userId}::uuid, ${b.userId}::uuid)`;
    expect([await version(a.userId), await version(b.userId)]).toEqual([2, 2]);
    expect(await search(a.userId)).toEqual(["m2"]);
  });
});
