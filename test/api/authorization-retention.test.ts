// Retention policies and runs are the tenant's admins' alone: every new field refuses members,
// API keys without the admin scope, other tenants and anonymous viewers, on every door.
import { describe, expect, it } from "vitest";
import { codeOf, dbKind, ok } from "../kit.ts";
import { apiKey, app, exec, expectDenied, setUpAuthorizationApp, world } from "../support/authorization.ts";

setUpAuthorizationApp();

const POLICIES = `{ retentionPolicies { id kind keepDays } }`;
const RUNS = `{ retentionRuns(first: 5) { edges { node { id removed { table count } } } } }`;
const SET = `mutation { setRetentionPolicy(kind: sessions, keepDays: 3) { id keepDays } }`;

describe(`retention authorization (${dbKind})`, () => {
  it("lets the tenant's admin read and change policies and read runs, and no one else", async () => {
    const { admin, owner, member, other } = await world();
    const byAdmin = await ok(exec, POLICIES, {}, admin.token);
    expect(byAdmin.retentionPolicies).toHaveLength(8);
    expect((await ok(exec, SET, {}, admin.token)).setRetentionPolicy.keepDays).toBe(3);
    await app.services.retention.run({ tenantIds: [admin.tenantId] });
    const runs = await ok(exec, RUNS, {}, admin.token);
    expect(runs.retentionRuns.edges).toHaveLength(1);
    const adminKey = await apiKey(admin, ["admin"]);
    expect((await ok(exec, POLICIES, {}, adminKey)).retentionPolicies).toHaveLength(8);

    const ownerKey = await apiKey(owner, ["read:profile", "read:usage", "read:memories", "analysis:read"]);
    for (const token of [owner.token, member.token, ownerKey]) {
      expectDenied(await exec(POLICIES, {}, token), ["retentionPolicies"]);
      expectDenied(await exec(RUNS, {}, token), ["retentionRuns"]);
      expect(codeOf(await exec(SET, {}, token))).toBe("FORBIDDEN");
    }
    for (const [q, path] of [
      [POLICIES, "retentionPolicies"],
      [RUNS, "retentionRuns"],
    ] as const)
      expectDenied(await exec(q, {}, null), [path], "UNAUTHENTICATED");
    expect(codeOf(await exec(SET, {}, null))).toBe("UNAUTHENTICATED");

    // Another tenant's admin has policies of their own and cannot reach ours by id.
    const theirs = await ok(exec, POLICIES, {}, other.token);
    const ours = new Set(byAdmin.retentionPolicies.map((p: { id: string }) => p.id));
    expect(theirs.retentionPolicies.some((p: { id: string }) => ours.has(p.id))).toBe(false);
    for (const id of [byAdmin.retentionPolicies[0].id, runs.retentionRuns.edges[0].node.id])
      for (const token of [other.token, member.token])
        expect(codeOf(await exec(`query($id: ID!) { node(id: $id) { id } }`, { id }, token))).toBe("NOT_FOUND");
    // Nothing changed by the refused writes.
    const after = await ok(exec, POLICIES, {}, admin.token);
    expect(after.retentionPolicies.find((p: { kind: string }) => p.kind === "sessions").keepDays).toBe(3);
  });
});
