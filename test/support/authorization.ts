// Shared by the authorization tests (test/api/ and test/server/authorization-*.test.ts): one app per test file,
// a small world of viewers, and checks that a denial has the right code at the right path. The
// bindings are live: they hold the calling file's app once its beforeAll has run.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, expect } from "vitest";
import type { App } from "../../server/app.ts";
import {
  createApiKey,
  createMember,
  createOwner,
  createTestApp,
  type Execute,
  executor,
  type GraphQLResult,
  ok,
  type TestUser,
} from "../kit.ts";

export let app: App;
export let exec: Execute;

/** Builds this file's app before its tests and stops it after. */
export function setUpAuthorizationApp(): void {
  beforeAll(async () => {
    app = await createTestApp();
    exec = executor(app);
  });
  afterAll(() => app?.stop());
}

export type Path = (string | number)[];

export function at(data: unknown, path: Path): unknown {
  let v: unknown = data;
  for (const p of path) {
    if (v === null || v === undefined) return v;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** The value at `path` is null and an error with `code` is reported at exactly that path. */
export function expectDenied(r: GraphQLResult, path: Path, code: "FORBIDDEN" | "UNAUTHENTICATED" = "FORBIDDEN") {
  const err = r.errors?.find((e) => JSON.stringify(e.path) === JSON.stringify(path));
  expect(err, `no error at ${path.join(".")}: ${JSON.stringify(r)}`).toBeDefined();
  // node/nodes say NOT_FOUND for a hidden row, as for a missing one: a guessed ID is not confirmed.
  const nodeItself = (path[0] === "node" && path.length === 1) || (path[0] === "nodes" && path.length === 2);
  const expected = nodeItself ? "NOT_FOUND" : code;
  expect(err?.extensions?.code, JSON.stringify(r)).toBe(expected);
  expect(at(r.data, path) ?? null).toBeNull();
}

/** Every error in the response, as "path: code", to assert that nothing else failed. */
export const errorPaths = (r: GraphQLResult) =>
  (r.errors ?? []).map((e) => `${(e.path ?? []).join(".")}: ${e.extensions?.code}`);

/** An API key of `user`; scopes as DESIGN.md writes them (read:profile), sent as the enum's names. */
export const apiKey = (user: TestUser, scopes: string[]) =>
  createApiKey(
    exec,
    user,
    scopes.map((s) => s.replace(":", "_").toUpperCase()),
  );
export const gid = (type: string, id: string) => encodeGlobalID(type, id);
export const yesterday = () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
export const daysFromNow = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

/**
 * One tenant with its admin, the owner of the data (a plain member), another member, and the
 * admin of a second tenant.
 */
export async function world() {
  const admin = await createOwner(exec, "Admin");
  const owner = await createMember(exec, admin, "Owner");
  const member = await createMember(exec, admin, "Member");
  const other = await createOwner(exec, "Other");
  return { admin, owner, member, other };
}

export async function createAgent(admin: TestUser, name = "Scout") {
  const d = await ok(
    exec,
    `mutation($input: AgentInput!) { createAgent(input: $input) { id } }`,
    { input: { name, systemPrompt: "You are the secret sauce.", temperature: 0.4 } },
    admin.token,
  );
  return d.createAgent.id as string;
}

export async function currentSessionId(user: TestUser): Promise<string> {
  const d = await ok(exec, `{ sessions { edges { node { id current } } } }`, {}, user.token);
  const s = d.sessions.edges.find((e: { node: { current: boolean } }) => e.node.current);
  return s.node.id;
}
