// What one statement costs, by the path it takes: the pg pool alone, and Prisma's client (the
// query compiler's plan, its interpreter, the adapter) for the same row, and for the agents
// shape's one statement (a user with 20 agent copies and their agents, joined), that statement
// through a Prisma client that sends it unnamed (re-parsed and re-planned on every call, as before
// server/db/statement-names.ts), and its SQL sent through the pool without Prisma, unnamed and as
// a named prepared statement.
// CPU per call of this process (process.cpuUsage, user and system) and of the database's server
// processes (/proc, their user and system time), calls one after another, in interleaved rounds,
// on a throwaway PostgreSQL 15 filled through the API. It tells how much of a request's cost in
// bench:compare is the client library's rather than the database's or GraphQL's.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "../server/generated/prisma/client.ts";
import { createOwner, executor, ok } from "../test/kit.ts";
import { migrate, startPostgres } from "../test/support/services.ts";
import { benchServer, databaseCpu, databaseCpuSince, loadAverage } from "./support.ts";

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CALLS = Number(process.env.CALLS ?? 3000);
console.log(`load before: ${loadAverage()}`);

const pgServer = await startPostgres();
try {
  await migrate(pgServer.url);
  // What production runs (docker-compose.yml sets it): Prisma reads it from the process, not from
  // the app's config, and outside production captures a stack trace per call for its error
  // messages. Set after the migration, whose process would then ask for production's secrets.
  process.env.NODE_ENV = "production";
  const app = await benchServer({ METRICS: "false", SIGNUPS_PER_ADDRESS_HOUR: "1000", DATABASE_URL: pgServer.url }, {});
  const exec = executor(app);
  const owner = await createOwner(exec, "Owner");
  for (let i = 0; i < 20; i++) {
    const a = await ok(
      exec,
      `mutation($name: String!) { createAgent(input: { name: $name, model: "gpt-4o-mini" }) { id } }`,
      { name: `Agent ${i}` },
      owner.token,
    );
    await ok(exec, `mutation($id: ID!) { addAgent(agentId: $id) { id } }`, { id: a.createAgent.id }, owner.token);
  }
  const prisma = app.db.prisma;
  const pool = app.db.pool;
  if (!pool) throw new Error("expected PostgreSQL");
  const id = (await prisma.user.findFirstOrThrow({ where: { displayName: "Owner" }, select: { id: true } })).id;

  // The agents list's one joined statement, as the schema asks for it, through a given client.
  const agentsOf = (client: typeof prisma) =>
    client.user.findUnique({
      where: { id },
      select: {
        id: true,
        userAgents: {
          where: { deletedAt: null },
          orderBy: [{ isPinned: "desc" }, { sortOrder: "asc" }, { addedAt: "desc" }],
          take: 21,
          select: {
            id: true,
            userId: true,
            tenantId: true,
            isShared: true,
            sharedWith: true,
            customName: true,
            agent: { select: { id: true, tenantId: true, name: true, model: true } },
          },
        },
      },
    });
  const agentsStatement = () => agentsOf(prisma);
  // The SQL Prisma sends for it, caught on the pool, to send the very same statement without Prisma.
  let sent: { text: string; values: unknown[] } | null = null;
  const query = pool.query;
  pool.query = ((config: { text?: string; values?: unknown[] }, ...rest: unknown[]) => {
    if (config?.text) sent = { text: config.text, values: config.values ?? [] };
    return (query as (...args: unknown[]) => unknown).call(pool, config, ...rest);
  }) as typeof pool.query;
  await agentsStatement();
  pool.query = query;
  const agentsSql = sent as { text: string; values: unknown[] } | null;
  if (!agentsSql) throw new Error("Prisma sent no statement through the pool");

  // A client on the same pool that sends every statement unnamed, as the server did before.
  const unnamed = new PrismaClient({ adapter: new PrismaPg(pool) });
  const agentsUnnamed = () => agentsOf(unnamed);

  // The database's CPU: its server processes for this database (the pool's connections).
  const observer = new pg.Client({ connectionString: pgServer.url });
  await observer.connect();

  const cases: [string, () => Promise<unknown>][] = [
    ["pg pool.query, one column of one row", () => pool.query("SELECT display_name FROM users WHERE id = $1", [id])],
    [
      "Prisma findUnique, one column of one row",
      () => prisma.user.findUnique({ where: { id }, select: { displayName: true } }),
    ],
    [
      "Prisma findFirst, one column of one row",
      () => prisma.user.findFirst({ where: { id }, select: { displayName: true } }),
    ],
    [
      "Prisma $queryRaw, one column of one row",
      () => prisma.$queryRaw`SELECT display_name FROM users WHERE id = ${id}::uuid`,
    ],
    ["Prisma findUnique, user → 20 agent copies → agent (the agents shape's statement)", agentsStatement],
    ["the same through a Prisma client sending it unnamed (before)", agentsUnnamed],
    ["pg pool.query, the same statement's SQL as Prisma sends it", () => pool.query(agentsSql.text, agentsSql.values)],
    [
      "pg pool.query, the same SQL as a named prepared statement",
      () => pool.query({ name: "statement_cost_agents", text: agentsSql.text, values: agentsSql.values }),
    ],
  ];
  const results = new Map<string, number[]>();
  const database = new Map<string, number[]>();
  for (const [, fn] of cases) for (let i = 0; i < 500; i++) await fn();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of round % 2 ? [...cases].reverse() : cases) {
      const d0 = await databaseCpu(observer);
      const c0 = process.cpuUsage();
      for (let i = 0; i < CALLS; i++) await fn();
      const c = process.cpuUsage(c0);
      const db = databaseCpuSince(d0, await databaseCpu(observer)) / CALLS;
      const us = (c.user + c.system) / CALLS;
      results.set(name, [...(results.get(name) ?? []), us]);
      database.set(name, [...(database.get(name) ?? []), db]);
      console.log(
        `round ${round + 1} ${name}: ${us.toFixed(0)} µs CPU per call (system ${(c.system / CALLS).toFixed(0)}), database ${db.toFixed(0)} µs (load ${loadAverage()})`,
      );
    }
  }
  console.log(`\n${ROUNDS} interleaved rounds of ${CALLS} calls; load at end: ${loadAverage()}`);
  const summary = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `${s[Math.floor(s.length / 2)]!.toFixed(0)} (${s[0]!.toFixed(0)}–${s.at(-1)!.toFixed(0)})`;
  };
  console.log(
    "| statement | this process: µs CPU per call (median, range) | database: µs CPU per call |\n|---|---|---|",
  );
  for (const [name, xs] of results) console.log(`| ${name} | ${summary(xs)} | ${summary(database.get(name)!)} |`);
  await observer.end();
  await unnamed.$disconnect();
  await app.stop();
} finally {
  await pgServer.stop();
}
