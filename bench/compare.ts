// Userplane beside PostGraphile v5 (amber preset) on one throwaway PostgreSQL 15, same data, same
// query shapes, interleaved rounds: req/s and p50/p99 (autocannon), SQL statements per request
// (pg_stat_statements, BEGIN/COMMIT included), server CPU per request (process.cpuUsage of each
// server, a child process), the database's CPU per request (its processes' /proc times; the
// database shares the cores, so its work costs throughput too) and the ratio. BASELINE_DIR=<Userplane checkouts with node_modules,
// comma-separated> adds those builds as more servers, measured in the same rounds (before/after).
// Each Userplane runs with the node flags of its checkout's `npm start`. SHAPES=<parts of names,
// comma-separated> picks shapes, including two that only split a request's cost: the agents shape
// with one row, and one column of one row.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import autocannon from "autocannon";
import pg from "pg";
import { createMember, createOwner, dbId, executor, ok } from "../test/kit.ts";
import { freePort, migrate, startPostgres } from "../test/support/services.ts";
import { benchServer, databaseCpu, databaseCpuSince, loadAverage, productionEnv } from "./support.ts";

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const DURATION = Number(process.env.DURATION ?? 5);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
const SETTLE_MS = Number(process.env.SETTLE_MS ?? 2500);
const ONLY = process.env.SHAPES?.split(",");
const root = path.resolve(import.meta.dirname, "..");

console.log(`load before: ${loadAverage()}`);

const pgServer = await startPostgres({ settings: ["shared_preload_libraries=pg_stat_statements"] });
const servers: { name: string; child: ChildProcess; url: string }[] = [];
// Each server is given up to 10 s to exit (HEAP_PROF_DIR profiles are written on the way out).
const stopAll = async () => {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.child.exitCode !== null) return resolve();
          s.child.once("exit", () => resolve());
          setTimeout(resolve, 10_000).unref();
          s.child.kill("SIGTERM");
        }),
    ),
  );
  await pgServer.stop();
};
process.on("SIGINT", () => void stopAll().then(() => process.exit(130)));

