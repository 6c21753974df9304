// Mutations of memories and quotas, and errors found before execution: the success path, and each kind of bad
// input with its stable code, the field at fault, and proof that nothing was written.
import { describe, expect, it } from "vitest";
import { codeOf, createMember, createOwner, dbId, dbKind, ok } from "../kit.ts";
import {
  app,
  auditRows,
  exec,
  expectError,
  expectInvalidDocument,
  long,
  setUpMutationApp,
} from "../support/mutations.ts";

setUpMutationApp();

describe(`memories (${dbKind})`, () => {
  const CREATE = `mutation($i: MemoryInput!) { createMemory(input: $i) { id memoryKey content importanceScore value } }`;

  it("createMemory, updateMemory and deleteMemory validate their input and touch only my memories", async () => {
    const owner = await createOwner(exec);
    const other = await createOwner(exec, "Other");
    const mine = () => app.db.prisma.memory.count({ where: { userId: owner.userId } });
    const bad: [Record<string, unknown>, string][] = [
      [{ memoryType: "fact", memoryKey: "k", content: "c", importanceScore: 1.5 }, "input.importanceScore"],
      [{ memoryType: "fact", memoryKey: "k", content: "c", importanceScore: -0.1 }, "input.importanceScore"],
      [{ memoryType: "fact", memoryKey: "k", content: "   " }, "input.content"],
      [{ memoryType: "fact", memoryKey: "k", content: long(10_001) }, "input.content"],
      [{ memoryType: "fact", memoryKey: long(201), content: "c" }, "input.memoryKey"],
      [{ memoryKey: "k", content: "c" }, "input.memoryType"],
      [{ memoryType: "fact", content: "c" }, "input.memoryKey"],
      [{ memoryType: "fact", memoryKey: "k" }, "input.content"],
      [{ memoryType: "fact", memoryKey: "k", content: "c", value: "flat" }, "input.value"],
    ];
    for (const [i, field] of bad) expectError(await exec(CREATE, { i }, owner.token), "BAD_USER_INPUT", field);
    expectInvalidDocument(
      await exec(
        `mutation { createMemory(input: { memoryType: rumour, memoryKey: "k", content: "c" }) { id } }`,
        {},
        owner.token,
      ),
    );
    expect(await mine()).toBe(0);

    const d = await ok(
      exec,
      CREATE,
      {
        i: {
          memoryType: "preference",
          memoryKey: " tone ",
          content: "Prefers short answers",
          importanceScore: 0.9,
          value: { source: "chat" },
        },
      },
      owner.token,
    );
    expect(d.createMemory).toMatchObject({
      memoryKey: "tone",
      importanceScore: 0.9,
      value: { source: "chat", content: "Prefers short answers" },
    });
    const id = d.createMemory.id;
    expectError(
      await exec(CREATE, { i: { memoryType: "fact", memoryKey: "tone", content: "dup" } }, owner.token),
      "CONFLICT",
      "memoryKey",
    );
    expect(await mine()).toBe(1);

    const UPD = `mutation($id: ID!, $i: MemoryInput!) { updateMemory(id: $id, input: $i) { content importanceScore embeddingModel } }`;
    const before = await app.db.prisma.memory.findUniqueOrThrow({ where: { id: dbId(id) } });
    const u = await ok(
      exec,
      UPD,
      { id, i: { content: "Prefers detailed answers", importanceScore: 0.3 } },
      owner.token,
    );
    expect(u.updateMemory).toMatchObject({ content: "Prefers detailed answers", importanceScore: 0.3 });
    const after = await app.db.prisma.memory.findUniqueOrThrow({ where: { id: dbId(id) } });
    expect(after.embedding).not.toEqual(before.embedding);
    expectError(
      await exec(UPD, { id, i: { importanceScore: 2 } }, owner.token),
      "BAD_USER_INPUT",
      "input.importanceScore",
    );
    expectError(await exec(UPD, { id, i: { content: "stolen" } }, other.token), "NOT_FOUND");
    expectError(await exec(`mutation($id: ID!) { deleteMemory(id: $id) }`, { id }, other.token), "NOT_FOUND");
    expect((await app.db.prisma.memory.findUniqueOrThrow({ where: { id: dbId(id) } })).content).toBe(
      "Prefers detailed answers",
    );

    expect((await ok(exec, `mutation($id: ID!) { deleteMemory(id: $id) }`, { id }, owner.token)).deleteMemory).toBe(id);
    expect(await mine()).toBe(0);
    expectError(await exec(`mutation($id: ID!) { deleteMemory(id: $id) }`, { id }, owner.token), "NOT_FOUND");
  });

  it("memories filter by type and importance; search counts accesses and never returns expired memories", async () => {
    const owner = await createOwner(exec);
    const make = async (memoryType: string, memoryKey: string, content: string, importanceScore: number) =>
      (await ok(exec, CREATE, { i: { memoryType, memoryKey, content, importanceScore } }, owner.token)).createMemory
        .id as string;
    const cat = await make("fact", "pet", "The user has a cat named Miso", 0.9);
    await make("preference", "tone", "Prefers formal emails", 0.4);
    const old = await make("fact", "pet-old", "The user had a cat named Pixel", 0.95);
    await app.db.prisma.memory.update({ where: { id: dbId(old) }, data: { expiresAt: new Date(Date.now() - 1000) } });

    const L = `query($t: MemoryType, $m: Float) { memories(memoryType: $t, minImportance: $m) { edges { node { id memoryKey } } } }`;
    const keys = async (v: Record<string, unknown>) =>
      (await ok(exec, L, v, owner.token)).memories.edges.map((e: { node: { memoryKey: string } }) => e.node.memoryKey);
    expect(await keys({})).toEqual(["pet", "tone"]);
    expect(await keys({ t: "preference" })).toEqual(["tone"]);
    expect(await keys({ m: 0.5 })).toEqual(["pet"]);
    expectError(await exec(L, { m: 1.5 }, owner.token), "BAD_USER_INPUT", "minImportance");

    const S = `query($q: String!, $n: Int) { searchMemories(query: $q, first: $n) { score memory { id accessCount lastAccessedAt } } }`;
    const hits = (await ok(exec, S, { q: "my cat", n: 10 }, owner.token)).searchMemories;
    expect(hits.map((h: { memory: { id: string } }) => h.memory.id)).not.toContain(old);
    expect(hits[0].memory.id).toBe(cat);
    expect(hits[0].memory.accessCount).toBe(1);
    await app.services.memoryAccess.flush();
    const row = await app.db.prisma.memory.findUniqueOrThrow({ where: { id: dbId(cat) } });
    expect(row.accessCount).toBe(1);
    expect(row.lastAccessedAt).not.toBeNull();
    await ok(exec, S, { q: "my cat", n: 10 }, owner.token);
    await app.services.memoryAccess.flush();
    expect((await app.db.prisma.memory.findUniqueOrThrow({ where: { id: dbId(cat) } })).accessCount).toBe(2);
    expect((await app.db.prisma.memory.findUniqueOrThrow({ where: { id: dbId(old) } })).accessCount).toBe(0);

    expectError(await exec(S, { q: "cat", n: 51 }, owner.token), "BAD_USER_INPUT", "first");
    expectError(await exec(S, { q: "" }, owner.token), "BAD_USER_INPUT", "query");
    expectError(
      await exec(
        `mutation($id: ID!) { updateMemory(id: $id, input: { importanceScore: 0.1 }) { id } }`,
        { id: old },
        owner.token,
      ),
      "NOT_FOUND",
    );
  });
});

