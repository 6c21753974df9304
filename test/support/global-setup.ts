import type { TestProject } from "vitest/node";
import { ensureWordVectors } from "../../server/services/word-vectors.ts";
import { pgliteTemplate } from "./pglite-template.ts";
import { migrate, type Service, startPostgres, startRedis } from "./services.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The migrated PostgreSQL each postgres test file clones its own database from. */
    databaseUrl: string | null;
    redisUrl: string | null;
    /** A migrated PGlite data directory, dumped, that each pglite test app starts from. */
    pgliteTemplate: string | null;
  }
}

/**
 * Set up per server project (test/vitest.config.ts names it only there): the postgres project
 * gets one PostgreSQL migrated once (each file clones it: test/support/file-database.ts), the
 * pglite project one migrated PGlite to clone; both a Redis. Projects without a database start nothing.
 */
export default async function setup(project: TestProject) {
  const services: Service[] = [];
  let databaseUrl: string | null = null;
  let template: string | null = null;
  if (project.name === "postgres") {
    const pg = await startPostgres();
    services.push(pg);
    databaseUrl = pg.url;
    migrate(pg.url);
  } else {
    template = await pgliteTemplate();
  }
  // Made once here, in a child process, rather than by the first test that embeds.
  await ensureWordVectors({ current: true });
  const redis = await startRedis();
  if (redis) services.push(redis);
  project.provide("databaseUrl", databaseUrl);
  project.provide("redisUrl", redis?.url ?? null);
  project.provide("pgliteTemplate", template);
  return async () => {
    for (const s of services.reverse()) await s.stop();
  };
}
