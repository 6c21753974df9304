import type { TestProject } from "vitest/node";
import { migrate, type Service, startPostgres, startRedis } from "./services.ts";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string | null;
    redisUrl: string | null;
  }
}

/** One PostgreSQL (migrated once) and one Redis for the whole run; tests isolate by tenant. */
export default async function setup(project: TestProject) {
  const services: Service[] = [];
  let databaseUrl: string | null = null;
  if (process.env.TEST_SKIP_POSTGRES !== "1") {
    const pg = await startPostgres();
    services.push(pg);
    databaseUrl = pg.url;
    migrate(pg.url);
  }
  const redis = await startRedis();
  if (redis) services.push(redis);
  project.provide("databaseUrl", databaseUrl);
  project.provide("redisUrl", redis?.url ?? null);
  return async () => {
    for (const s of services.reverse()) await s.stop();
  };
}
