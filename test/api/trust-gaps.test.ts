// The trust issue's smaller gaps, and production's defaults: activity times for self and admins,
// invites that can be withdrawn, sharing only with members of today, introspection for signed-in
// viewers and no field suggestions in production.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import {
  codeOf,
  createMember,
  createOwner,
  createTestApp,
  dbKind,
  type Execute,
  executor,
  ok,
  PRODUCTION_SECRETS,
} from "../kit.ts";

let app: App;
let exec: Execute;
let prod: App;
let prodExec: Execute;

beforeAll(async () => {
  app = await createTestApp({ config: { RUN_WORKER: "false" } });
  exec = executor(app);
  prod = await createTestApp({
    config: { RUN_WORKER: "false", NODE_ENV: "production", ...PRODUCTION_SECRETS },
  });
  prodExec = executor(prod);
});
afterAll(async () => {
  await app?.stop();
  await prod?.stop();
});

describe(`smaller gaps (${dbKind})`, () => {
  it("shows lastSeenAt, like lastSignInAt, to the user and the tenant's admins only", async () => {
    const admin = await createOwner(exec, "Admin");
    const member = await createMember(exec, admin, "Member");
    const other = await createMember(exec, admin, "Other");
    const q = `query($id: ID!) { node(id: $id) { ... on User { profile { lastSeenAt } } } }`;
    const byMember = await exec(q, { id: other.id }, member.token);
    expect(byMember.data?.node?.profile?.lastSeenAt ?? null).toBeNull();
    expect(codeOf(byMember)).toBe("FORBIDDEN");
    expect((await ok(exec, q, { id: other.id }, admin.token)).node.profile.lastSeenAt).toBeTruthy();
    expect((await ok(exec, q, { id: other.id }, other.token)).node.profile.lastSeenAt).toBeTruthy();
  });

  it("revokeInvite withdraws an unaccepted invite, for the tenant's admins only", async () => {
    const admin = await createOwner(exec, "Admin");
    const member = await createMember(exec, admin, "Member");
    const created = await ok(exec, `mutation { createInvite { token invite { id } } }`, {}, admin.token);
    const revoke = `mutation($id: ID!) { revokeInvite(id: $id) }`;
    const id = created.createInvite.invite.id;
    expect(codeOf(await exec(revoke, { id }, member.token))).toBe("FORBIDDEN");
    const stranger = await createOwner(exec, "Stranger");
    expect(codeOf(await exec(revoke, { id }, stranger.token))).toBe("NOT_FOUND");
    expect((await ok(exec, revoke, { id }, admin.token)).revokeInvite).toBe(id);
    const signUp = await exec(
      `mutation($t: String!) { signUp(email: "late@example.test", password: "long enough password", displayName: "L", inviteToken: $t) { token } }`,
      { t: created.createInvite.token },
    );
    expect(codeOf(signUp)).toBe("BAD_USER_INPUT");
  });

  it("shareUserAgent refuses a former member", async () => {
    const admin = await createOwner(exec, "Admin");
    const leaver = await createMember(exec, admin, "Leaver");
    const roles = await ok(exec, `{ me { roles { id } } }`, {}, leaver.token);
    await ok(
      exec,
      `mutation($id: ID!) { endRoleAssignment(id: $id) { id } }`,
      { id: roles.me.roles[0].id },
      admin.token,
    );
    const agent = await ok(exec, `mutation { createAgent(input: { name: "Sharer" }) { id } }`, {}, admin.token);
    const ua = await ok(
      exec,
      `mutation($a: ID!) { addAgent(agentId: $a) { id } }`,
      { a: agent.createAgent.id },
      admin.token,
    );
    const r = await exec(
      `mutation($id: ID!, $u: [ID!]!) { shareUserAgent(id: $id, userIds: $u) { id } }`,
      { id: ua.addAgent.id, u: [leaver.id] },
      admin.token,
    );
    expect(codeOf(r)).toBe("BAD_USER_INPUT");
  });

  it("in production, introspection needs a signed-in viewer and errors suggest no field names", async () => {
    const anonymous = await prodExec(`{ __schema { queryType { name } } }`);
    expect(codeOf(anonymous)).toBe("UNAUTHENTICATED");
    const user = await createOwner(prodExec);
    expect((await ok(prodExec, `{ __schema { queryType { name } } }`, {}, user.token)).__schema.queryType.name).toBe(
      "Query",
    );
    const typo = await prodExec(`{ mee { id } }`, {}, user.token);
    expect(JSON.stringify(typo.errors)).not.toMatch(/Did you mean/);
    expect(JSON.stringify((await exec(`{ mee { id } }`)).errors)).toMatch(/Did you mean/);
  });
});
