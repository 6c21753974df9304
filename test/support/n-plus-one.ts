// The N+1 guards' shared parts (test/api/n-plus-one*.test.ts): the walk of the schema from a root
// type to every list field it reaches, the operation that reads a path's rows whole, and the two
// seeded tenants, one with 2 of everything and one with 10, in which each operation is measured.
import {
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  getNamedType,
  getNullableType,
  isAbstractType,
  isEnumType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from "graphql";
import type { App } from "../../server/app.ts";
import { schema } from "../../server/schema/index.ts";
import { RETENTION_KINDS } from "../../server/services/retention.ts";
import { API_SCOPES } from "../../server/viewer.ts";
import {
  createApiKey,
  createMember,
  createOwner,
  createTestApp,
  dbId,
  type Execute,
  executor,
  ok,
  type TestUser,
} from "../kit.ts";

export const SMALL = 2;
export const LARGE = 10;
/** Lists nested in one query at most (conversations → messages → attachments). */
const MAX_LISTS = 3;
/** Object fields walked before the first list (me → tenant → members), by default. */
const MAX_HOPS = 2;

/** What one seeded tenant holds, for the arguments below. */
export interface Seeded {
  n: number;
  owner: TestUser;
  /** The owner's session once the owner is a plain member (see VIEWERS). */
  demoted?: string;
  /** An API key of the owner holding every read scope and `admin`. */
  key: string;
  agentIds: string[];
  /** The owner's, each with n messages of n attachments. */
  conversationIds: string[];
  /** The n files each message of the first conversation attaches. */
  conversationFileIds: string[];
  runIds: string[];
  nodeIds: string[];
}

/** Values of required (and of a few telling optional) arguments, by `Type.field`. */
export type ArgValues = Record<string, (s: Seeded) => Record<string, unknown>>;

/** A tenant of empty lists: what an ArgValues entry is asked, to learn the arguments it gives. */
const PROBE = new Proxy({} as Seeded, { get: () => [] });

// ------------------------------------------------------------------------------------------------
// The walk.

export type ListKind = "connection" | "plain";
export interface Step {
  parent: string;
  field: GraphQLField<unknown, unknown>;
  list: ListKind | null;
  /** The object a step's rows (or its object) are of. */
  type: GraphQLNamedType;
}

export function rowTypeOf(field: GraphQLField<unknown, unknown>): { list: ListKind | null; type: GraphQLNamedType } {
  const named = getNamedType(field.type);
  if (isObjectType(named) && named.getFields().edges && named.getFields().pageInfo) {
    const edge = getNamedType(named.getFields().edges!.type) as GraphQLObjectType;
    return { list: "connection", type: getNamedType(edge.getFields().node!.type) };
  }
  return { list: isListType(getNullableType(field.type)) ? "plain" : null, type: named };
}

export const isLeaf = (t: GraphQLNamedType) => isScalarType(t) || isEnumType(t);
export const fieldsOf = (t: GraphQLNamedType) =>
  isObjectType(t) || isInterfaceType(t)
    ? Object.values(t.getFields()).sort((a, b) => a.name.localeCompare(b.name))
    : [];
export const requiredArgs = (f: GraphQLField<unknown, unknown>) =>
  f.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);

/** Every list field of an object type reachable from `root`, however deep: what the cases must cover. */
export function everyListField(root: GraphQLObjectType): Set<string> {
  const seen = new Set<string>();
  const lists = new Set<string>();
  const visit = (t: GraphQLNamedType) => {
    if (seen.has(t.name) || isLeaf(t)) return;
    seen.add(t.name);
    const types = isAbstractType(t) ? schema.getPossibleTypes(t) : [t];
    for (const type of types) {
      if (type !== t) visit(type);
      for (const f of fieldsOf(type)) {
        const { list, type: row } = rowTypeOf(f);
        if (isLeaf(row)) continue;
        if (list) lists.add(`${type.name}.${f.name}`);
        visit(row);
      }
    }
  };
  visit(root);
  return lists;
}

