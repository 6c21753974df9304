// A memory saved with an expiry already past would be accepted and then never shown: refused
// with BAD_USER_INPUT on input.expiresAt, on create and on update, writing nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import { createMemory } from "../../server/services/memories.ts";
import type { SignedInViewer } from "../../server/viewer.ts";
import { createOwner, createTestApp, dbId, dbKind, type Execute, executor, type GraphQLResult, ok } from "../kit.ts";

let app: App;
let exec: Execute;

beforeAll(async () => {
  app = await createTestApp();
  exec = executor(app);
});
afterAll(() => app?.stop());

const CREATE = `mutation($i: MemoryInput!) { createMemory(input: $i) { id expiresAt } }`;
const UPDATE = `mutation($id: ID!, $i: MemoryInput!) { updateMemory(id: $id, input: $i) { expiresAt } }`;
const PAST = "2001-01-01T00:00:00.000Z";
const LATER = "2090-01-01T00:00:00.000Z";

function expectExpiryRefused(r: GraphQLResult) {
  expect(r.data ?? null, JSON.stringify(r)).toBeNull();
  expect(r.errors?.[0]?.extensions, JSON.stringify(r)).toMatchObject({
    code: "BAD_USER_INPUT",
    field: "input.expiresAt",
  });
}

describe(`memory expiry (${dbKind})`, () => {
  it("createMemory refuses an expiry in the past and writes nothing; a future one is kept", async () => {
    const owner = await createOwner(exec);
    const input = { memoryType: "fact", memoryKey: "trip", content: "Flies to Oslo" };
    expectExpiryRefused(await exec(CREATE, { i: { ...input, expiresAt: PAST } }, owner.token));
    expectExpiryRefused(await exec(CREATE, { i: { ...input, expiresAt: "2999-01-01T00:00:00.000Z" } }, owner.token));
    expect(await app.db.prisma.memory.count({ where: { userId: owner.userId } })).toBe(0);

    const made = await ok(exec, CREATE, { i: { ...input, expiresAt: LATER } }, owner.token);
    expect(made.createMemory.expiresAt).toBe(LATER);
    const listed = await ok(exec, `{ memories(first: 5) { edges { node { id } } } }`, {}, owner.token);
    expect(listed.memories.edges).toHaveLength(1);
  });

  it("updateMemory refuses an expiry in the past and leaves the memory as it was; null clears it", async () => {
    const owner = await createOwner(exec);
    const made = await ok(
      exec,
      CREATE,
      { i: { memoryType: "preference", memoryKey: "tea", content: "Likes green tea", expiresAt: LATER } },
      owner.token,
    );
    const id = made.createMemory.id;
    expectExpiryRefused(await exec(UPDATE, { id, i: { expiresAt: PAST, content: "Likes coffee" } }, owner.token));
    const row = await app.db.prisma.memory.findUniqueOrThrow({ where: { id: dbId(id) } });
    expect([row.expiresAt?.toISOString(), row.content]).toEqual([LATER, "Likes green tea"]);
    expect((await ok(exec, UPDATE, { id, i: { expiresAt: null } }, owner.token)).updateMemory.expiresAt).toBeNull();
  });

  it("the boundary is the now passed in: an expiry equal to now is refused, a millisecond later is not", async () => {
    const owner = await createOwner(exec);
    const viewer: SignedInViewer = {
      kind: "session",
      sessionId: "t",
      expiresAt: new Date(LATER),
      ...owner,
      roles: ["admin"],
    };
    const now = new Date("2040-06-01T00:00:00.000Z");
    const input = { memoryType: "fact" as const, memoryKey: "k", content: "c" };
    await expect(
      createMemory(app.db.prisma, app.services.embedder, viewer, { ...input, expiresAt: now }, now),
    ).rejects.toMatchObject({ extensions: { code: "BAD_USER_INPUT", field: "input.expiresAt" } });
    const m = await createMemory(
      app.db.prisma,
      app.services.embedder,
      viewer,
      { ...input, expiresAt: new Date(now.getTime() + 1) },
      now,
    );
    expect(m.expiresAt?.toISOString()).toBe("2040-06-01T00:00:00.001Z");
  });
});
