// Every field of the schema names a rule (DESIGN.md section 3), and `node`/`nodes` never leak
// across tenants.
import SchemaBuilder from "@pothos/core";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import { type GraphQLSchema, isIntrospectionType, isObjectType } from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../../server/schema/index.ts";
import { dbKind, ok } from "../kit.ts";
import {
  createAgent,
  currentSessionId,
  exec,
  expectDenied,
  setUpAuthorizationApp,
  world,
} from "../support/authorization.ts";

setUpAuthorizationApp();

type WithOptions = { extensions?: { pothosOptions?: { authScopes?: unknown } } | null };
const ruleOf = (x: WithOptions) => x.extensions?.pothosOptions?.authScopes;

/** Fields with no rule: root fields need their own, other fields their own or their type's. */
function fieldsWithoutRule(s: GraphQLSchema): { missing: string[]; checked: number } {
  const roots = new Set(["Query", "Mutation", "Subscription"]);
  const missing: string[] = [];
  let checked = 0;
  for (const type of Object.values(s.getTypeMap())) {
    if (!isObjectType(type) || isIntrospectionType(type)) continue;
    const typeRule = roots.has(type.name) ? undefined : ruleOf(type as WithOptions);
    for (const field of Object.values(type.getFields())) {
      checked++;
      if (ruleOf(field as WithOptions) === undefined && typeRule === undefined)
        missing.push(`${type.name}.${field.name}`);
    }
  }
  return { missing, checked };
}

describe(`every field names its rule (${dbKind})`, () => {
  it("finds an authScopes rule on each field or its type, and on every root field", () => {
    const { missing, checked } = fieldsWithoutRule(schema);
    expect(checked).toBeGreaterThan(200);
    expect(missing).toEqual([]);
  });

  it("reports a field that has no rule (the walk reads the options Pothos keeps)", () => {
    // A bare builder; the cast drops the options the Prisma plugin's global types ask for.
    const b = new SchemaBuilder<{ AuthScopes: { admin: boolean } }>({
      plugins: [ScopeAuthPlugin],
      scopeAuth: { authScopes: () => ({ admin: false }) },
    } as never);
    const Guarded = b.objectRef<{ a: string }>("Guarded").implement({
      authScopes: { admin: true },
      fields: (t) => ({ a: t.exposeString("a") }),
    });
    const Open = b.objectRef<{ b: string }>("Open").implement({
      fields: (t) => ({ b: t.exposeString("b"), c: t.string({ authScopes: { admin: true }, resolve: () => "" }) }),
    });
    b.queryType({
      fields: (t) => ({
        guarded: t.field({ type: Guarded, authScopes: { admin: true }, resolve: () => ({ a: "" }) }),
        open: t.field({ type: Open, resolve: () => ({ b: "" }) }),
      }),
    });
    expect(fieldsWithoutRule(b.toSchema()).missing.sort()).toEqual(["Open.b", "Query.open"]);
  });
});

describe(`node and nodes across tenants (${dbKind})`, () => {
  it("never leak another tenant's rows, one by one or in a batch", async () => {
    const { admin, owner, other } = await world();
    const agentId = await createAgent(admin);
    const mem = await ok(
      exec,
      `mutation { createMemory(input: { memoryType: fact, memoryKey: "k", content: "secret" }) { id } }`,
      {},
      owner.token,
    );
    const rating = await ok(
      exec,
      `mutation($i: ID!) { rate(itemType: "agent", itemId: $i, rating: 3) { id } }`,
      { i: agentId },
      owner.token,
    );
    const ids = [mem.createMemory.id, owner.id, agentId, await currentSessionId(owner), rating.rate.id];

    const NODE = `query($id: ID!) { node(id: $id) { id __typename } }`;
    for (const id of ids) expectDenied(await exec(NODE, { id }, other.token), ["node"]);

    const batch = await exec(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids }, other.token);
    expect(batch.data.nodes).toEqual(ids.map(() => null));
    ids.forEach((_, i) => {
      expectDenied(batch, ["nodes", i]);
    });

    // Fragments on each type reach nothing either.
    const typed = await exec(
      /* GraphQL */ `
        query($ids: [ID!]!) {
          nodes(ids: $ids) {
            ... on Memory { content }
            ... on User { email displayName }
            ... on Agent { systemPrompt name }
            ... on Session { ipAddress }
            ... on Rating { review author { email } }
          }
        }
      `,
      { ids },
      other.token,
    );
    expect(typed.data.nodes).toEqual(ids.map(() => null));
    expect(JSON.stringify(typed)).not.toContain("secret");

    // Anonymous: the same, as UNAUTHENTICATED.
    const anon = await exec(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids }, null);
    expect(anon.data.nodes).toEqual(ids.map(() => null));
    expectDenied(anon, ["nodes", 0], "UNAUTHENTICATED");
  });
});