/** Paths from `root` (Query, Subscription) that end at a list field. */
export function walk(root: GraphQLObjectType, args: ArgValues, { maxHops = MAX_HOPS } = {}): Step[][] {
  const cases: Step[][] = [];
  const go = (type: GraphQLNamedType, path: Step[], lists: number) => {
    for (const f of fieldsOf(type)) {
      const key = `${type.name}.${f.name}`;
      const { list, type: row } = rowTypeOf(f);
      // Not walked: a field whose required arguments have no values in `args`, and an object of an
      // interface (`node`): a list that only they lead to fails the coverage check instead.
      if (isLeaf(row) || (requiredArgs(f).length && !args[key])) continue;
      const step: Step = { parent: type.name, field: f, list, type: row };
      if (list) {
        cases.push([...path, step]);
        if (lists + 1 < MAX_LISTS) go(row, [...path, step], lists + 1);
      } else if (lists === 0 && path.length < maxHops && !isAbstractType(row) && !path.some((s) => s.type === row)) {
        go(row, [...path, step], lists);
      }
    }
  };
  go(root, [], 0);
  return cases;
}

// ------------------------------------------------------------------------------------------------
// The queries.

/** A row's scalars, and each object field with that object's scalars (lists are cases of their own). */
export function rowSelection(type: GraphQLNamedType, depth = 0, alias = ""): string {
  if (isAbstractType(type))
    return `__typename ${schema
      .getPossibleTypes(type)
      .map((p) => `... on ${p.name} { ${rowSelection(p, depth, `${p.name}_`)} }`)
      .join(" ")}`;
  const parts: string[] = [];
  for (const f of fieldsOf(type)) {
    if (requiredArgs(f).length) continue;
    const { list, type: row } = rowTypeOf(f);
    // Aliased inside a fragment on one of many types: their fields of one name may differ in type.
    const name = alias ? `${alias}${f.name}: ${f.name}` : f.name;
    if (isLeaf(row)) parts.push(name);
    else if (!list && depth === 0) {
      const inner = rowSelection(row, depth + 1);
      if (inner) parts.push(`${name} { ${inner} }`);
    }
  }
  return parts.join(" ");
}

export interface Built {
  name: string;
  query: string;
  variables: (s: Seeded) => Record<string, unknown>;
  /** The global IDs of the response, by type. */
  ids: (data: unknown) => Map<string, Set<string>>;
  /** Rows at the last list, counted in a response. */
  rows: (data: unknown) => number;
}

/**
 * The operation of one path: the last list's rows with their scalars and objects, each list before
 * it paged to the tenant's size. With `payload`, the path's first object (a subscription's event)
 * is read whole, as the last list's rows are, rather than by its id alone.
 */
