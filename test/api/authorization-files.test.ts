// Workspaces, file previews and avatars: each rule allows exactly the viewers DESIGN.md section 3
// names (files and workspaces their owner's alone; an avatar with the profile's public part).
import { describe, expect, it } from "vitest";
import { dbKind, type GraphQLResult, ok, type TestUser } from "../kit.ts";
import { apiKey, app, exec, expectDenied, setUpAuthorizationApp, world } from "../support/authorization.ts";
import { fakePng, multipartBody } from "../support/files.ts";

setUpAuthorizationApp();

/** A multipart request through the app's HTTP handler. */
async function multipart(token: string, form: FormData): Promise<GraphQLResult<any>> {
  const res = await app.fetch("http://test/graphql", {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return (await res.json()) as GraphQLResult<any>;
}

const WS = `query($id: ID!) { node(id: $id) { ... on Workspace { name status files { edges { node { id } } } } } }`;

describe(`workspaces, previews and avatars (${dbKind})`, () => {
  it("a workspace and its files are the owner's alone, through node, nodes, lists and every mutation", async () => {
    const { admin, owner, member, other } = await world();
    const ws = (await ok(exec, `mutation { createWorkspace(name: "Thesis") { id } }`, {}, owner.token)).createWorkspace
      .id as string;
    const up = await multipart(owner.token, multipartBody(fakePng(800), "fig.png", { workspaceId: ws }));
    const fileId = up.data.uploadFile.id as string;
    const readKey = await apiKey(owner, ["read:files"]);
    expect((await ok(exec, WS, { id: ws }, readKey)).node).toEqual({
      name: "Thesis",
      status: "active",
      files: { edges: [{ node: { id: fileId } }] },
    });
    const adminKey = await apiKey(admin, ["admin", "read:files", "write:files"]);
    const wrongScope = await apiKey(owner, ["read:profile", "write:profile"]);

    const viewers: [string, string | null][] = [
      ["admin", admin.token],
      ["member", member.token],
      ["other tenant", other.token],
      ["admin key", adminKey],
      ["owner key without read:files", wrongScope],
      ["anonymous", null],
    ];
    for (const [who, token] of viewers) {
      const one = await exec(WS, { id: ws }, token);
      expectDenied(one, ["node"], token ? "FORBIDDEN" : "UNAUTHENTICATED");
      const many = await exec(`query($id: ID!) { nodes(ids: [$id]) { id } }`, { id: ws }, token);
      expect(many.data?.nodes?.[0] ?? null, who).toBeNull();
      const list = await exec(`{ workspaces { edges { node { id } } } }`, {}, token);
      expect(JSON.stringify(list.data ?? null), who).not.toContain(ws);
      const filtered = await exec(
        `query($w: ID) { files(workspaceId: $w) { edges { node { id } } } }`,
        { w: ws },
        token,
      );
      expect(JSON.stringify(filtered.data ?? null), who).not.toContain(fileId);
      const preview = await exec(
        `query($id: ID!) { node(id: $id) { ... on File { previewUrl isAvatar } } }`,
        { id: fileId },
        token,
      );
      expect(preview.data?.node ?? null, who).toBeNull();
      for (const m of [
        `mutation($id: ID!) { renameWorkspace(id: $id, name: "Mine") { id } }`,
        `mutation($id: ID!) { completeWorkspace(id: $id) { id } }`,
        `mutation($id: ID!) { restoreWorkspace(id: $id) { id } }`,
        `mutation($id: ID!) { deleteWorkspace(id: $id) }`,
      ]) {
        const r = await exec(m, { id: ws }, token);
        expect(r.data ?? null, `${who}: ${m}`).toBeNull();
        expect(["NOT_FOUND", "UNAUTHENTICATED", "FORBIDDEN"], `${who}: ${m}`).toContain(
          r.errors?.[0]?.extensions?.code,
        );
      }
    }
    // Nothing changed.
    const row = await app.db.prisma.workspace.findFirstOrThrow({ where: { userId: owner.userId } });
    expect(row).toMatchObject({ name: "Thesis", completedAt: null, archivedAt: null });
    expect(await app.db.prisma.file.count({ where: { workspaceId: row.id } })).toBe(1);
  });

  it("an avatar is shown with the profile's public part to the tenant only; changing it needs write:profile and write:files", async () => {
    const { admin, owner, member, other } = await world();
    const AVATAR = `mutation($file: Upload!) { uploadAvatar(file: $file) { id } }`;
    const onlyProfile = await apiKey(owner, ["read:profile", "write:profile"]);
    const refused = await multipart(onlyProfile, multipartBody(fakePng(500), "a.png", { query: AVATAR }));
    expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await app.db.prisma.file.count({ where: { userId: owner.userId } })).toBe(0);
    const both = await apiKey(owner, ["read:profile", "write:profile", "write:files"]);
    const done = await multipart(both, multipartBody(fakePng(500), "a.png", { query: AVATAR }));
    expect(done.errors).toBeUndefined();

    const P = `query($id: ID!) { node(id: $id) { ... on User { profile { avatarUrl } } } }`;
    for (const who of [owner, admin, member] as TestUser[])
      expect((await ok(exec, P, { id: owner.id }, who.token)).node.profile.avatarUrl).toMatch(/^\/files\//);
    expectDenied(await exec(P, { id: owner.id }, other.token), ["node"]);
    expectDenied(await exec(P, { id: owner.id }, null), ["node"], "UNAUTHENTICATED");
    const members = await ok(
      exec,
      `{ me { tenant { members(first: 10) { edges { node { id profile { avatarUrl } } } } } } }`,
      {},
      member.token,
    );
    const seen = members.me.tenant.members.edges.find((e: any) => e.node.id === owner.id);
    expect(seen.node.profile.avatarUrl).toMatch(/^\/files\//);
    const remove = await exec(`mutation { removeAvatar { id } }`, {}, onlyProfile);
    expect(remove.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await app.db.prisma.profile.findUniqueOrThrow({ where: { userId: owner.userId } })).toMatchObject({
      avatarFileId: expect.any(String),
    });
  });
});
