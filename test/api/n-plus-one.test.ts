// No list in the schema costs statements per row (N+1), whatever query an outside tester sends.
// The cases come from the schema, not from a hand-picked list: every list or connection field a
// tenant's admin reaches from Query, through the objects before the first list and the lists
// nested under it (up to three deep), is read with all of its rows' scalars and each of their
// object fields (with those objects' scalars), in a tenant seeded with 2 of everything and in one
// seeded with 10, and the statements Prisma sends must be the same. A new list field that no case
// reaches fails the coverage check; a field with required arguments needs its values in ARGS.
// The walk is read by each of three viewers (the admin, an API key, a plain member; see viewersOf in
// test/support/n-plus-one.ts, which this file shares with the subscriptions' guard).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "../../server/schema/index.ts";
import { dbKind } from "../kit.ts";
import {
  ADMIN,
  API_KEY,
  type ArgValues,
  build,
  everyListField,
  extra,
  MEMBER,
  REFUSED,
  seededWorld,
  viewersOf,
  type World,
  walk,
} from "../support/n-plus-one.ts";

/** Values of required (and of a few telling optional) arguments, by `Type.field`. */
const ARGS: ArgValues = {
  "Query.ratings": (s) => ({ itemType: "agent", itemId: s.agentIds[0] }),
  "Query.memoryContext": (s) => ({ conversationId: s.conversationIds[0], query: "seeded note" }),
  "Query.searchMemories": () => ({ query: "seeded note" }),
  // Rows of every node type the other cases returned, as many of each as 100 ids (the most
  // nodes(ids:) takes) allow: the case runs last.
  "Query.nodes": (s) => ({ ids: s.nodeIds }),
  "Query.conversation": (s) => ({ id: s.conversationIds[0] }),
  "Query.analysisRun": (s) => ({ id: s.runIds[0] }),
  // The whole tenant's rows: each row is another member's, so each row's rule asks about them.
  "Query.sessions": () => ({ allInTenant: true }),
  "Query.usageLogs": () => ({ wholeTenant: true }),
  "Query.usage": () => ({ wholeTenant: true }),
  "Query.analysisRuns": () => ({ wholeTenant: true }),
};

/** List fields whose length does not depend on the rows stored: their statements are still compared. */
const FIXED_LENGTH: Record<string, string> = {
  "Query.retentionPolicies": "one row per RetentionKind, stored or default",
};

let statements: string[] = [];
let world: World;

beforeAll(async () => {
  world = await seededWorld((sql) => statements.push(sql));
}, 600_000);
afterAll(() => world?.app.stop());

const ADMINS_ONLY = "the tenant's admins only: refused";
const SESSION_ONLY = "sessions only: no API key scope opens it";

/** Cases whose rows a viewer sees no more of in the large tenant than in the small one, and why. */
const FIXED_ROWS: Record<string, Record<string, string>> = {
  [ADMIN]: {},
  [API_KEY]: {
    "Query.apiKeys": SESSION_ONLY,
    "Query.myDataAccessLog": SESSION_ONLY,
    "Query.myDataExports": SESSION_ONLY,
    "Query.sessions": SESSION_ONLY,
  },
  [MEMBER]: {
    // wholeTenant: a member's own runs (the owner's one, in either tenant); the others' are refused.
    "Query.analysisRuns": "a member's own runs only: one in either tenant",
    "Query.auditLog": ADMINS_ONLY,
    "Query.invites": ADMINS_ONLY,
    "Query.rateLimitViolations": ADMINS_ONLY,
    "Query.rateLimits": ADMINS_ONLY,
    "Query.retentionRuns": ADMINS_ONLY,
    "Query.retentionRuns → removed": ADMINS_ONLY,
    "Query.sessions": `${ADMINS_ONLY} (allInTenant)`,
    "Query.tenantStorageStats → byType": ADMINS_ONLY,
    "Query.usage → apiCallsByDay": `${ADMINS_ONLY} (wholeTenant)`,
    "Query.usage → byAgent": `${ADMINS_ONLY} (wholeTenant)`,
    "Query.usage → byDay": `${ADMINS_ONLY} (wholeTenant)`,
    "Query.usage → byModel": `${ADMINS_ONLY} (wholeTenant)`,
    "Query.usage → byMonth": `${ADMINS_ONLY} (wholeTenant)`,
    "Query.usage → byUser": `${ADMINS_ONLY} (wholeTenant)`,
    "Query.usageLogs": `${ADMINS_ONLY} (wholeTenant)`,
    "Query.webhookEndpoints": ADMINS_ONLY,
    "Query.webhookEndpoints → deliveries": ADMINS_ONLY,
  },
};

