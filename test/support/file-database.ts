// Setup file of the postgres project: every test file gets its own database, cloned from the
// migrated one global set-up made. Files then cannot see each other's rows, so passes over a whole
// database (clean-up, retention, meters) assert on their own file's data, and files run side by
// side like the PGlite ones instead of one at a time.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, inject } from "vitest";

const template = inject("databaseUrl");
if (!template) throw new Error("the postgres project needs a database (see test/support/global-setup.ts)");

const url = new URL(template);
const templateName = url.pathname.slice(1);
const name = `file_${randomUUID().replaceAll("-", "")}`;

async function connected<T>(database: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const at = new URL(template as string);
  at.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: at.toString() });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

// Identifiers come from this file (a uuid and the URL global set-up built), never from a test.
await connected("postgres", (c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${templateName}"`));
// A clone lacks the catalog cache file (pg_internal.init) its template had, so every first
// connection rebuilt it; under load, a file's first concurrent transactions then waited past
// Prisma's 2 s to start. One connection now writes it before any test connects.
await connected(name, (c) => c.query("SELECT 1"));
url.pathname = `/${name}`;
process.env.TEST_FILE_DATABASE_URL = url.toString();

afterAll(async () => {
  delete process.env.TEST_FILE_DATABASE_URL;
  await connected("postgres", (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
});
