// Typed test kit: a real app on a real database, operations through the real HTTP handler, and
// seed builders that give every test its own tenant so tests never need to wipe tables.
import { randomUUID } from "node:crypto";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { decodeGlobalID } from "@pothos/plugin-relay";
import { print } from "graphql";
import { afterAll, test as baseTest, beforeAll, inject } from "vitest";
import { type App, type BuildOptions, buildApp } from "../server/app.ts";
import { type Config, loadConfig } from "../server/config.ts";
import { TEST_APP_ENV, templateBlob } from "./support/pglite-template.ts";

export const dbKind = (process.env.TEST_DB ?? "pglite") as "pglite" | "postgres";

/** What production refuses to start without, for tests that build a production app or config. */
export const PRODUCTION_SECRETS = {
  SMTP_URL: "smtp://127.0.0.1:2525",
  FILE_URL_SECRET: "test-only-download-url-signing-secret-0123456789",
  TOTP_ENCRYPTION_KEY: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
} as const;

/** The postgres project's database of this test file (test/support/file-database.ts); null on PGlite. */
export function testDatabaseUrl(): string | null {
  if (dbKind !== "postgres") return null;
  const url = process.env.TEST_FILE_DATABASE_URL;
  if (!url) throw new Error("the postgres project needs a database (see test/support/file-database.ts)");
  return url;
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  const databaseUrl = testDatabaseUrl();
  return loadConfig({
    ...TEST_APP_ENV,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? TEST_APP_ENV.LOG_LEVEL,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...overrides,
  });
}

export interface TestAppOptions {
  config?: Record<string, string>;
  onQuery?: (sql: string) => void;
  onLiveExecute?: BuildOptions["onLiveExecute"];
  logger?: BuildOptions["logger"];
  jobClock?: BuildOptions["jobClock"];
}

let template: Promise<Blob | undefined> | undefined;

/** The run's migrated PGlite (test/support/pglite-template.ts), read once per test file. */
function pgliteTemplate(): Promise<Blob | undefined> {
  template ??= (async () => {
    const file = dbKind === "pglite" ? inject("pgliteTemplate") : null;
    return file ? templateBlob(file) : undefined;
  })();
  return template;
}

/** A fresh app: in-memory PGlite per call (a copy of the migrated template), or this file's PostgreSQL database. */
export async function createTestApp(options: TestAppOptions = {}): Promise<App> {
  return buildApp(testConfig(options.config), {
    memoryDatabase: true,
    pgliteTemplate: await pgliteTemplate(),
    onQuery: options.onQuery,
    onLiveExecute: options.onLiveExecute,
    logger: options.logger,
    jobClock: options.jobClock,
  });
}

/**
 * Fills `dataDir` (DATA_DIR) with a copy of the migrated PGlite, as an app given that DATA_DIR opens
 * it: apps and worker processes that use an on-disk database then start without migrating it from
 * nothing (seconds of CPU each). Nothing on PostgreSQL.
 */
export async function seedPgliteDataDir(dataDir: string): Promise<void> {
  const loadDataDir = await pgliteTemplate();
  if (!loadDataDir) return;
  const pglite = await PGlite.create(path.resolve(dataDir, "pglite"), { loadDataDir });
  await pglite.close();
}

export interface GraphQLResult<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export type Execute = <T = any>(
  query: string,
  variables?: Record<string, unknown>,
  token?: string | null,
) => Promise<GraphQLResult<T>>;