export function build(path: Step[], argValues: ArgValues, { payload = false } = {}): Built {
  const name = path.map((s, i) => (i === 0 ? `${s.parent}.${s.field.name}` : s.field.name)).join(" → ");
  const decls: string[] = [];
  let paged = false;
  const values: ((s: Seeded) => [string, unknown][])[] = [];
  let body = rowSelection(path.at(-1)!.type);
  for (let i = path.length - 1; i >= 0; i--) {
    const s = path[i]!;
    const key = `${s.parent}.${s.field.name}`;
    const args: string[] = [];
    const given = argValues[key];
    if (given) {
      const names = Object.keys(given(PROBE));
      for (const a of names) {
        const def = s.field.args.find((x) => x.name === a);
        if (!def) throw new Error(`args: ${key} has no argument ${a}`);
        decls.push(`$${a}${i}: ${def.type}`);
        args.push(`${a}: $${a}${i}`);
      }
      values.push((seeded) => names.map((a) => [`${a}${i}`, given(seeded)[a]]));
    }
    if (s.list && s.field.args.some((a) => a.name === "first")) {
      args.push("first: $n");
      paged = true;
    }
    const call = `${s.field.name}${args.length ? `(${args.join(", ")})` : ""}`;
    const inner =
      i === path.length - 1
        ? body
        : payload && i === 0
          ? `${rowSelection(s.type)} ${body}`
          : `${"id" in fieldsOfMap(s.type) ? "id " : ""}${body}`;
    body = s.list === "connection" ? `${call} { edges { node { ${inner} } } }` : `${call} { ${inner} }`;
  }
  if (paged) decls.unshift("$n: Int!");
  const operation = path[0]?.parent === schema.getSubscriptionType()?.name ? "subscription" : "query";
  const query = `${operation}${decls.length ? `(${decls.join(", ")})` : ""} { ${body} }`;
  const rows = (data: unknown): number => {
    let level: unknown[] = [data];
    for (const s of path) {
      const next: unknown[] = [];
      for (const v of level) {
        const x = (v as Record<string, unknown> | null)?.[s.field.name];
        if (x == null) continue;
        if (s.list === "connection") next.push(...(x as { edges: { node: unknown }[] }).edges.map((e) => e.node));
        else if (s.list === "plain") next.push(...(x as unknown[]));
        else next.push(x);
      }
      level = next.filter((v) => v != null);
    }
    return level.length;
  };
  const ids = (data: unknown) => {
    const found = new Map<string, Set<string>>();
    const visit = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v === "object")
        for (const [k, x] of Object.entries(v)) {
          if (k === "id" && typeof x === "string") {
            const type = Buffer.from(x, "base64").toString().split(":")[0] ?? "";
            if (nodeTypes.has(type)) found.set(type, (found.get(type) ?? new Set()).add(x));
          } else visit(x);
        }
    };
    visit(data);
    return found;
  };
  return {
    name,
    query,
    ids,
    variables: (seeded) => ({
      ...(paged ? { n: seeded.n } : {}),
      ...Object.fromEntries(values.flatMap((v) => v(seeded))),
    }),
    rows,
  };
}

const nodeTypes = new Set(schema.getPossibleTypes(schema.getType("Node") as never).map((t) => t.name));
const fieldsOfMap = (t: GraphQLNamedType) => (isObjectType(t) || isInterfaceType(t) ? t.getFields() : {});

// ------------------------------------------------------------------------------------------------
// The data: one tenant per size, each list holding `n` rows (fewer where the schema bounds it).

// ------------------------------------------------------------------------------------------------
// The data: one tenant per size, each list holding `n` rows (fewer where the schema bounds it).

/** What `large` sent more of than `small`, placeholders and whitespace aside (a failure's clue). */
export function extra(small: string[], large: string[]): string[] {
  const shape = (sql: string) =>
    sql
      .replace(/\$\d+/g, "$")
      .replace(/\(\$(,\s*\$)*\)/g, "($…)")
      .replace(/\s+/g, " ")
      .slice(0, 300);
  const left = new Map<string, number>();
  for (const q of small.map(shape)) left.set(q, (left.get(q) ?? 0) + 1);
  return large.map(shape).filter((q) => {
    const n = left.get(q) ?? 0;
    left.set(q, n - 1);
    return n <= 0;
  });
}

const DAY = 86_400_000;