describe(`no list costs statements per row (${dbKind})`, () => {
  // nodes(ids:) last: it reads the rows the others returned.
  const query = schema.getQueryType()!;
  const cases = walk(query, ARGS)
    .map((p) => build(p, ARGS))
    .sort((a, b) => Number(a.name === "Query.nodes") - Number(b.name === "Query.nodes"));

  it("reaches every list field of the schema", () => {
    const covered = new Set(
      walk(query, ARGS).map((p) => {
        const last = p.at(-1)!;
        return `${last.parent}.${last.field.name}`;
      }),
    );
    expect([...everyListField(query)].filter((f) => !covered.has(f)).sort()).toEqual([]);
    expect(cases.length).toBeGreaterThan(40);
  });

  // The viewers are made in beforeAll, after this runs: the tests find theirs by name.
  for (const name of Object.keys(FIXED_ROWS))
    it(`sends as many statements for 10 rows a list as for 2, as ${name}`, async () => {
      const { exec, tenants } = world;
      const viewer = viewersOf(world).find((v) => v.name === name)!;
      const fixedRows = FIXED_ROWS[name]!;
      const grows: string[] = [];
      const problems: string[] = [];
      const empty: string[] = [];
      const seen = { small: new Map<string, Set<string>>(), large: new Map<string, Set<string>>() };
      for (const t of Object.values(tenants)) await viewer.become?.(t);
      for (const c of cases) {
        if (c.name === "Query.nodes")
          for (const size of ["small", "large"] as const) {
            const each = Math.floor(100 / Math.max(1, seen[size].size));
            tenants[size].nodeIds = [...seen[size].values()].flatMap((ids) => [...ids].slice(0, each));
          }
        const measured: Record<string, { count: number; rows: number }> = {};
        const sent: Record<string, string[]> = {};
        const measure = async () => {
          for (const size of ["small", "large"] as const) {
            const t = tenants[size];
            const token = viewer.token(t);
            const variables = c.variables(t);
            // Once unmeasured: what a tenant's first read loads once (caches) is not a row's cost.
            await exec(c.query, variables, token);
            statements = [];
            const r = await exec(c.query, variables, token);
            const count = statements.length;
            sent[size] = [...statements];
            // A refusal (FORBIDDEN on some rows or the whole field) is the rules at work; the rest of
            // the response still counts.
            const unexpected = (r.errors ?? []).filter((e) => !REFUSED.has(String(e.extensions?.code)));
            if (unexpected.length) problems.push(`${c.name} (${size}): ${JSON.stringify(unexpected[0])}`);
            measured[size] = { count, rows: c.rows(r.data) };
            for (const [type, ids] of c.ids(r.data))
              seen[size].set(type, new Set([...(seen[size].get(type) ?? []), ...ids]));
          }
        };
        await measure();
        // Once more when they differ: a credential's sliding renewal (due once a minute) or another
        // once-a-while read can fall into one measured request, and not into the next; an N+1
        // differs every time.
        if (measured.small?.count !== measured.large?.count) await measure();
        const { small, large } = measured as Record<"small" | "large", { count: number; rows: number }>;
        // N_PLUS_ONE_REPORT=1 prints each case: statements/rows, small then large.
        if (process.env.N_PLUS_ONE_REPORT)
          console.log(`${viewer.name}\t${c.name}\t${small.count}/${small.rows}\t${large.count}/${large.rows}`);
        if (!FIXED_LENGTH[c.name] && !(small.rows >= 1 && large.rows > small.rows)) empty.push(c.name);
        if (large.count !== small.count)
          grows.push(
            `${c.name}: ${small.count} statements for ${small.rows} rows, ${large.count} for ${large.rows}; ` +
              `the large page's extra: ${extra(sent.small ?? [], sent.large ?? []).join(" | ")}`,
          );
      }
      // Rows that do not grow: the seed misses them, unless this viewer may not see them (listed).
      expect({ problems, grows, empty: empty.sort() }).toEqual({
        problems: [],
        grows: [],
        empty: Object.keys(fixedRows).sort(),
      });
    }, 300_000);
});
