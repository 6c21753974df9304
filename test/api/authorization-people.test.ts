// Users, profiles, sessions, credentials and roles: each rule allows exactly the viewers DESIGN.md
// section 3 names, through lists, `node`, nested relations, aliases and fragments.
import { describe, expect, it } from "vitest";
import { publishViewerChanged } from "../../server/services/sessions.ts";
import { dbKind, type GraphQLResult, ok } from "../kit.ts";
import {
  apiKey,
  app,
  createAgent,
  currentSessionId,
  daysFromNow,
  errorPaths,
  exec,
  expectDenied,
  gid,
  setUpAuthorizationApp,
  world,
  yesterday,
} from "../support/authorization.ts";

setUpAuthorizationApp();

describe(`users and profiles (${dbKind})`, () => {
  const USER = /* GraphQL */ `
    query($id: ID!) {
      node(id: $id) {
        ... on User {
          id
          displayName
          email
          lastSignInAt
          roles { role }
          tenant { id }
          profile {
            fullName
            jobTitle
            preferences
            notificationSettings
            twitter
            country
            onboardingCompleted
          }
        }
      }
    }
  `;
  const PRIVATE = ["preferences", "notificationSettings", "twitter", "country", "onboardingCompleted"];

  it("shows id and display name to the tenant, email and roles to self and admins, private profile only to self", async () => {
    const { admin, owner, member, other } = await world();
    await ok(
      exec,
      `mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }`,
      {
        input: {
          jobTitle: "Pilot",
          country: "NO",
          twitter: "@owner",
          preferences: { theme: "dark", timezone: "Europe/Oslo" },
          notificationSettings: { email: false },
        },
      },
      owner.token,
    );

    // Owner: everything.
    const own = await exec(USER, { id: owner.id }, owner.token);
    expect(own.errors).toBeUndefined();
    expect(own.data.node).toMatchObject({
      displayName: "Owner",
      email: owner.email,
      roles: [{ role: "member" }],
      tenant: { id: gid("Tenant", owner.tenantId) },
      profile: { jobTitle: "Pilot", twitter: "owner", country: "NO", preferences: { theme: "dark" } },
    });

    // Same-tenant member: public part only.
    const byMember = await exec(USER, { id: owner.id }, member.token);
    expect(byMember.data.node).toMatchObject({ id: owner.id, displayName: "Owner", profile: { jobTitle: "Pilot" } });
    for (const f of ["email", "lastSignInAt", "roles", "tenant"]) expectDenied(byMember, ["node", f]);
    for (const f of PRIVATE) expectDenied(byMember, ["node", "profile", f]);
    expect(errorPaths(byMember)).toHaveLength(4 + PRIVATE.length);

    // Tenant admin: email and roles, but not the private part of the profile.
    const byAdmin = await exec(USER, { id: owner.id }, admin.token);
    expect(byAdmin.data.node).toMatchObject({
      email: owner.email,
      roles: [{ role: "member" }],
      profile: { jobTitle: "Pilot" },
    });
    expect(byAdmin.data.node.lastSignInAt).not.toBeNull();
    expectDenied(byAdmin, ["node", "tenant"]);
    for (const f of PRIVATE) expectDenied(byAdmin, ["node", "profile", f]);

    // Another tenant and anonymous: nothing.
    expectDenied(await exec(USER, { id: owner.id }, other.token), ["node"]);
    expectDenied(await exec(USER, { id: owner.id }, null), ["node"], "UNAUTHENTICATED");
  });

  it("lets an API key read the profile only with read:profile, and never beyond its owner", async () => {
    const { admin, owner } = await world();
    const withScope = await apiKey(owner, ["read:profile"]);
    const without = await apiKey(owner, ["read:agents"]);

    const mine = await exec(`{ me { email profile { preferences } } }`, {}, withScope);
    expect(mine.errors).toBeUndefined();
    expect(mine.data.me.email).toBe(owner.email);

    expectDenied(await exec(`{ me { email } }`, {}, without), ["me"]);
    expectDenied(await exec(USER, { id: owner.id }, without), ["node"]);

    // The owner's key sees the admin as any member does: no email.
    const adminSeen = await exec(USER, { id: admin.id }, withScope);
    expect(adminSeen.data.node.displayName).toBe("Admin");
    expectDenied(adminSeen, ["node", "email"]);
  });

  it("lists the tenant's members to members, with emails only where the viewer may see them", async () => {
    const { admin, owner, member, other } = await world();
    const q = `{ me { tenant { members { edges { node { id displayName email } } } } } }`;
    const r = await exec(q, {}, member.token);
    const nodes = r.data.me.tenant.members.edges.map((e: { node: { id: string } }) => e.node);
    expect(nodes.map((n: { id: string }) => n.id).sort()).toEqual([admin.id, owner.id, member.id].sort());
    expect(nodes.find((n: { id: string }) => n.id === member.id).email).toBe(member.email);
    expect(nodes.find((n: { id: string }) => n.id === owner.id).email).toBeNull();
    expect(errorPaths(r).every((p) => p.endsWith("email: FORBIDDEN"))).toBe(true);
    expect(errorPaths(r)).toHaveLength(2);

    const byAdmin = await exec(q, {}, admin.token);
    expect(byAdmin.errors).toBeUndefined();
    expect(byAdmin.data.me.tenant.members.edges.map((e: { node: { email: string } }) => e.node.email)).toContain(
      owner.email,
    );

    // Another tenant's admin cannot open this tenant through node().
    expectDenied(
      await exec(`query($id: ID!) { node(id: $id) { id } }`, { id: gid("Tenant", owner.tenantId) }, other.token),
      ["node"],
    );
  });

  it("applies field rules through aliases and fragments", async () => {
    const { owner, member } = await world();
    const r = await exec(
      /* GraphQL */ `
        query($a: ID!, $b: ID!) {
          mine: node(id: $a) { ...Private }
          theirs: node(id: $b) { ... on User { secretMail: email name: displayName } }
        }
        fragment Private on User { addr: email profile { prefs: preferences } }
      `,
      { a: member.id, b: owner.id },
      member.token,
    );
    expect(r.data.mine.addr).toBe(member.email);
    expect(r.data.theirs.name).toBe("Owner");
    expectDenied(r, ["theirs", "secretMail"]);
    expect(errorPaths(r)).toEqual(["theirs.secretMail: FORBIDDEN"]);
  });
});

