// Every door applies the same rule. For every node type of the schema, and every kind of viewer
// (anonymous, the owner, another member, the admin, another tenant, and API keys of the owner and
// of the admin with each scope alone), `node(id)` shows a row exactly when one of the type's list
// fields shows it. The walk starts from the schema, so a new node type without a case here fails.
import { isObjectType } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ownerFieldOf } from "../../server/access-log-plugin.ts";
import type { App } from "../../server/app.ts";
import { schema } from "../../server/schema/index.ts";
import { API_SCOPES } from "../../server/viewer.ts";
import {
  createApiKey,
  createMember,
  createOwner,
  createTestApp,
  dbId,
  dbKind,
  type Execute,
  executor,
  type GraphQLResult,
  ok,
} from "../kit.ts";

let app: App;
let exec: Execute;

beforeAll(async () => {
  app = await createTestApp();
  exec = executor(app);
});
afterAll(() => app?.stop());

const ids = (value: unknown): string[] => {
  // Every `id` anywhere in a response: lists are connections nested at different depths.
  const found: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object")
      for (const [k, x] of Object.entries(v)) k === "id" && typeof x === "string" ? found.push(x) : walk(x);
  };
  walk(value);
  return found;
};

/** The list fields through which each node type is read, widest first. */
const LISTS: Record<string, string[]> = {
  User: [`{ me { id tenant { members(first: 100) { edges { node { id } } } } } }`],
  Tenant: [`{ me { tenant { id } } }`],
  Session: [`{ sessions { edges { node { id } } } }`, `{ sessions(allInTenant: true) { edges { node { id } } } }`],
  ApiKey: [`{ apiKeys { edges { node { id } } } }`],
  Invite: [`{ invites { edges { node { id } } } }`],
  RoleAssignment: [
    `{ me { roles { id } } }`,
    `{ me { tenant { members(first: 100) { edges { node { roles { id } } } } } } }`,
  ],
  Agent: [`{ agents(first: 100) { edges { node { id } } } }`],
  UserAgent: [`{ myAgents(first: 100) { edges { node { id } } } }`],
  Rating: [`query($i: ID!) { ratings(itemType: "agent", itemId: $i) { edges { node { id } } } }`],
  Memory: [`{ memories(first: 100) { edges { node { id } } } }`],
  Quota: [`{ quotas { edges { node { id } } } }`],
  UsageLog: [`{ usageLogs { edges { node { id } } } }`, `{ usageLogs(wholeTenant: true) { edges { node { id } } } }`],
  AnalysisRun: [
    `{ analysisRuns { edges { node { id } } } }`,
    `{ analysisRuns(wholeTenant: true) { edges { node { id } } } }`,
  ],
  ContentItem: [`{ contentItems(first: 100) { edges { node { id } } } }`],
  AuditLog: [`{ auditLog(first: 100) { edges { node { id } } } }`],
  RateLimitConfig: [`{ rateLimits { edges { node { id } } } }`],
  RateLimitViolation: [`{ rateLimitViolations { edges { node { id } } } }`],
  RetentionPolicy: [`{ retentionPolicies { id } }`],
  RetentionRun: [`{ retentionRuns(first: 100) { edges { node { id } } } }`],
  File: [`{ files(first: 100) { edges { node { id } } } }`],
  Workspace: [`{ workspaces(first: 100) { edges { node { id } } } }`],
  Notification: [`{ notifications(first: 100) { edges { node { id } } } }`],
  WebhookEndpoint: [`{ webhookEndpoints(first: 100) { edges { node { id } } } }`],
  WebhookDelivery: [
    `{ webhookEndpoints(first: 10) { edges { node { deliveries(first: 10) { edges { node { id } } } } } } }`,
  ],
  Conversation: [`{ conversations(first: 100) { edges { node { id } } } }`],
  Message: [`{ conversations(first: 10) { edges { node { messages(first: 10) { edges { node { id } } } } } } }`],
  DataExport: [`{ myDataExports(first: 100) { edges { node { id } } } }`],
  DataAccessEntry: [`{ myDataAccessLog(first: 100) { edges { node { id } } } }`],
};

const nodeTypes = () =>
  Object.values(schema.getTypeMap())
    .filter((t) => isObjectType(t) && t.getInterfaces().some((i) => i.name === "Node"))
    .map((t) => t.name)
    .sort();

