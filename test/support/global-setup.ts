import { spawnSync } from "node:child_process";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { type Service, startPostgres, startRedis } from "./services.ts";

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
    // Migrated exactly as an operator would: `npm run db:migrate` against DATABASE_URL.
    const root = path.resolve(import.meta.dirname, "../..");
    const r = spawnSync(path.join(root, "node_modules/.bin/tsx"), ["server/scripts/migrate.ts"], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: pg.url, LOG_LEVEL: "warn" },
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`db:migrate failed:\n${r.stdout}\n${r.stderr}`);
  }
  const redis = await startRedis();
  if (redis) services.push(redis);
  project.provide("databaseUrl", databaseUrl);
  project.provide("redisUrl", redis?.url ?? null);
  return async () => {
    for (const s of services.reverse()) await s.stop();
  };
}