try {
  await migrate(pgServer.url);
  const db = new pg.Client({ connectionString: pgServer.url });
  await db.connect();
  await db.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");

  // Filled through Userplane's API: one tenant, 50 members with profiles, 20 agents, one user with 20 user agents.
  const seeder = await benchServer(
    { METRICS: "false", SIGNUPS_PER_ADDRESS_HOUR: "1000", DATABASE_URL: pgServer.url },
    {},
  );
  const exec = executor(seeder);
  const owner = await createOwner(exec, "Owner");
  await ok(
    exec,
    `mutation { updateProfile(input: { fullName: "Olga Owner", jobTitle: "CEO" }) { id } }`,
    {},
    owner.token,
  );
  for (let i = 0; i < 49; i++) {
    const m = await createMember(exec, owner, `Member${i}`);
    await ok(
      exec,
      `mutation($n: String!, $j: String!) { updateProfile(input: { fullName: $n, jobTitle: $j }) { id } }`,
      { n: `Member Number ${i}`, j: `Engineer ${i % 5}` },
      m.token,
    );
  }
  for (let i = 0; i < 20; i++) {
    const a = await ok(
      exec,
      `mutation($name: String!, $model: String!) { createAgent(input: { name: $name, model: $model }) { id } }`,
      { name: `Agent ${i}`, model: i % 2 ? "gpt-4o-mini" : "claude-sonnet" },
      owner.token,
    );
    await ok(
      exec,
      `mutation($id: ID!, $input: UserAgentInput) { addAgent(agentId: $id, input: $input) { id } }`,
      { id: a.createAgent.id, input: i % 3 === 0 ? { customName: `My agent ${i}` } : {} },
      owner.token,
    );
  }
  await seeder.stop();

  // What PostGraphile needs to answer the same shapes for the same bearer token: the session
  // lookup (token hashed in SQL, role in effect today) and tenant membership as SQL functions.
  await db.query(`
    CREATE FUNCTION viewer_me(token text) RETURNS users LANGUAGE sql STABLE AS $$
      SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.token_hash = encode(sha256(convert_to(token, 'UTF8')), 'hex')
        AND s.revoked_at IS NULL AND s.expires_at > now() AND u.deleted_at IS NULL
        AND EXISTS (SELECT 1 FROM role_assignments r WHERE r.user_id = s.user_id AND r.tenant_id = s.tenant_id
          AND r.effective_from <= current_date AND (r.effective_to IS NULL OR r.effective_to >= current_date))
    $$;
    CREATE FUNCTION viewer_tenant(token text) RETURNS tenants LANGUAGE sql STABLE AS $$
      SELECT t.* FROM sessions s JOIN tenants t ON t.id = s.tenant_id
      WHERE s.token_hash = encode(sha256(convert_to(token, 'UTF8')), 'hex')
        AND s.revoked_at IS NULL AND s.expires_at > now()
        AND EXISTS (SELECT 1 FROM role_assignments r WHERE r.user_id = s.user_id AND r.tenant_id = s.tenant_id
          AND r.effective_from <= current_date AND (r.effective_to IS NULL OR r.effective_to >= current_date))
    $$;
    CREATE FUNCTION tenants_members(t tenants) RETURNS SETOF users LANGUAGE sql STABLE AS $$
      SELECT u.* FROM users u WHERE u.deleted_at IS NULL
        AND EXISTS (SELECT 1 FROM role_assignments r WHERE r.user_id = u.id AND r.tenant_id = t.id
          AND r.effective_from <= current_date AND (r.effective_to IS NULL OR r.effective_to >= current_date))
      ORDER BY u.created_at
    $$;
  `);

  const tenantId = owner.tenantId;
  console.log(`seeded tenant ${tenantId}: 50 members with profiles, 20 agents, 20 user agents of one user`);

  interface Shape {
    name: string;
    userplane: string;
    postgraphile: string;
    /** The rows each answer holds, in a form both can be compared by. */
    rows: { userplane: (d: any) => unknown; postgraphile: (d: any) => unknown };
    /** Measured only when SHAPES names it: shapes that split a request's cost, not goals of their own. */
    optional?: boolean;
  }
  const agentsShape = (first: number, optional: boolean): Shape => ({
    name: `me → myAgents(first: ${first}) → agent`,
    userplane: `{ me { myAgents(first: ${first}) { edges { node { name agent { name model } } } } } }`,
    postgraphile: `query($t: String!) { viewerMe(token: $t) { userAgentsByUserId(first: ${first}, condition: { deletedAt: null }, orderBy: [IS_PINNED_DESC, SORT_ORDER_ASC, ADDED_AT_DESC]) { nodes { customName agentByAgentId { name model } } } } }`,
    rows: {
      userplane: (d) => d.me.myAgents.edges.map((e: any) => [e.node.name, e.node.agent.name, e.node.agent.model]),
      postgraphile: (d) =>
        d.viewerMe.userAgentsByUserId.nodes.map((n: any) => [
          n.customName ?? n.agentByAgentId.name,
          n.agentByAgentId.name,
          n.agentByAgentId.model,
        ]),
    },
    optional,
  });
  const allShapes: Shape[] = [
    agentsShape(20, false),
    {
      name: "tenant's 50 members with profiles",
      userplane: `{ me { tenant { members(first: 50) { edges { node { displayName profile { fullName jobTitle } } } } } } }`,
      postgraphile: `query($t: String!) { viewerTenant(token: $t) { members(first: 50) { nodes { displayName profileByUserId { fullName jobTitle } } } } }`,
      rows: {
        userplane: (d) =>
          d.me.tenant.members.edges
            .map((e: any) => [e.node.displayName, e.node.profile?.fullName, e.node.profile?.jobTitle])
            .sort(),
        postgraphile: (d) =>
          d.viewerTenant.members.nodes
            .map((n: any) => [n.displayName, n.profileByUserId?.fullName, n.profileByUserId?.jobTitle])
            .sort(),
      },
    },
    {
      name: "{ me { id } }",
      userplane: `{ me { id } }`,
      postgraphile: `query($t: String!) { viewerMe(token: $t) { rowId } }`,
      rows: { userplane: (d) => dbId(d.me.id), postgraphile: (d) => d.viewerMe.rowId },
    },
    // The agents shape less its rows: what a request with one statement costs before any row.
    agentsShape(1, true),
    {
      name: "{ me { displayName } } (one row, one column)",
      userplane: `{ me { displayName } }`,
      postgraphile: `query($t: String!) { viewerMe(token: $t) { displayName } }`,
      rows: { userplane: (d) => d.me.displayName, postgraphile: (d) => d.viewerMe.displayName },
      optional: true,
    },
  ];
  const shapes = allShapes.filter((s) => (ONLY ? ONLY.some((o) => s.name.includes(o)) : !s.optional));

  // A Userplane checkout runs with the node flags of its own `npm start` (e.g. GC settings), so
  // the bench measures what production runs and a baseline checkout keeps its own.
  const startFlags = (cwd: string): string[] => {
    const start = (JSON.parse(readFileSync(path.join(cwd, "package.json"), "utf8")) as { scripts: { start: string } })
      .scripts.start;
    return (/^node\s+(.*?)\s*(?:--import tsx|server\/\S+\.mjs)/.exec(start)?.[1] ?? "").split(/\s+/).filter(Boolean);
  };

  async function startServer(
    name: string,
    cwd: string,
    script: string,
    env: Record<string, string>,
    flags: string[] = [],
  ) {
    const port = await freePort();
    if (flags.length) console.log(`${name}: node ${flags.join(" ")}`);
    const prof = process.env.CPU_PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.CPU_PROF_DIR}`] : [];
    const child = spawn(
      path.join(root, "node_modules/node/bin/node"),
      [...flags, ...prof, "--import", "tsx", "--import", path.join(root, "bench/cpu-probe.ts"), script],
      {
        cwd,
        env: { ...process.env, ...env, PORT: String(port), DATABASE_URL: pgServer.url },
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      },
    );
    const url = `http://127.0.0.1:${port}/graphql`;
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
      const up = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"query":"{ __typename }"}',
      }).catch(() => null);
      if (up?.ok) break;
      // Five minutes: a server applying its migration check on a busy shared machine can take minutes.
      if (i > 3000) throw new Error(`${name} did not start`);
      await new Promise((r) => setTimeout(r, 100));
    }
    servers.push({ name, child, url });
  }

  const userplaneEnv = {
    ...(await productionEnv()),
    LOG_LEVEL: "warn",
    HOST: "127.0.0.1",
    SERVE_CLIENT: "false",
    RUN_WORKER: "false",
    METRICS: "false",
  };
  await startServer("Userplane", root, "server/main.ts", userplaneEnv, startFlags(root));
  for (const dir of process.env.BASELINE_DIR?.split(",").filter(Boolean) ?? [])
    await startServer(
      `Userplane (${path.basename(dir)})`,
      path.resolve(dir),
      "server/main.ts",
      userplaneEnv,
      startFlags(path.resolve(dir)),
    );
  await startServer("PostGraphile 5", root, "bench/compare-postgraphile.mjs", { GRAPHILE_ENV: "production" });

  // CPU ms and heap bytes allocated so far (bench/cpu-probe.ts).
  const cpu = (child: ChildProcess) =>
    new Promise<{ ms: number; allocated: number }>((resolve) => {
      child.once("message", (m: { cpu: NodeJS.CpuUsage; allocated: number }) =>
        resolve({ ms: (m.cpu.user + m.cpu.system) / 1000, allocated: m.allocated }),
      );
      child.send("cpu");
    });

  const request = (name: string, shape: Shape): { body: string; headers: Record<string, string> } =>
    name.startsWith("PostGraphile")
      ? { body: JSON.stringify({ query: shape.postgraphile, variables: { t: owner.token } }), headers: {} }
      : { body: JSON.stringify({ query: shape.userplane }), headers: { authorization: `Bearer ${owner.token}` } };

  // Same rows from every server before any figure counts.
  for (const shape of shapes) {
    let expected: string | null = null;
    for (const s of servers) {
      const r = request(s.name, shape);
      const res = await fetch(s.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...r.headers },
        body: r.body,
      });
      const json = (await res.json()) as { data?: unknown; errors?: unknown };
      if (json.errors || !json.data) throw new Error(`${s.name}, ${shape.name}: ${JSON.stringify(json)}`);
      const rows = JSON.stringify(
        (s.name.startsWith("PostGraphile") ? shape.rows.postgraphile : shape.rows.userplane)(json.data),
      );
      if (expected === null) expected = rows;
      else if (rows !== expected) throw new Error(`${shape.name}: ${s.name} answers other rows:\n${rows}\n${expected}`);
    }
    console.log(`${shape.name}: every server answers the same rows`);
  }

  const statementCount = async () => {
    const r = await db.query<{ n: string }>(
      `SELECT coalesce(sum(calls), 0) AS n FROM pg_stat_statements
       WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND query NOT ILIKE '%pg_stat_statements%'`,
    );
    return Number(r.rows[0]?.n ?? 0);
  };

  interface Sample {
    rps: number;
    p50: number;
    p99: number;
    sqlPerReq: number;
    cpuMsPerReq: number;
    dbCpuMsPerReq: number;
    kbPerReq: number;
    errors: number;
  }
  const samples = new Map<string, Sample[]>();

  async function measure(s: (typeof servers)[number], shape: Shape, duration: number): Promise<Sample> {
    const r = request(s.name, shape);
    await db.query("SELECT pg_stat_statements_reset()");
    const db0 = await databaseCpu(db);
    const cpu0 = await cpu(s.child);
    const result = await autocannon({
      url: s.url,
      method: "POST",
      connections: CONNECTIONS,
      duration,
      headers: { "content-type": "application/json", ...r.headers },
      body: r.body,
    });
    // Userplane writes what a window's requests read to the access log in the background (every
    // ACCESS_LOG_FLUSH_MS, 2 s): read after that write, the window's CPU holds it, and it no longer
    // runs in, and is counted for, the next server's window (up to 4 ms of the database's CPU per
    // request of the members shape, and a core for a second, landed there).
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const cpu1 = await cpu(s.child);
    const db1 = await databaseCpu(db);
    const statements = await statementCount();
    const total = result.requests.total || 1;
    return {
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      sqlPerReq: statements / total,
      cpuMsPerReq: (cpu1.ms - cpu0.ms) / total,
      dbCpuMsPerReq: databaseCpuSince(db0, db1) / 1000 / total,
      kbPerReq: (cpu1.allocated - cpu0.allocated) / 1024 / total,
      errors: result.errors + result.non2xx,
    };
  }

  // Warm-up: JIT, pools and plan caches of every server, uncounted.
  for (const shape of shapes) for (const s of servers) await measure(s, shape, 1);

  for (let round = 0; round < ROUNDS; round++) {
    for (const shape of shapes) {
      // The order alternates between rounds so neither server always runs after the other.
      const order = round % 2 ? [...servers].reverse() : servers;
      for (const s of order) {
        const sample = await measure(s, shape, DURATION);
        const key = `${shape.name}|${s.name}`;
        samples.set(key, [...(samples.get(key) ?? []), sample]);
        console.log(
          `round ${round + 1} ${shape.name} ${s.name}: ${sample.rps.toFixed(0)} req/s, p50 ${sample.p50} ms, p99 ${sample.p99} ms, ${sample.sqlPerReq.toFixed(2)} SQL/req, ${sample.cpuMsPerReq.toFixed(2)} ms CPU/req, database ${sample.dbCpuMsPerReq.toFixed(2)} ms CPU/req, ${sample.kbPerReq.toFixed(0)} KB allocated/req, ${sample.errors} errors (load ${loadAverage()})`,
        );
      }
    }
  }

  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const range = (xs: number[], d = 0) =>
    `${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}`.replace(/^(.+)–\1$/, (_m, a: string) => a);
  console.log(
    `\n${ROUNDS} interleaved rounds of ${DURATION} s, ${CONNECTIONS} connections, PostgreSQL 15; load at end: ${loadAverage()}`,
  );
  console.log(
    "| shape | server | req/s (median, range) | p50 / p99 ms | SQL/req | CPU ms/req | database CPU ms/req | KB allocated/req | ratio to PostGraphile |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const shape of shapes) {
    const pgRps = median((samples.get(`${shape.name}|PostGraphile 5`) ?? []).map((x) => x.rps));
    for (const s of servers) {
      const xs = samples.get(`${shape.name}|${s.name}`) ?? [];
      const rps = median(xs.map((x) => x.rps));
      console.log(
        `| ${shape.name} | ${s.name} | ${rps.toFixed(0)} (${range(xs.map((x) => x.rps))}) | ${median(xs.map((x) => x.p50))} / ${median(xs.map((x) => x.p99))} | ${median(xs.map((x) => x.sqlPerReq)).toFixed(2)} | ${median(xs.map((x) => x.cpuMsPerReq)).toFixed(2)} | ${median(xs.map((x) => x.dbCpuMsPerReq)).toFixed(2)} | ${median(xs.map((x) => x.kbPerReq)).toFixed(0)} | ${(rps / pgRps).toFixed(2)}× |`,
      );
    }
  }
  const errors = [...samples.values()].flat().reduce((n, x) => n + x.errors, 0);
  if (errors) console.log(`${errors} failed requests in all`);
  await db.end();
} finally {
  await stopAll();
}
