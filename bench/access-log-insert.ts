// Where the database's CPU goes when the privacy access log writes a batch (PostgreSQL, throwaway).
// The writer (services/access-log.ts) writes BATCHES batches of 1,000 rows, each batch 20
// requests' listing of 50 members with their profiles, as the members shape of bench:compare notes
// them (a User and a Profile read per member, one row listing both); its statement
// is recorded and then run again, in interleaved rounds, on copies of the table that split its
// cost: as it is, with the two foreign keys the log had before (tenant and subject, checked per
// row), without any index, and its SELECT alone. Per variant: the database backend's CPU per row
// (its /proc times; USER_HZ ticks, so use enough batches) and the machine's load. One EXPLAIN
// (ANALYZE, BUFFERS, WAL) of the writer's statement is printed first. USERS other users make the
// lookups land in a table of a realistic size.
import { readFileSync } from "node:fs";
import pg from "pg";
import { createLogger } from "../server/logger.ts";
import { createAccessLog } from "../server/services/access-log.ts";
import type { SignedInViewer } from "../server/viewer.ts";
import { migrate, startPostgres } from "../test/support/services.ts";
import { loadAverage } from "./support.ts";

const BATCHES = Number(process.env.BATCHES ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const USERS = Number(process.env.USERS ?? 100_000);

const server = await startPostgres();
try {
  await migrate(server.url);
  const db = new pg.Client({ connectionString: server.url });
  await db.connect();
  const one = async <T>(sql: string) => (await db.query(sql)).rows[0] as T;
  const { id: tenantId } = await one<{ id: string }>(
    `INSERT INTO tenants (id, name, slug, updated_at) VALUES (gen_random_uuid(), 'Bench', 'bench', now()) RETURNING id`,
  );
  await db.query(`INSERT INTO users (id, email, password_hash, display_name, updated_at)
    SELECT gen_random_uuid(), 'other' || i || '@bench', 'x', 'Other ' || i, now() FROM generate_series(1, ${USERS}) i`);
  const members = (
    await db.query<{ id: string }>(`INSERT INTO users (id, email, password_hash, display_name, updated_at)
      SELECT gen_random_uuid(), 'm' || i || '@bench', 'x', 'Member ' || i, now() FROM generate_series(1, 50) i
      RETURNING id`)
  ).rows.map((r) => r.id);
  await db.query("ANALYZE");
  const { pid } = await one<{ pid: number }>("SELECT pg_backend_pid() AS pid");
  // The backend's CPU in ms (utime + stime, in USER_HZ = 100 ticks a second).
  const cpuMs = () => {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  };

  // The writer, on this one connection; its statements are kept to be run again below.
  const statements: { sql: string; params: unknown[] }[] = [];
  const writer = createAccessLog(
    {
      async query<T>(sql: string, params: unknown[]) {
        statements.push({ sql, params });
        return (await db.query(sql, params)).rows as T[];
      },
    },
    createLogger({ LOG_LEVEL: "warn", NODE_ENV: "production" }),
    { flushMs: 3_600_000 },
  );
  const viewer: SignedInViewer = {
    kind: "session",
    userId: members[0]!,
    tenantId,
    roles: [],
    sessionId: "bench",
    expiresAt: new Date(Date.now() + 3_600_000),
  };
  const request = { ip: "127.0.0.1", userAgent: "bench", referrer: null };
  const noteBatches = (n: number) => {
    for (let i = 0; i < n * 20; i++) {
      const scope = {};
      for (const subjectUserId of members)
        for (const resource of ["User", "Profile"])
          writer.note(
            scope,
            viewer,
            request,
            { subjectUserId, resource, operationType: "query", operationName: null },
            () => "me",
          );
    }
  };

  noteBatches(1);
  await writer.flush();
  const statement = statements[0]!;
  const explain = await db.query(`EXPLAIN (ANALYZE, BUFFERS, WAL) ${statement.sql}`, statement.params);
  console.log(explain.rows.map((r: Record<string, string>) => r["QUERY PLAN"]).join("\n"));

  // Copies of the table: LIKE ... INCLUDING ALL copies indexes and defaults, not foreign keys.
  await db.query(`CREATE TABLE log_with_fks (LIKE data_access_log INCLUDING ALL)`);
  await db.query(`ALTER TABLE log_with_fks ADD FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    ADD FOREIGN KEY (subject_user_id) REFERENCES users (id) ON DELETE CASCADE`);
  await db.query(`CREATE TABLE log_no_indexes (LIKE data_access_log INCLUDING DEFAULTS)`);
  const on = (table: string) => statement.sql.replace("INSERT INTO data_access_log", `INSERT INTO ${table}`);
  const variants: [string, string | null][] = [
    ["the writer's statement (through the writer)", null],
    ["the same, with the two foreign keys the log had", on("log_with_fks")],
    ["the same, into a table without indexes", on("log_no_indexes")],
    [
      "its SELECT alone (JSON, locks, names, no insert)",
      `${statement.sql.replace(/INSERT INTO data_access_log \([^)]*\)/, "SELECT count(*) FROM (")}) x`,
    ],
  ];
  const results = new Map<string, number[]>();
  console.log(`\n${BATCHES} batches of 1,000 rows per variant and round; load ${loadAverage()}`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, sql] of round % 2 ? [...variants].reverse() : variants) {
      let ms: number;
      if (sql === null) {
        noteBatches(BATCHES);
        const c = cpuMs();
        await writer.flush();
        ms = cpuMs() - c;
      } else {
        const c = cpuMs();
        for (let b = 0; b < BATCHES; b++) await db.query(sql, statement.params);
        ms = cpuMs() - c;
      }
      const usPerRow = (ms * 1000) / (BATCHES * 1000);
      results.set(name, [...(results.get(name) ?? []), usPerRow]);
      console.log(
        `round ${round + 1} ${name}: ${usPerRow.toFixed(1)} µs of the database's CPU per row; load ${loadAverage()}`,
      );
    }
  }
  console.log(`\nµs of the database's CPU per row, by round; load at end: ${loadAverage()}`);
  for (const [name, xs] of results) console.log(`- ${name}: ${xs.map((x) => x.toFixed(1)).join(", ")}`);
  await db.end();
} finally {
  await server.stop();
}