describe(`node(id) and the list fields agree for every type and viewer (${dbKind})`, () => {
  it("has a list case for every node type", () => {
    expect(nodeTypes()).toEqual(Object.keys(LISTS).sort());
  });

  it("shows a row through node(id) exactly when a list shows it", async () => {
    const admin = await createOwner(exec, "Admin");
    const owner = await createMember(exec, admin, "Owner");
    const member = await createMember(exec, admin, "Member");
    const other = await createOwner(exec, "Other");

    const agentId = (await ok(exec, `mutation { createAgent(input: { name: "Scout" }) { id } }`, {}, admin.token))
      .createAgent.id;
    const rows: Record<string, string> = {};
    const me = await ok(exec, `{ me { id roles { id } tenant { id } } }`, {}, owner.token);
    rows.User = me.me.id;
    rows.Tenant = me.me.tenant.id;
    rows.RoleAssignment = me.me.roles[0].id;
    rows.Session = (
      await ok(exec, `{ sessions { edges { node { id } } } }`, {}, owner.token)
    ).sessions.edges[0].node.id;
    await createApiKey(exec, owner, ["READ_PROFILE"]);
    rows.ApiKey = (await ok(exec, `{ apiKeys { edges { node { id } } } }`, {}, owner.token)).apiKeys.edges[0].node.id;
    rows.Invite = (
      await ok(exec, `mutation { createInvite { invite { id } } }`, {}, admin.token)
    ).createInvite.invite.id;
    rows.Agent = agentId;
    rows.UserAgent = (
      await ok(exec, `mutation($a: ID!) { addAgent(agentId: $a) { id } }`, { a: agentId }, owner.token)
    ).addAgent.id;
    rows.Rating = (
      await ok(
        exec,
        `mutation($i: ID!) { rate(itemType: "agent", itemId: $i, rating: 4) { id } }`,
        { i: agentId },
        owner.token,
      )
    ).rate.id;
    rows.Memory = (
      await ok(
        exec,
        `mutation { createMemory(input: { memoryType: fact, memoryKey: "k", content: "c" }) { id } }`,
        {},
        owner.token,
      )
    ).createMemory.id;
    rows.Quota = (
      await ok(exec, `mutation { setQuota(quotaType: tokens, quotaLimit: 1000) { id } }`, {}, admin.token)
    ).setQuota.id;
    rows.ContentItem = (
      await ok(
        exec,
        `mutation { importContent(source: twitter, items: [{ text: "hello world" }]) { items { id } } }`,
        {},
        owner.token,
      )
    ).importContent.items[0].id;
    rows.AnalysisRun = (await ok(exec, `mutation { startAnalysis { id } }`, {}, owner.token)).startAnalysis.id;
    const { userId, tenantId } = owner;
    const log = await app.db.prisma.usageLog.create({
      data: { userId, tenantId, provider: "test", model: "m", tokensUsed: 10 },
    });
    rows.UsageLog = Buffer.from(`UsageLog:${log.id}`).toString("base64");
    const limit = (
      await ok(
        exec,
        `mutation { setRateLimit(action: "api.request", limitType: requests_per_day, limitScope: tenant, limitValue: 100000) { id } }`,
        {},
        admin.token,
      )
    ).setRateLimit;
    rows.RateLimitConfig = limit.id;
    const violation = await app.db.prisma.rateLimitViolation.create({
      data: {
        tenantId,
        userId,
        action: "api.request",
        limitType: "requests_per_day",
        limitScope: "tenant",
        limitValue: 1,
        retryAfterSeconds: 1,
      },
    });
    rows.RateLimitViolation = Buffer.from(`RateLimitViolation:${violation.id}`).toString("base64");
    rows.RetentionPolicy = (
      await ok(exec, `mutation { setRetentionPolicy(kind: content, keepDays: 30) { id } }`, {}, admin.token)
    ).setRetentionPolicy.id;
    const [pass] = await app.services.retention.run({ tenantIds: [tenantId] });
    rows.RetentionRun = Buffer.from(`RetentionRun:${pass?.id}`).toString("base64");
    rows.Workspace = (
      await ok(exec, `mutation { createWorkspace(name: "W") { id } }`, {}, owner.token)
    ).createWorkspace.id;
    // A row as an upload leaves it (uploads need a multipart request; files.test.ts covers them).
    const file = await app.db.prisma.file.create({
      data: {
        userId,
        tenantId,
        name: "f.txt",
        size: 1n,
        mimeType: "text/plain",
        sha256: "0",
        storageKey: `t/${userId}`,
      },
    });
    rows.File = Buffer.from(`File:${file.id}`).toString("base64");
    // A notification of the owner and a delivery to the admin's endpoint, as an event leaves them.
    const note = await app.db.prisma.notification.create({
      data: { userId, tenantId, kind: "analysis_finished", title: "t", body: "b", dedupeKey: "doors" },
    });
    rows.Notification = Buffer.from(`Notification:${note.id}`).toString("base64");
    rows.WebhookEndpoint = (
      await ok(
        exec,
        `mutation { createWebhookEndpoint(url: "https://hooks.example.test/in", eventTypes: [analysis_finished]) { endpoint { id } } }`,
        {},
        admin.token,
      )
    ).createWebhookEndpoint.endpoint.id;
    const delivery = await app.db.prisma.webhookDelivery.create({
      data: {
        endpointId: (await app.db.prisma.webhookEndpoint.findFirstOrThrow({ where: { tenantId } })).id,
        tenantId,
        event: "analysis_finished",
        eventId: "doors",
        payload: {},
      },
    });
    rows.WebhookDelivery = Buffer.from(`WebhookDelivery:${delivery.id}`).toString("base64");
    const conversation = (await ok(exec, `mutation { startConversation(title: "C") { id } }`, {}, owner.token))
      .startConversation.id;
    rows.Conversation = conversation;
    rows.Message = (
      await ok(
        exec,
        `mutation($c: ID!) { postMessage(conversationId: $c, content: "hi") { id } }`,
        { c: conversation },
        owner.token,
      )
    ).postMessage.id;
    // Queued (this app runs no worker): the rule is the same in every state.
    rows.DataExport = (await ok(exec, `mutation { exportMyData { id } }`, {}, owner.token)).exportMyData.id;
    rows.AuditLog = (
      await ok(exec, `{ auditLog(first: 1) { edges { node { id } } } }`, {}, admin.token)
    ).auditLog.edges[0].node.id;
    // The admin's read of the owner's sessions, as the owner's transparency log shows it.
    await ok(exec, `{ sessions(allInTenant: true) { edges { node { id } } } }`, {}, admin.token);
    await app.services.accessLog.flush();
    rows.DataAccessEntry = (
      await ok(exec, `{ myDataAccessLog(first: 1, kind: read) { edges { node { id } } } }`, {}, owner.token)
    ).myDataAccessLog.edges[0].node.id;

    const viewers: [string, string | null][] = [
      ["anonymous", null],
      ["owner", owner.token],
      ["member", member.token],
      ["admin", admin.token],
      ["other tenant", other.token],
    ];
    const scopeNames = API_SCOPES.map((s) => s.replace(":", "_").toUpperCase());
    for (const scope of scopeNames) {
      if (scope !== "ADMIN") viewers.push([`owner key ${scope}`, await createApiKey(exec, owner, [scope])]);
      viewers.push([`admin key ${scope}`, await createApiKey(exec, admin, [scope])]);
    }

    // Per viewer, every type's row through node(id) in aliased documents (the API allows 15
    // aliases a document) and through one nodes(ids:) call, and each list query once: about 36
    // requests a viewer instead of 90.
    const types = Object.keys(LISTS);
    const ALIASES = 15;
    const lookups = Array.from({ length: Math.ceil(types.length / ALIASES) }, (_, c) => {
      const at = types.slice(c * ALIASES, (c + 1) * ALIASES).map((_, j) => c * ALIASES + j);
      return {
        query: `query(${at.map((i) => `$id${i}: ID!`).join(", ")}) { ${at.map((i) => `n${i}: node(id: $id${i}) { id }`).join(" ")} }`,
        variables: Object.fromEntries(at.map((i) => [`id${i}`, rows[types[i] as string]])),
      };
    });
    const disagreements: string[] = [];
    for (const [who, token] of viewers) {
      const listed = new Map<string, string[]>();
      for (const q of new Set(Object.values(LISTS).flat()))
        listed.set(q, ids((await exec(q, { i: agentId }, token)).data));
      const one = { data: {} as Record<string, { id: string } | null>, errors: [] as GraphQLResult["errors"] & {} };
      for (const l of lookups) {
        const r = await exec(l.query, l.variables, token);
        Object.assign(one.data, r.data);
        one.errors.push(...(r.errors ?? []));
      }
      const many = await exec(
        `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
        { ids: types.map((t) => rows[t]) },
        token,
      );
      for (const [i, type] of types.entries()) {
        const id = rows[type] as string;
        const inList = (LISTS[type] ?? []).some((q) => listed.get(q)?.includes(id));
        const byNode = one.data[`n${i}`]?.id === id;
        const byNodes = many.data?.nodes?.[i]?.id === id;
        if (byNode !== inList || byNodes !== inList)
          disagreements.push(`${type} as ${who}: list ${inList}, node ${byNode}, nodes ${byNodes}`);
        if (!byNode)
          expect(one.errors?.find((e) => e.path?.[0] === `n${i}`)?.extensions?.code, `${type} as ${who}`).toBe(
            "NOT_FOUND",
          );
      }
    }
    expect(disagreements).toEqual([]);

    // The transparency log, walked the same way: every type over a user's rows (a Prisma model
    // with an owning userId) that anyone other than its owner's session just read has an entry
    // in that owner's log, of that actor kind. Types that are not nodes are read through a case
    // of their own (EXTRA); a new owned type without a way here fails the first assertion.
    const owned = Object.values(schema.getTypeMap())
      .filter((t) => isObjectType(t))
      .filter((t) => {
        const model = (t.extensions as { pothosPrismaModel?: string }).pothosPrismaModel;
        return !!model && !!ownerFieldOf(model);
      })
      .map((t) => t.name)
      .sort();
    await app.db.prisma.favorite.create({ data: { userId, tenantId, itemType: "agent", itemId: dbId(agentId) } });
    await app.db.prisma.analysisResult.create({
      data: {
        runId: dbId(rows.AnalysisRun as string),
        userId,
        tenantId,
        source: "twitter",
        riskScore: 1,
        grade: "A",
        itemCount: 1,
        summary: "s",
      },
    });
    const EXTRA: Record<string, [who: string, query: string]> = {
      Profile: ["admin", `{ me { tenant { members(first: 100) { edges { node { profile { jobTitle } } } } } } }`],
      Favorite: ["owner key READ_AGENTS", `{ favorites { edges { node { itemType } } } }`],
      AnalysisResult: ["owner key ANALYSIS_READ", `{ analysisRuns { edges { node { results { grade } } } } }`],
    };
    expect(owned.filter((t) => !(t in LISTS) && !(t in EXTRA))).toEqual([]);
    const tokenOf = new Map(viewers);
    const sessionUser: Record<string, string> = {
      owner: userId,
      member: member.userId,
      admin: admin.userId,
      "other tenant": other.userId,
    };
    const expected = new Set<string>();
    for (const type of owned) {
      const cases: [string, string][] =
        type in EXTRA
          ? [EXTRA[type] as [string, string]]
          : viewers.map(([who]) => [who, `query($id: ID!) { node(id: $id) { id } }`]);
      const model = ((schema.getType(type)?.extensions ?? {}) as { pothosPrismaModel: string }).pothosPrismaModel;
      for (const [who, query] of cases) {
        const token = tokenOf.get(who) ?? null;
        const r = await exec(query, { id: rows[type] }, token);
        const saw = type in EXTRA ? !r.errors?.length : r.data?.node?.id === rows[type];
        if (!saw || !token) continue;
        const id = type in EXTRA ? null : dbId(rows[type] as string);
        const delegate = (app.db.prisma as never as Record<string, { findUnique: (a: unknown) => Promise<unknown> }>)[
          model.charAt(0).toLowerCase() + model.slice(1)
        ];
        const row = (id ? await delegate?.findUnique({ where: { id } }) : { userId }) as Record<string, string>;
        const subject = row[ownerFieldOf(model) as string];
        if (!subject || sessionUser[who] === subject) continue;
        expected.add(`${type} of ${subject} by ${who.includes(" key ") ? "api_key" : "user"}`);
      }
    }
    await app.services.accessLog.flush();
    const entries = await app.db.prisma.dataAccessLog.findMany({
      where: { tenantId },
      select: { resources: true, subjectUserId: true, actorKind: true },
    });
    const logged = new Set(
      entries.flatMap((e) => e.resources.map((type) => `${type} of ${e.subjectUserId} by ${e.actorKind}`)),
    );
    expect([...expected].filter((e) => !logged.has(e))).toEqual([]);
    // The walk reached other readers of most owned types, so it cannot pass by seeing nothing.
    expect(new Set([...expected].map((e) => e.split(" ")[0])).size).toBeGreaterThan(10);
    // Some 1,500 requests: a guard against a hang, not a speed check.
  }, 600_000);
});