async function seed(app: App, exec: Execute, n: number, name: string): Promise<Seeded> {
  const owner = await createOwner(exec, name);
  const as =
    (u: TestUser) =>
    (q: string, v: Record<string, unknown> = {}) =>
      ok(exec, q, v, u.token);
  const mine = as(owner);
  const prisma = app.db.prisma;
  const { tenantId, userId } = owner;
  const range = Array.from({ length: n }, (_, i) => i);

  const members: TestUser[] = [];
  for (const i of range) members.push(await createMember(exec, owner, `${name}Member${i}`));
  for (const _ of range) await mine(`mutation { createInvite { token } }`);
  const keys: string[] = [];
  for (const _ of range) keys.push(await createApiKey(exec, owner, ["READ_PROFILE"]));
  // Past roles: every user holds n assignments, one in effect.
  for (const u of [owner, ...members])
    await prisma.roleAssignment.createMany({
      data: range.slice(1).map((i) => ({
        userId: u.userId,
        tenantId,
        role: "member" as const,
        effectiveFrom: new Date(Date.now() - (400 + 10 * i) * DAY),
        effectiveTo: new Date(Date.now() - (395 + 10 * i) * DAY),
      })),
    });

  const agentIds: string[] = [];
  for (const i of range)
    agentIds.push(
      (await mine(`mutation($n: String!) { createAgent(input: { name: $n }) { id } }`, { n: `Agent ${i}` })).createAgent
        .id,
    );
  const userAgentIds: string[] = [];
  for (const a of agentIds)
    userAgentIds.push((await mine(`mutation($a: ID!) { addAgent(agentId: $a) { id } }`, { a })).addAgent.id);
  // Each member's copy of an agent, shared with the owner (sharedAgents; their analysis runs' agent).
  const copies: string[] = [];
  for (const [i, m] of members.entries()) {
    const copy = (await as(m)(`mutation($a: ID!) { addAgent(agentId: $a) { id } }`, { a: agentIds[i] })).addAgent.id;
    copies.push(copy);
    await as(m)(`mutation($c: ID!, $u: [ID!]!) { shareUserAgent(id: $c, userIds: $u) { id } }`, {
      c: copy,
      u: [owner.id],
    });
    await as(m)(
      `mutation($a: ID!) { rate(itemType: "agent", itemId: $a, rating: ${(i % 5) + 1}, review: "r") { id } }`,
      {
        a: agentIds[0],
      },
    );
  }
  for (const a of agentIds)
    await mine(`mutation($a: ID!) { setFavorite(itemType: "agent", itemId: $a, favorite: true) }`, { a });
  for (const i of range)
    await mine(
      `mutation($c: String!) { createMemory(input: { memoryType: fact, memoryKey: $c, content: $c }) { id } }`,
      {
        c: `seeded note ${i}`,
      },
    );
  for (const q of ["tokens", "api_calls", "storage_gb", "users"].slice(0, n))
    await mine(`mutation { setQuota(quotaType: ${q}, quotaLimit: 1000000) { id } }`);
  for (const k of RETENTION_KINDS.slice(0, n))
    await mine(`mutation { setRetentionPolicy(kind: ${k}, keepDays: 400) { id } }`);
  await mine(`mutation($items: [ContentItemInput!]!) { importContent(source: twitter, items: $items) { imported } }`, {
    items: range.map((i) => ({ text: `seeded post ${i}`, externalId: `p${i}` })),
  });

  // Workspaces with n files each, of n types; every conversation's messages attach a workspace's files.
  const workspaceIds: string[] = [];
  for (const i of range)
    workspaceIds.push(
      (await mine(`mutation($n: String!) { createWorkspace(name: $n) { id } }`, { n: `W${i}` })).createWorkspace.id,
    );
  const fileIds: string[][] = [];
  for (const [w, ws] of workspaceIds.entries()) {
    const rows = await prisma.file.createManyAndReturn({
      data: range.map((j) => ({
        userId,
        tenantId,
        workspaceId: dbId(ws),
        name: `f${w}-${j}.bin`,
        size: 10n,
        mimeType: `application/x-seeded-${j}`,
        sha256: "0",
        storageKey: `seeded/${tenantId}/${w}/${j}`,
      })),
      select: { id: true },
    });
    fileIds.push(rows.map((r) => Buffer.from(`File:${r.id}`).toString("base64")));
  }
  const conversationIds: string[] = [];
  for (const i of range) {
    const c = (
      await mine(
        `mutation($u: ID, $w: ID) { startConversation(title: "C", userAgentId: $u, workspaceId: $w) { id } }`,
        {
          u: userAgentIds[i],
          w: workspaceIds[i],
        },
      )
    ).startConversation.id;
    conversationIds.push(c);
    for (const j of range)
      await mine(
        `mutation($c: ID!, $t: String!, $f: [ID!]) { postMessage(conversationId: $c, content: $t, attachmentIds: $f) { id } }`,
        {
          c,
          t: `message ${j}`,
          f: fileIds[i],
        },
      );
  }

  for (const i of range)
    await mine(
      `mutation($u: String!) { createWebhookEndpoint(url: $u, eventTypes: [analysis_finished]) { endpoint { id } } }`,
      { u: `https://hooks.example.test/${name}/${i}` },
    );
  for (const e of await prisma.webhookEndpoint.findMany({ where: { tenantId } }))
    await prisma.webhookDelivery.createMany({
      data: range.map((j) => ({
        endpointId: e.id,
        tenantId,
        event: "analysis_finished" as const,
        eventId: `e${j}`,
        payload: {},
      })),
    });

  // Runs of every member (the whole tenant's list), each with a result per source (at most 6),
  // each result with n flagged items of n reasons.
  const sources = ["twitter", "facebook", "instagram", "linkedin", "tiktok", "text"] as const;
  const runIds: string[] = [];
  for (const i of range) {
    const run = await prisma.analysisRun.create({
      data: {
        userId: i === 0 ? userId : members[i]!.userId,
        tenantId,
        userAgentId: dbId(i === 0 ? userAgentIds[0]! : copies[i]!),
        status: "complete",
      },
    });
    runIds.push(Buffer.from(`AnalysisRun:${run.id}`).toString("base64"));
    await prisma.analysisResult.createMany({
      data: sources.slice(0, n).map((source) => ({
        runId: run.id,
        userId: run.userId,
        tenantId,
        source,
        riskScore: 1,
        grade: "A",
        itemCount: n,
        summary: "s",
        flaggedItems: range.map((k) => ({
          contentItemId: run.id,
          excerpt: `x${k}`,
          score: 1,
          reasons: range.map((r) => ({ rule: `r${r}`, category: "c", term: "t", severity: 1, why: "w" })),
        })),
      })),
    });
  }

  // Usage of every member on n days and in n months, of n models and agents; API calls on n days.
  const now = Date.now();
  await prisma.usageLog.createMany({
    data: range.flatMap((i) => [
      {
        userId: members[i]!.userId,
        tenantId,
        userAgentId: dbId(userAgentIds[i]!),
        provider: "p",
        model: `m${i}`,
        tokensUsed: 10,
        createdAt: new Date(now - i * DAY),
      },
      {
        userId: members[i]!.userId,
        tenantId,
        provider: "p",
        model: `m${i}`,
        tokensUsed: 10,
        createdAt: new Date(new Date(now).setUTCMonth(new Date(now).getUTCMonth() - i, 1)),
      },
    ]),
  });
  const keyRow = await prisma.apiKey.findFirstOrThrow({ where: { userId } });
  await prisma.apiCallCount.createMany({
    data: range.map((i) => ({ apiKeyId: keyRow.id, tenantId, userId, day: new Date(now - i * DAY), calls: 1 })),
  });

  // A member's daily API-request limit: configured, and once exceeded.
  const memberLimit = (i: number) => ({
    tenantId,
    userId: members[i]!.userId,
    action: "api.request",
    limitType: "requests_per_day" as const,
    limitScope: "user" as const,
  });
  await prisma.rateLimitConfig.createMany({
    data: range.map((i) => ({ ...memberLimit(i), limitValue: 1_000_000 })),
  });
  await prisma.rateLimitViolation.createMany({
    data: range.map((i) => ({ ...memberLimit(i), limitValue: 1, retryAfterSeconds: 1 })),
  });
  await prisma.retentionRun.createMany({
    data: range.map((i) => ({
      tenantId,
      jobKey: `seeded-${i}`,
      trigger: "manual",
      asOf: new Date(now - i * DAY),
      counts: range.map((k) => ({ table: `t${k}`, reason: "policy", count: 1 })),
    })),
  });
  await prisma.notification.createMany({
    data: range.map((i) => ({
      userId,
      tenantId,
      kind: "analysis_finished" as const,
      title: "t",
      body: "b",
      dedupeKey: `n${i}`,
    })),
  });
  await prisma.dataExport.createMany({
    data: range.map((i) => ({ userId, tenantId, status: "failed" as const, errorMessage: `e${i}` })),
  });
  // The owner's own API keys reading the owner's data: n entries of the transparency log.
  for (const key of keys) await ok(exec, `{ me { displayName } }`, {}, key);
  await app.services.accessLog.flush();
  const key = await createApiKey(
    exec,
    owner,
    API_SCOPES.filter((sc) => sc.startsWith("read:") || sc === "analysis:read" || sc === "admin").map((sc) =>
      sc.replace(":", "_").toUpperCase(),
    ),
  );

  return { n, owner, key, agentIds, conversationIds, conversationFileIds: fileIds[0]!, runIds, nodeIds: [] };
}

