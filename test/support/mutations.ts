// Shared by the mutation tests (test/api/ and test/server/mutations-*.test.ts): one app per test file behind a
// pretend reverse proxy, a real listener for what only real HTTP carries, and the helpers that
// check an error's code and field. The bindings are live: they hold the calling file's app once
// its beforeAll has run.
import { afterAll, beforeAll, expect } from "vitest";
import type { App } from "../../server/app.ts";
import { createApiKey, createTestApp, type Execute, executor, type GraphQLResult, type TestUser } from "../kit.ts";

export let app: App;
export let exec: Execute;
export let url: string;

/** Builds this file's app before its tests and stops it after. */
export function setUpMutationApp(): void {
  beforeAll(async () => {
    // As if behind a reverse proxy, so a test can act from several client addresses.
    app = await createTestApp({
      config: { TRUST_PROXY_HOPS: "1", SIGNIN_FAILURES_PER_ADDRESS_HOUR: "5", SIGNUPS_PER_ADDRESS_HOUR: "3" },
    });
    exec = executor(app);
    // A real listener too, for what only a real HTTP request carries (client address, user agent).
    url = (await app.start()).url;
  });
  afterAll(() => app?.stop());
}

export const FIREFOX_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:131.0) Gecko/20100101 Firefox/131.0";

/** An operation over real HTTP from a given address and browser. */
export async function overHttp(
  query: string,
  variables: Record<string, unknown> = {},
  opts: { ip?: string; userAgent?: string; token?: string } = {},
): Promise<GraphQLResult<any>> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": opts.userAgent ?? FIREFOX_MAC,
      ...(opts.ip ? { "x-forwarded-for": opts.ip } : {}),
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GraphQLResult<any>;
}

/** The first error has `code`, and names `field` when given. */
export function expectError(r: GraphQLResult, code: string, field?: string) {
  const e = r.errors?.[0];
  expect(e?.extensions?.code, JSON.stringify(r)).toBe(code);
  if (field !== undefined) expect(e?.extensions?.field, JSON.stringify(r)).toBe(field);
}

/** A literal of the wrong type never reaches a resolver: the document fails validation. */
export function expectInvalidDocument(r: GraphQLResult) {
  expect(r.data ?? null, JSON.stringify(r)).toBeNull();
  expect(r.errors?.[0]?.extensions?.code, JSON.stringify(r)).toBe("GRAPHQL_VALIDATION_FAILED");
}

export const apiKey = (user: TestUser, scopes: string[]) =>
  createApiKey(
    exec,
    user,
    scopes.map((s) => s.replace(":", "_").toUpperCase()),
  );
export const auditRows = (where: { tenantId?: string | null; userId?: string; action: string }) =>
  app.db.prisma.auditLog.count({ where });
export const long = (n: number) => "x".repeat(n);
// A fresh address per call: throttles count per address, in a database other runs may share.
const ipBase = Math.floor(Math.random() * 200) + 20;
let ipCount = 0;
export const ipFor = () => {
  ipCount++;
  return `198.${ipBase}.${Math.floor(ipCount / 250)}.${(ipCount % 250) + 1}`;
};

export const SIGN_UP = `mutation($e: String!, $p: String!, $d: String!, $i: String) {
  signUp(email: $e, password: $p, displayName: $d, inviteToken: $i) { token user { id email } }
}`;
export const SIGN_IN = `mutation($e: String!, $p: String!, $t: String) { signIn(email: $e, password: $p, tenantSlug: $t) { token user { id lastSignInAt } } }`;
export const PASSWORD = "correct horse battery staple";