export function executor(app: App): Execute {
  return async (query, variables = {}, token = null) => {
    const res = await app.fetch("http://test/graphql", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent":
          "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as GraphQLResult<any>;
  };
}

/** Returns data, failing with the operation and the whole response when there are errors. */
export async function ok<T = any>(
  exec: Execute,
  query: string,
  variables?: Record<string, unknown>,
  token?: string | null,
): Promise<T> {
  const r = await exec<T>(query, variables, token);
  if (r.errors?.length || !r.data) {
    throw new Error(
      `operation failed:\n${query}\nvariables: ${JSON.stringify(variables)}\n${JSON.stringify(r, null, 2)}`,
    );
  }
  return r.data;
}

/** The first error's stable code. */
export function codeOf(r: GraphQLResult): unknown {
  return r.errors?.[0]?.extensions?.code;
}

export interface TestUser {
  token: string;
  /** Global (Relay) ID, as clients see it. */
  id: string;
  /** Database UUIDs. */
  userId: string;
  email: string;
  password: string;
  tenantId: string;
}

const SIGN_UP = /* GraphQL */ `
  mutation SignUp($email: String!, $password: String!, $displayName: String!, $inviteToken: String) {
    signUp(email: $email, password: $password, displayName: $displayName, inviteToken: $inviteToken) {
      token
      user { id tenant { id } }
    }
  }
`;

export function uniqueEmail(prefix = "user"): string {
  return `${prefix}-${randomUUID().slice(0, 8)}@example.test`;
}

/** Signs up the admin of a brand-new tenant. */
export async function createOwner(exec: Execute, name = "Owner"): Promise<TestUser> {
  const email = uniqueEmail(name.toLowerCase());
  const password = "correct horse battery staple";
  const d = await ok(exec, SIGN_UP, { email, password, displayName: name });
  return toTestUser(d, email, password);
}

function toTestUser(d: any, email: string, password: string): TestUser {
  return {
    token: d.signUp.token,
    id: d.signUp.user.id,
    userId: dbId(d.signUp.user.id),
    email,
    password,
    tenantId: dbId(d.signUp.user.tenant.id),
  };
}

/** The database UUID inside a global ID. */
export function dbId(globalId: string): string {
  return decodeGlobalID(globalId).id;
}

/** Invites and signs up a member of the admin's tenant. */
export async function createMember(
  exec: Execute,
  admin: TestUser,
  name = "Member",
  role = "member",
): Promise<TestUser> {
  const inv = await ok(exec, `mutation($role: Role) { createInvite(role: $role) { token } }`, { role }, admin.token);
  const email = uniqueEmail(name.toLowerCase());
  const password = "correct horse battery staple";
  const d = await ok(exec, SIGN_UP, { email, password, displayName: name, inviteToken: inv.createInvite.token });
  return toTestUser(d, email, password);
}

/** An API key of `user` with the given scopes. */
export async function createApiKey(exec: Execute, user: TestUser, scopes: string[]): Promise<string> {
  const d = await ok(
    exec,
    `mutation($scopes: [ApiScope!]!) { createApiKey(name: "test", scopes: $scopes) { secret } }`,
    { scopes },
    user.token,
  );
  return d.createApiKey.secret;
}

/**
 * Why a test of several instances cannot run here ("" when it can): they share a PostgreSQL (PGlite
 * is one process's) and Redis.
 */
export function instancesSkipReason(name: string): string {
  const databaseUrl = testDatabaseUrl();
  const why = !databaseUrl
    ? "skipped: two instances share a PostgreSQL; PGlite is one process's (see the postgres project)"
    : !inject("redisUrl")
      ? "SKIPPED: redis-server is not installed here (CI installs it); install it to run this test"
      : "";
  if (why && databaseUrl) console.warn(`${name}: ${why}`);
  return why;
}

// ---------------------------------------------------------------------------------------------
// The kit as vitest fixtures. A test names what it needs and gets it typed:
//
//   const test = appTest();                      // one app for the file, built on first use
//   test("…", async ({ execute, owner }) => {    // a fresh tenant's owner per test
//     const r = await execute(ViewerDocument, {}, owner.token); // r.data is ViewerQuery
//   });
//
// Every test gets its own tenant, so tests that assert only on their tenant can run concurrently
// (`test.concurrent`, or `describe.concurrent` around them).

/** Data typed by the document: the client's generated documents (client/gql) or a plain string. */
export type TypedExecute = {
  <R, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V>,
    variables?: V,
    token?: string | null,
  ): Promise<GraphQLResult<R>>;
  <R = any>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GraphQLResult<R>>;
};

/** `executor` over documents as well as strings. */
export function typedExecutor(app: App): TypedExecute {
  const exec = executor(app);
  return ((
    document: TypedDocumentNode<unknown, Record<string, unknown>> | string,
    variables?: Record<string, unknown>,
    token?: string | null,
  ) => exec(typeof document === "string" ? document : print(document), variables, token)) as TypedExecute;
}

export interface AppFixtures {
  /** The file's app, built on first use and stopped after the file. */
  app: App;
  /** The string executor the older tests use, over the same app. */
  exec: Execute;
  execute: TypedExecute;
  /** The owner (admin) of a tenant made for this test alone. */
  owner: TestUser;
}

/**
 * A `test` whose fixtures share one app per file, built with `options`. The app is built in a
 * beforeAll, as the older tests do, so building it counts against the hook timeout and not
 * against the first test's.
 */
export function appTest(options: TestAppOptions = {}) {
  let built: App | undefined;
  beforeAll(async () => {
    built = await createTestApp(options);
  });
  afterAll(async () => {
    await built?.stop();
  });
  const app = (): App => {
    if (!built) throw new Error("appTest: the app is not built (is this test inside the file that called appTest?)");
    return built;
  };
  return baseTest.extend<AppFixtures>({
    // biome-ignore lint/correctness/noEmptyPattern: vitest reads the fixtures a fixture needs from this pattern.
    app: [async ({}, use) => use(app()), { scope: "file" }],
    exec: [async ({ app }, use) => use(executor(app)), { scope: "file" }],
    execute: [async ({ app }, use) => use(typedExecutor(app)), { scope: "file" }],
    owner: async ({ exec }, use) => use(await createOwner(exec)),
  });
}