export interface World {
  app: App;
  exec: Execute;
  tenants: Record<"small" | "large", Seeded>;
}

/** An app whose statements go to `onQuery`, with the two tenants seeded. */
export async function seededWorld(onQuery: (sql: string) => void): Promise<World> {
  const app = await createTestApp({
    onQuery,
    config: {
      // Background writers flush on timers; none may land inside a measured request.
      ACCESS_LOG_FLUSH_MS: "600000",
      API_METER_FLUSH_MS: "600000",
      MEMORY_ACCESS_FLUSH_MS: "600000",
      VIEWER_CACHE_MS: "300000",
      // An API key's request reads its tenant's rate limits when this has passed: under load that
      // fell into both of a case's measurements (CI, stop 30), which the re-measure cannot absorb.
      RATE_LIMIT_CONFIG_CACHE_MS: "600000",
      // The walk selects every field of every row, three lists deep: more than a client asks.
      LIMIT_COMPLEXITY: "10000000",
      LIMIT_TOKENS: "1000000",
      LIMIT_BREADTH: "10000",
      LIMIT_ALIASES: "1000",
    },
  });
  const exec = executor(app);
  const small = await seed(app, exec, SMALL, "Small");
  const large = await seed(app, exec, LARGE, "Large");
  return { app, exec, tenants: { small, large } };
}

