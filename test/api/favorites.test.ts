// Favourites have one source of truth: starring through updateUserAgent (what the client does),
// addAgent or setFavorite all write the favourites table and the user's copy together.
// Each test has its own tenant (the `owner` fixture) and asserts on it alone, so they run concurrently.
import { describe } from "vitest";
import { CreateAgentDocument } from "../../client/gql/graphql.ts";
import { appTest, createOwner, dbId, dbKind, type Execute, ok, type TestUser, type TypedExecute } from "../kit.ts";

const test = appTest();

const STAR = `mutation($id: ID!, $f: Boolean) { updateUserAgent(id: $id, input: { isFavorite: $f }) { isFavorite } }`;
const VIEW = `{
  favorites(first: 10) { edges { node { itemType itemId } } }
  myAgents(first: 10) { edges { node { id isFavorite agent { id } } } }
  starred: myAgents(first: 10, favoritesOnly: true) { edges { node { id } } }
}`;

/** What the favourites query and the agent list say, as agent UUIDs. */
async function seen(exec: Execute, user: TestUser) {
  const d = await ok(exec, VIEW, {}, user.token);
  return {
    favorites: d.favorites.edges.map((e: any) => e.node.itemId).sort(),
    flagged: d.myAgents.edges
      .filter((e: any) => e.node.isFavorite)
      .map((e: any) => dbId(e.node.agent.id))
      .sort(),
    favoritesOnly: d.starred.edges.length,
  };
}

async function agentAndCopy(execute: TypedExecute, owner: TestUser, name: string, input: string = "{}") {
  // The client's own document, typed: a change of its shape fails the typecheck here too.
  const created = await execute(CreateAgentDocument, { input: { name } }, owner.token);
  const a = created.data;
  if (!a) throw new Error(`createAgent failed: ${JSON.stringify(created)}`);
  const ua = await ok(
    execute,
    `mutation($a: ID!) { addAgent(agentId: $a, input: ${input}) { id isFavorite } }`,
    { a: a.createAgent.id },
    owner.token,
  );
  return { agentId: a.createAgent.id, uuid: dbId(a.createAgent.id), userAgent: ua.addAgent };
}

describe.concurrent(`favourites (${dbKind})`, () => {
  test("a star set through updateUserAgent is in the favourites query, and unstarring removes it", async ({
    exec,
    execute,
    owner,
    expect,
  }) => {
    const { uuid, userAgent } = await agentAndCopy(execute, owner, "Helper");
    expect((await ok(exec, STAR, { id: userAgent.id, f: true }, owner.token)).updateUserAgent.isFavorite).toBe(true);
    expect(await seen(exec, owner)).toEqual({ favorites: [uuid], flagged: [uuid], favoritesOnly: 1 });

    expect((await ok(exec, STAR, { id: userAgent.id, f: false }, owner.token)).updateUserAgent.isFavorite).toBe(false);
    expect(await seen(exec, owner)).toEqual({ favorites: [], flagged: [], favoritesOnly: 0 });

    // Leaving isFavorite out (or null) changes neither.
    await ok(exec, STAR, { id: userAgent.id, f: true }, owner.token);
    await ok(
      exec,
      `mutation($id: ID!) { updateUserAgent(id: $id, input: { isPinned: true }) { id } }`,
      { id: userAgent.id },
      owner.token,
    );
    await ok(exec, STAR, { id: userAgent.id, f: null }, owner.token);
    expect(await seen(exec, owner)).toEqual({ favorites: [uuid], flagged: [uuid], favoritesOnly: 1 });
  });

  test("setFavorite and the star on the user's copy agree, also after removing and re-adding the agent", async ({
    exec,
    execute,
    owner,
    expect,
  }) => {
    const { agentId, uuid, userAgent } = await agentAndCopy(execute, owner, "Writer");
    const SET = `mutation($i: ID!, $f: Boolean!) { setFavorite(itemType: "agent", itemId: $i, favorite: $f) }`;
    await ok(exec, SET, { i: agentId, f: true }, owner.token);
    expect(await seen(exec, owner)).toEqual({ favorites: [uuid], flagged: [uuid], favoritesOnly: 1 });

    await ok(exec, `mutation($id: ID!) { removeUserAgent(id: $id) }`, { id: userAgent.id }, owner.token);
    const again = await ok(
      exec,
      `mutation($a: ID!) { addAgent(agentId: $a) { isFavorite } }`,
      { a: agentId },
      owner.token,
    );
    expect(again.addAgent.isFavorite).toBe(true);
    expect(await seen(exec, owner)).toEqual({ favorites: [uuid], flagged: [uuid], favoritesOnly: 1 });

    await ok(exec, SET, { i: agentId, f: false }, owner.token);
    expect(await seen(exec, owner)).toEqual({ favorites: [], flagged: [], favoritesOnly: 0 });
  });

  test("addAgent with isFavorite writes the favourites row too; another user's stars stay apart", async ({
    app,
    exec,
    execute,
    owner,
    expect,
  }) => {
    const { uuid, userAgent } = await agentAndCopy(execute, owner, "Starred", "{ isFavorite: true }");
    expect(userAgent.isFavorite).toBe(true);
    expect(await seen(exec, owner)).toEqual({ favorites: [uuid], flagged: [uuid], favoritesOnly: 1 });
    const stranger = await createOwner(exec, "Stranger");
    expect(await seen(exec, stranger)).toEqual({ favorites: [], flagged: [], favoritesOnly: 0 });
    expect(await app.db.prisma.favorite.count({ where: { userId: owner.userId } })).toBe(1);
  });
});