describe(`quotas (${dbKind})`, () => {
  it("setQuota: admins only, validated, one standing row per type, audited", async () => {
    const admin = await createOwner(exec);
    const member = await createMember(exec, admin);
    const rows = () => app.db.prisma.quota.count({ where: { tenantId: admin.tenantId } });
    const Q = `mutation($t: QuotaType!, $l: Float!, $a: Float, $p: QuotaPeriod) { setQuota(quotaType: $t, quotaLimit: $l, alertThresholdPercentage: $a, period: $p) { quotaType period quotaLimit alertThresholdPercentage } }`;

    expectError(await exec(Q, { t: "tokens", l: -1 }, admin.token), "BAD_USER_INPUT", "quotaLimit");
    expectError(await exec(Q, { t: "tokens", l: 1.5 }, admin.token), "BAD_USER_INPUT", "quotaLimit");
    expectError(
      await exec(Q, { t: "tokens", l: 10, a: 101 }, admin.token),
      "BAD_USER_INPUT",
      "alertThresholdPercentage",
    );
    expectInvalidDocument(await exec(`mutation { setQuota(quotaType: gold, quotaLimit: 1) { id } }`, {}, admin.token));
    expectInvalidDocument(
      await exec(`mutation { setQuota(quotaType: tokens, quotaLimit: 1, period: fortnight) { id } }`, {}, admin.token),
    );
    expectError(await exec(Q, { t: "tokens", l: 10 }, member.token), "FORBIDDEN");
    expect(await rows()).toBe(0);

    const d = await ok(exec, Q, { t: "api_calls", l: 500, a: 90, p: "week" }, admin.token);
    expect(d.setQuota).toEqual({
      quotaType: "api_calls",
      period: "week",
      quotaLimit: 500,
      alertThresholdPercentage: 90,
    });
    expect((await ok(exec, Q, { t: "api_calls", l: 800 }, admin.token)).setQuota).toMatchObject({
      period: "week",
      quotaLimit: 800,
      alertThresholdPercentage: 90,
    });
    expect(await rows()).toBe(1);
    expect(await auditRows({ tenantId: admin.tenantId, action: "quota.set" })).toBe(2);
  });
});

describe(`errors before execution (${dbKind})`, () => {
  it("a variable of the wrong type is BAD_USER_INPUT, and nothing is written", async () => {
    const user = await createOwner(exec);
    const before = await app.db.prisma.memory.count({ where: { userId: user.userId } });
    const r = await exec(
      `mutation($input: MemoryInput!) { createMemory(input: $input) { id } }`,
      { input: { memoryKey: "k", memoryType: "fact", content: "c", importanceScore: "very" } },
      user.token,
    );
    expect(codeOf(r)).toBe("BAD_USER_INPUT");
    expect(r.errors?.[0]?.message).toMatch(/importanceScore/);
    expect(await app.db.prisma.memory.count({ where: { userId: user.userId } })).toBe(before);
  });
});
