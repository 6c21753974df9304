// Mutations of the profile, agents, favourites and ratings: the success path, and each kind of bad
// input with its stable code, the field at fault, and proof that nothing was written.
import { describe, expect, it } from "vitest";
import { createMember, createOwner, dbId, dbKind, ok } from "../kit.ts";
import { apiKey, app, exec, expectError, expectInvalidDocument, long, setUpMutationApp } from "../support/mutations.ts";

setUpMutationApp();

describe(`profile (${dbKind})`, () => {
  const U = `mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { displayName profile { fullName avatarUrl twitter preferences notificationSettings } } }`;

  it("updateProfile merges preferences and notification settings and keeps what it is not given", async () => {
    const owner = await createOwner(exec);
    await ok(
      exec,
      U,
      {
        i: { preferences: { theme: "dark", language: "en-GB" }, notificationSettings: { email: true }, twitter: "@me" },
      },
      owner.token,
    );
    const d = await ok(
      exec,
      U,
      {
        i: {
          displayName: "Renamed",
          preferences: { timezone: "Europe/Oslo" },
          notificationSettings: { weeklyDigest: false },
        },
      },
      owner.token,
    );
    expect(d.updateProfile.displayName).toBe("Renamed");
    expect(d.updateProfile.profile).toMatchObject({
      twitter: "me",
      preferences: { theme: "dark", language: "en-GB", timezone: "Europe/Oslo" },
      notificationSettings: { email: true, weekly_digest: false },
    });
    expect(
      (await ok(exec, U, { i: { avatarUrl: "https://cdn.example.test/a.png" } }, owner.token)).updateProfile.profile
        .avatarUrl,
    ).toBe("https://cdn.example.test/a.png");
  });

  it("updateProfile refuses invalid preferences, URLs and sizes, and writes nothing", async () => {
    const owner = await createOwner(exec);
    await ok(exec, U, { i: { preferences: { theme: "light" }, fullName: "Keep" } }, owner.token);
    const snapshot = async () => {
      const u = await app.db.prisma.user.findUniqueOrThrow({ where: { id: owner.userId }, include: { profile: true } });
      return JSON.stringify({ d: u.displayName, p: { ...u.profile, updatedAt: null } });
    };
    const before = await snapshot();
    const cases: [Record<string, unknown>, string][] = [
      [{ preferences: { theme: "purple" } }, "input.preferences.theme"],
      [{ preferences: { timezone: "Mars/Olympus_Mons" } }, "input.preferences.timezone"],
      [{ preferences: { language: "english" } }, "input.preferences.language"],
      [{ fullName: long(201) }, "input.fullName"],
      [{ displayName: "" }, "input.displayName"],
      [{ avatarUrl: "not a url" }, "input.avatarUrl"],
      [{ avatarUrl: "javascript:alert(document.cookie)" }, "input.avatarUrl"],
      [{ twitter: "<script>" }, "input.twitter"],
      [{ fullName: "Changed", preferences: { theme: "purple" } }, "input.preferences.theme"],
    ];
    for (const [i, field] of cases) expectError(await exec(U, { i }, owner.token), "BAD_USER_INPUT", field);
    expectInvalidDocument(
      await exec(`mutation { updateProfile(input: { onboardingCompleted: "yes" }) { id } }`, {}, owner.token),
    );
    expect(await snapshot()).toBe(before);
    expectError(await exec(U, { i: { fullName: "x" } }, await apiKey(owner, ["read:profile"])), "FORBIDDEN");
    expect(
      (await ok(exec, U, { i: { fullName: "By key" } }, await apiKey(owner, ["write:profile", "read:profile"])))
        .updateProfile.profile.fullName,
    ).toBe("By key");
  });
});