/** Error codes that are the rules refusing the viewer, not a failure. */
export const REFUSED = new Set(["FORBIDDEN", "UNAUTHENTICATED"]);

export interface Viewer {
  name: string;
  /** Makes the viewer, once per tenant, before its walk. */
  become?: (t: Seeded) => Promise<void>;
  token: (t: Seeded) => string;
}

export const ADMIN = "the tenant's admin";
export const API_KEY = "an API key with every read scope";
export const MEMBER = "a member";

/**
 * The three viewers, in this order: the member is the owner demoted, so that the member reads all of
 * the rows the seed gave the owner (a member seeded with rows of every kind), through the member's
 * rules. Each takes its own path through the read rules (server/schema/access.ts), and a rule that
 * asks the database per row on one path only is an N+1 the others do not show.
 */
export function viewersOf({ app, exec }: World): Viewer[] {
  return [
    { name: ADMIN, token: (t) => t.owner.token },
    { name: API_KEY, token: (t) => t.key },
    {
      name: MEMBER,
      become: async (t) => {
        await app.db.prisma.roleAssignment.updateMany({
          where: { userId: t.owner.userId, tenantId: t.owner.tenantId, role: "admin" },
          data: { role: "member" },
        });
        // A new session: the viewer cache still holds the old one as an admin.
        t.demoted = (
          await ok(exec, `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }`, {
            e: t.owner.email,
            p: t.owner.password,
          })
        ).signIn.token;
      },
      token: (t) => t.demoted!,
    },
  ];
}