describe(`sessions (${dbKind})`, () => {
  const SESSIONS = `query($all: Boolean) { sessions(allInTenant: $all) { edges { node { id ipAddress browser user { id } } } } }`;
  const ids = (r: GraphQLResult) =>
    (r.data as { sessions: { edges: { node: { id: string } }[] } }).sessions.edges.map((e) => e.node.id);

  it("lists mine to me, the tenant's to its admin, and nothing across tenants", async () => {
    const { admin, owner, member, other } = await world();
    const ownerSession = await currentSessionId(owner);

    const own = await exec(SESSIONS, {}, owner.token);
    expect(own.errors).toBeUndefined();
    expect(ids(own)).toContain(ownerSession);
    expect(
      (own.data.sessions.edges as { node: { user: { id: string } } }[]).every((e) => e.node.user.id === owner.id),
    ).toBe(true);

    const adminAll = await exec(SESSIONS, { all: true }, admin.token);
    expect(adminAll.errors).toBeUndefined();
    expect(ids(adminAll)).toContain(ownerSession);

    const memberAll = await exec(SESSIONS, { all: true }, member.token);
    expectDenied(memberAll, ["sessions"]);

    const otherAll = await exec(SESSIONS, { all: true }, other.token);
    expect(ids(otherAll)).not.toContain(ownerSession);

    expectDenied(await exec(SESSIONS, {}, null), ["sessions"], "UNAUTHENTICATED");
    // Credentials are managed from a session: an API key, whatever its scopes, cannot list them.
    const key = await apiKey(owner, ["read:profile", "read:agents"]);
    expectDenied(await exec(SESSIONS, {}, key), ["sessions"]);

    const NODE = `query($id: ID!) { node(id: $id) { ... on Session { ipAddress os } } }`;
    expect((await ok(exec, NODE, { id: ownerSession }, admin.token)).node).not.toBeNull();
    expectDenied(await exec(NODE, { id: ownerSession }, member.token), ["node"]);
    expectDenied(await exec(NODE, { id: ownerSession }, other.token), ["node"]);
  });

  it("lets the owner and the tenant admin revoke a session, nobody else", async () => {
    const { admin, owner, member, other } = await world();
    const ownerSession = await currentSessionId(owner);
    const REVOKE = `mutation($id: ID!) { revokeSession(id: $id) { id active } }`;

    for (const who of [member, other]) {
      const r = await exec(REVOKE, { id: ownerSession }, who.token);
      expect(r.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    }
    expect((await exec(REVOKE, { id: ownerSession }, null)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect((await ok(exec, `{ me { id } }`, {}, owner.token)).me.id).toBe(owner.id);

    const r = await ok(exec, REVOKE, { id: ownerSession }, admin.token);
    expect(r.revokeSession.active).toBe(false);
    expect((await ok(exec, `{ me { id } }`, {}, owner.token)).me).toBeNull();
    const row = await app.db.prisma.auditLog.findFirst({
      where: { tenantId: admin.tenantId, action: "session.revoked", userId: admin.userId },
    });
    expect(row).not.toBeNull();
  });
});

describe(`credentials and roles (${dbKind})`, () => {
  it("API keys are their owner's alone", async () => {
    const { admin, owner } = await world();
    await apiKey(owner, ["read:profile"]);
    const mine = await ok(exec, `{ apiKeys { edges { node { id name scopes } } } }`, {}, owner.token);
    expect(mine.apiKeys.edges).toHaveLength(1);
    const keyId = mine.apiKeys.edges[0].node.id;
    const byAdmin = await ok(exec, `{ apiKeys { edges { node { id } } } }`, {}, admin.token);
    expect(byAdmin.apiKeys.edges).toEqual([]);
    expectDenied(await exec(`query($id: ID!) { node(id: $id) { id } }`, { id: keyId }, admin.token), ["node"]);
    const revoke = await exec(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: keyId }, admin.token);
    expect(revoke.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(await app.db.prisma.apiKey.count({ where: { userId: owner.userId, revokedAt: null } })).toBe(1);
  });

  it("createInvite and assignRole are for admins of the tenant", async () => {
    const { admin, owner, member, other } = await world();
    const before = await app.db.prisma.invite.count({ where: { tenantId: admin.tenantId } });
    const INVITE = `mutation { createInvite(role: admin) { token } }`;
    expect((await exec(INVITE, {}, member.token)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await exec(INVITE, {}, null)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(await app.db.prisma.invite.count({ where: { tenantId: admin.tenantId } })).toBe(before);

    const ASSIGN = `mutation($u: ID!) { assignRole(userId: $u, role: admin) { id } }`;
    expect((await exec(ASSIGN, { u: member.id }, member.token)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await exec(ASSIGN, { u: owner.id }, other.token)).errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(await app.db.prisma.roleAssignment.count({ where: { userId: { in: [member.userId, owner.userId] } } })).toBe(
      2,
    );
  });

  it("a role counts only on the days it is in effect", async () => {
    const { admin, member } = await world();
    const ASSIGN = `mutation($u: ID!, $from: Date, $to: Date) { assignRole(userId: $u, role: admin, effectiveFrom: $from, effectiveTo: $to) { inEffect } }`;
    const AUDIT = `{ auditLog(first: 1) { edges { node { id } } } }`;

    const future = await ok(exec, ASSIGN, { u: member.id, from: daysFromNow(3) }, admin.token);
    expect(future.assignRole.inEffect).toBe(false);
    expectDenied(await exec(AUDIT, {}, member.token), ["auditLog"]);

    const past = await ok(exec, ASSIGN, { u: member.id, from: daysFromNow(-10), to: yesterday() }, admin.token);
    expect(past.assignRole.inEffect).toBe(false);
    expectDenied(await exec(AUDIT, {}, member.token), ["auditLog"]);
    expect((await exec(`mutation { createInvite { token } }`, {}, member.token)).errors?.[0]?.extensions?.code).toBe(
      "FORBIDDEN",
    );

    const now = await ok(exec, ASSIGN, { u: member.id, to: daysFromNow(1) }, admin.token);
    expect(now.assignRole.inEffect).toBe(true);
    expect((await ok(exec, AUDIT, {}, member.token)).auditLog.edges).toHaveLength(1);
  });

  it("a revoked API key and a signed-out session act as anonymous", async () => {
    const { owner } = await world();
    const key = await apiKey(owner, ["read:profile", "read:agents"]);
    expect((await ok(exec, `{ me { id } }`, {}, key)).me.id).toBe(owner.id);
    const keys = await ok(exec, `{ apiKeys { edges { node { id } } } }`, {}, owner.token);
    await ok(
      exec,
      `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`,
      { id: keys.apiKeys.edges[0].node.id },
      owner.token,
    );
    expect((await ok(exec, `{ me { id } }`, {}, key)).me).toBeNull();
    expectDenied(await exec(`{ agents { edges { node { id } } } }`, {}, key), ["agents"], "UNAUTHENTICATED");

    await ok(exec, `mutation { signOut }`, {}, owner.token);
    expect((await ok(exec, `{ me { id } }`, {}, owner.token)).me).toBeNull();
    expectDenied(
      await exec(`{ memories { edges { node { id } } } }`, {}, owner.token),
      ["memories"],
      "UNAUTHENTICATED",
    );
    expect((await exec(`mutation { signOut }`, {}, owner.token)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("a member whose membership has ended loses the tenant, even with a live session", async () => {
    const { admin, member } = await world();
    await createAgent(admin);
    const key = await apiKey(member, ["read:agents"]);
    await app.db.prisma.roleAssignment.updateMany({
      where: { userId: member.userId },
      data: {
        effectiveFrom: new Date(Date.now() - 10 * 86_400_000),
        effectiveTo: new Date(`${yesterday()}T00:00:00Z`),
      },
    });
    // Written behind the app's back, as the clock would: tell it, as its own writes do.
    publishViewerChanged(app.services.pubsub, member.userId, "membership ended");
    for (const token of [member.token, key]) {
      expectDenied(await exec(`{ agents { edges { node { name } } } }`, {}, token), ["agents"], "UNAUTHENTICATED");
      expect((await ok(exec, `{ me { id } }`, {}, token)).me).toBeNull();
    }
  });
});