describe(`agents (${dbKind})`, () => {
  const CREATE = `mutation($i: AgentInput!) { createAgent(input: $i) { id name temperature model systemPrompt } }`;

  it("createAgent and updateAgent: admins only, validated, unique names per tenant", async () => {
    const admin = await createOwner(exec);
    const member = await createMember(exec, admin);
    const other = await createOwner(exec, "Other");
    const agents = () => app.db.prisma.agent.count({ where: { tenantId: admin.tenantId } });
    const d = await ok(
      exec,
      CREATE,
      { i: { name: " Scout ", temperature: 0.2, systemPrompt: "Be brief." } },
      admin.token,
    );
    expect(d.createAgent).toMatchObject({ name: "Scout", temperature: 0.2, systemPrompt: "Be brief." });
    const id = d.createAgent.id;

    const cases: [Record<string, unknown>, string][] = [
      [{ name: "Hot", temperature: 3 }, "input.temperature"],
      [{ name: "Cold", temperature: -0.1 }, "input.temperature"],
      [{ name: long(101) }, "input.name"],
      [{ name: "Big", maxTokens: 0 }, "input.maxTokens"],
      [{ name: "Red", color: "red" }, "input.color"],
      [{ name: "Wordy", systemPrompt: long(20_001) }, "input.systemPrompt"],
      [{ description: "no name" }, "input.name"],
    ];
    for (const [i, field] of cases) expectError(await exec(CREATE, { i }, admin.token), "BAD_USER_INPUT", field);
    expectInvalidDocument(
      await exec(`mutation { createAgent(input: { name: "T", temperature: "warm" }) { id } }`, {}, admin.token),
    );
    expectError(await exec(CREATE, { i: { name: "Scout  " } }, admin.token), "CONFLICT", "name");
    expectError(await exec(CREATE, { i: { name: "Mine" } }, member.token), "FORBIDDEN");
    expect(await agents()).toBe(1);

    const UPDATE = `mutation($id: ID!, $i: AgentInput!) { updateAgent(id: $id, input: $i) { name temperature isActive } }`;
    expect((await ok(exec, UPDATE, { id, i: { temperature: 1.5, isActive: false } }, admin.token)).updateAgent).toEqual(
      {
        name: "Scout",
        temperature: 1.5,
        isActive: false,
      },
    );
    await ok(exec, CREATE, { i: { name: "Second" } }, admin.token);
    expectError(await exec(UPDATE, { id, i: { name: "Second" } }, admin.token), "CONFLICT", "name");
    expectError(
      await exec(UPDATE, { id, i: { temperature: 2.5 } }, admin.token),
      "BAD_USER_INPUT",
      "input.temperature",
    );
    expectError(await exec(UPDATE, { id, i: { name: "Stolen" } }, other.token), "NOT_FOUND");
    expectError(await exec(UPDATE, { id, i: { name: "Mine" } }, member.token), "FORBIDDEN");
    const row = await app.db.prisma.agent.findUniqueOrThrow({ where: { id: dbId(id) } });
    expect([row.name, row.temperature]).toEqual(["Scout", 1.5]);
  });

  it("addAgent, updateUserAgent, shareUserAgent, removeUserAgent on my own copy only", async () => {
    const admin = await createOwner(exec);
    const owner = await createMember(exec, admin, "Owner");
    const member = await createMember(exec, admin, "Member");
    const other = await createOwner(exec, "Other");
    const agentId = (await ok(exec, CREATE, { i: { name: "Scout" } }, admin.token)).createAgent.id;
    const foreignAgent = (await ok(exec, CREATE, { i: { name: "Foreign" } }, other.token)).createAgent.id;
    const copies = () => app.db.prisma.userAgent.count({ where: { userId: owner.userId } });

    const ADD = `mutation($a: ID!, $i: UserAgentInput) { addAgent(agentId: $a, input: $i) { id customName customTemperature tags } }`;
    expectError(await exec(ADD, { a: foreignAgent }, owner.token), "NOT_FOUND");
    expectError(
      await exec(ADD, { a: agentId, i: { customTemperature: 3 } }, owner.token),
      "BAD_USER_INPUT",
      "input.customTemperature",
    );
    expectError(
      await exec(ADD, { a: agentId, i: { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) } }, owner.token),
      "BAD_USER_INPUT",
      "input.tags",
    );
    expectError(
      await exec(ADD, { a: agentId, i: { customName: long(101) } }, owner.token),
      "BAD_USER_INPUT",
      "input.customName",
    );
    expect(await copies()).toBe(0);

    const added = await ok(
      exec,
      ADD,
      { a: agentId, i: { customName: "Mine", tags: ["a", "a", "b"], customTemperature: 0.7 } },
      owner.token,
    );
    expect(added.addAgent).toMatchObject({ customName: "Mine", tags: ["a", "b"], customTemperature: 0.7 });
    const uaId = added.addAgent.id;
    expect((await ok(exec, ADD, { a: agentId }, owner.token)).addAgent.id).toBe(uaId);
    expect(await copies()).toBe(1);

    const UPD = `mutation($id: ID!, $i: UserAgentInput!) { updateUserAgent(id: $id, input: $i) { notes isPinned folder status archivedAt settings } }`;
    const u = await ok(
      exec,
      UPD,
      { id: uaId, i: { notes: "n", isPinned: true, folder: "work", archived: true, settings: { mode: "x" } } },
      owner.token,
    );
    expect(u.updateUserAgent).toMatchObject({
      notes: "n",
      isPinned: true,
      folder: "work",
      status: "archived",
      settings: { mode: "x" },
    });
    expect(u.updateUserAgent.archivedAt).not.toBeNull();
    const bad: [Record<string, unknown>, string][] = [
      [{ status: "deleted" }, "input.status"],
      [{ notes: long(10_001) }, "input.notes"],
      [{ customColor: "blue" }, "input.customColor"],
      [{ settings: [1, 2] }, "input.settings"],
      [{ notificationSettings: { email: "yes" } }, "input.notificationSettings.email"],
    ];
    for (const [i, field] of bad) expectError(await exec(UPD, { id: uaId, i }, owner.token), "BAD_USER_INPUT", field);
    expectError(await exec(UPD, { id: uaId, i: { notes: "hijack" } }, member.token), "NOT_FOUND");
    expect((await app.db.prisma.userAgent.findUniqueOrThrow({ where: { id: dbId(uaId) } })).notes).toBe("n");

    const SHARE = `mutation($id: ID!, $u: [ID!]!) { shareUserAgent(id: $id, userIds: $u) { isShared sharedWith } }`;
    expectError(await exec(SHARE, { id: uaId, u: [other.id] }, owner.token), "BAD_USER_INPUT", "userIds");
    expect((await app.db.prisma.userAgent.findUniqueOrThrow({ where: { id: dbId(uaId) } })).isShared).toBe(false);
    expect((await ok(exec, SHARE, { id: uaId, u: [member.id, owner.id] }, owner.token)).shareUserAgent).toEqual({
      isShared: true,
      sharedWith: [member.id],
    });
    expectError(await exec(SHARE, { id: uaId, u: [admin.id] }, member.token), "NOT_FOUND");

    const REMOVE = `mutation($id: ID!) { removeUserAgent(id: $id) }`;
    expectError(await exec(REMOVE, { id: uaId }, member.token), "NOT_FOUND");
    expect((await ok(exec, REMOVE, { id: uaId }, owner.token)).removeUserAgent).toBe(uaId);
    expect(
      (await ok(exec, `{ myAgents(includeArchived: true) { edges { node { id } } } }`, {}, owner.token)).myAgents.edges,
    ).toEqual([]);
    expect((await ok(exec, `{ sharedAgents { edges { node { id } } } }`, {}, member.token)).sharedAgents.edges).toEqual(
      [],
    );
    expectError(await exec(REMOVE, { id: uaId }, owner.token), "NOT_FOUND");
  });

  it("setFavorite marks and unmarks an item, only items of my tenant", async () => {
    const admin = await createOwner(exec);
    const other = await createOwner(exec, "Other");
    const agentId = (await ok(exec, CREATE, { i: { name: "Scout" } }, admin.token)).createAgent.id;
    const foreign = (await ok(exec, CREATE, { i: { name: "Foreign" } }, other.token)).createAgent.id;
    const F = `mutation($t: String!, $i: ID!, $f: Boolean!, $n: String) { setFavorite(itemType: $t, itemId: $i, favorite: $f, notes: $n) }`;
    const favs = () => app.db.prisma.favorite.count({ where: { userId: admin.userId } });

    expectError(await exec(F, { t: "planet", i: agentId, f: true }, admin.token), "BAD_USER_INPUT", "itemType");
    expectError(await exec(F, { t: "agent", i: foreign, f: true }, admin.token), "NOT_FOUND");
    expectError(await exec(F, { t: "agent", i: "nope", f: true }, admin.token), "BAD_USER_INPUT", "itemId");
    expectError(
      await exec(F, { t: "agent", i: agentId, f: true, n: long(1001) }, admin.token),
      "BAD_USER_INPUT",
      "notes",
    );
    expect(await favs()).toBe(0);

    expect((await ok(exec, F, { t: "agent", i: agentId, f: true, n: "daily" }, admin.token)).setFavorite).toBe(true);
    expect((await ok(exec, F, { t: "agent", i: agentId, f: true }, admin.token)).setFavorite).toBe(true);
    expect(
      (await ok(exec, `{ favorites { edges { node { itemType notes } } } }`, {}, admin.token)).favorites.edges,
    ).toEqual([{ node: { itemType: "agent", notes: "daily" } }]);
    expect((await ok(exec, F, { t: "agent", i: agentId, f: false }, admin.token)).setFavorite).toBe(false);
    expect(await favs()).toBe(0);
  });
});

describe(`ratings (${dbKind})`, () => {
  const RATE = `mutation($i: ID!, $r: Int!, $v: String, $t: String!) { rate(itemType: $t, itemId: $i, rating: $r, review: $v) { id rating review } }`;

  it("rate validates, updates my one rating per item, and summarises average, count and distribution", async () => {
    const admin = await createOwner(exec);
    const a = await createMember(exec, admin, "A");
    const b = await createMember(exec, admin, "B");
    const other = await createOwner(exec, "Other");
    const agentId = (await ok(exec, `mutation { createAgent(input: { name: "Scout" }) { id } }`, {}, admin.token))
      .createAgent.id;
    const foreign = (await ok(exec, `mutation { createAgent(input: { name: "Far" }) { id } }`, {}, other.token))
      .createAgent.id;
    const ratings = () => app.db.prisma.rating.count({ where: { tenantId: admin.tenantId } });

    expectError(await exec(RATE, { t: "agent", i: agentId, r: 6 }, a.token), "BAD_USER_INPUT", "rating");
    expectError(await exec(RATE, { t: "agent", i: agentId, r: 0 }, a.token), "BAD_USER_INPUT", "rating");
    expectError(await exec(RATE, { t: "agent", i: agentId, r: 3, v: long(5001) }, a.token), "BAD_USER_INPUT", "review");
    expectError(await exec(RATE, { t: "song", i: agentId, r: 3 }, a.token), "BAD_USER_INPUT", "itemType");
    expectError(await exec(RATE, { t: "agent", i: "12", r: 3 }, a.token), "BAD_USER_INPUT", "itemId");
    expectError(await exec(RATE, { t: "agent", i: foreign, r: 3 }, a.token), "NOT_FOUND");
    expectInvalidDocument(
      await exec(`mutation { rate(itemType: "agent", itemId: "x", rating: 4.5) { id } }`, {}, a.token),
    );
    expect(await ratings()).toBe(0);

    const first = await ok(exec, RATE, { t: "agent", i: agentId, r: 2, v: "meh" }, a.token);
    const again = await ok(exec, RATE, { t: "agent", i: agentId, r: 4, v: "  better  " }, a.token);
    expect(again.rate).toEqual({ id: first.rate.id, rating: 4, review: "better" });
    await ok(exec, RATE, { t: "agent", i: agentId, r: 4 }, b.token);
    await ok(exec, RATE, { t: "agent", i: agentId, r: 5 }, admin.token);
    await ok(exec, RATE, { t: "agent", i: foreign, r: 1 }, other.token);
    expect(await ratings()).toBe(3);

    const S = `query($i: ID!) { ratingSummary(itemType: "agent", itemId: $i) { average count distribution } }`;
    expect((await ok(exec, S, { i: agentId }, b.token)).ratingSummary).toEqual({
      average: 4.33,
      count: 3,
      distribution: [0, 0, 0, 2, 1],
    });
    expect((await ok(exec, S, { i: dbId(agentId) }, b.token)).ratingSummary.count).toBe(3);
  });

  it("markRatingHelpful counts once per user, never my own, never another tenant's", async () => {
    const admin = await createOwner(exec);
    const a = await createMember(exec, admin, "A");
    const b = await createMember(exec, admin, "B");
    const other = await createOwner(exec, "Other");
    const agentId = (await ok(exec, `mutation { createAgent(input: { name: "Scout" }) { id } }`, {}, admin.token))
      .createAgent.id;
    const ratingId = (await ok(exec, RATE, { t: "agent", i: agentId, r: 5 }, a.token)).rate.id;
    const H = `mutation($id: ID!) { markRatingHelpful(id: $id) { helpfulCount } }`;

    expectError(await exec(H, { id: ratingId }, a.token), "BAD_USER_INPUT", "id");
    expectError(await exec(H, { id: ratingId }, other.token), "NOT_FOUND");
    expect((await ok(exec, H, { id: ratingId }, b.token)).markRatingHelpful.helpfulCount).toBe(1);
    expect((await ok(exec, H, { id: ratingId }, b.token)).markRatingHelpful.helpfulCount).toBe(1);
    expect((await ok(exec, H, { id: ratingId }, admin.token)).markRatingHelpful.helpfulCount).toBe(2);
    expect(await app.db.prisma.ratingHelpfulVote.count({ where: { ratingId: dbId(ratingId) } })).toBe(2);
  });
});
