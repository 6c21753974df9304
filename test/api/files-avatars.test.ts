// Avatars through the upload path (images only by content, AVATAR_MAX_BYTES), Profile.avatarUrl as a
// signed, time-limited URL, and inline previews of images and PDFs that a download URL cannot become.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { App } from "../../server/app.ts";
import {
  codeOf,
  createMember,
  createOwner,
  createTestApp,
  dbId,
  dbKind,
  type Execute,
  executor,
  ok,
  type TestUser,
} from "../kit.ts";
import { fakePdf, fakePng, multipartBody, sha256, upload } from "../support/files.ts";

let app: App;
let exec: Execute;
let base: string;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "userplane-avatars-"));
  app = await createTestApp({ config: { RUN_WORKER: "false", DATA_DIR: dataDir, AVATAR_MAX_BYTES: "8192" } });
  exec = executor(app);
  const { port } = await app.start();
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await app?.stop();
  await rm(dataDir, { recursive: true, force: true });
});
afterEach(() => {
  vi.useRealTimers();
});

const AVATAR = `mutation($file: Upload!) { uploadAvatar(file: $file) { profile { avatarUrl } } }`;

/** Uploads `bytes` as the user's avatar with the GraphQL multipart request. */
async function uploadAvatar(user: TestUser, bytes: Buffer, name = "me.png") {
  const form = multipartBody(bytes, name, { query: AVATAR });
  const res = await fetch(`${base}/graphql`, {
    method: "POST",
    body: form,
    headers: { authorization: `Bearer ${user.token}` },
  });
  return (await res.json()) as { data?: any; errors?: any[] };
}

async function objects(): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of app.services.files.storage.list()) keys.push(o.key);
  return keys;
}

const avatarOf = async (viewer: TestUser, of: TestUser) =>
  (
    await exec(
      `query($id: ID!) { node(id: $id) { ... on User { profile { avatarUrl } } } }`,
      { id: of.id },
      viewer.token,
    )
  ).data?.node?.profile?.avatarUrl ?? null;

describe(`avatars (${dbKind})`, () => {
  it("stores an image as the avatar, shows it to the tenant by a signed URL, and replaces and removes it with its file", async () => {
    const owner = await createOwner(exec, "Face");
    const member = await createMember(exec, owner, "Colleague");
    const first = fakePng(3000);
    const r = await uploadAvatar(owner, first);
    expect(r.errors).toBeUndefined();
    const url = r.data.uploadAvatar.profile.avatarUrl as string;
    expect(url).toMatch(/^\/files\/[0-9a-f-]{36}\?expires=\d+&signature=[\w-]{43}$/);
    // The member reads the public part of the profile, avatar included, and can load the image.
    const seen = (await avatarOf(member, owner)) as string;
    expect(seen).toMatch(/^\/files\//);
    const res = await fetch(base + seen);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(first));

    // The avatar is one of the owner's files, marked so.
    const files = await ok(exec, `{ files { edges { node { id folder isAvatar size } } } }`, {}, owner.token);
    expect(files.files.edges.map((e: any) => e.node)).toEqual([
      expect.objectContaining({ folder: "avatars", isAvatar: true, size: 3000 }),
    ]);
    const firstRow = await app.db.prisma.file.findUniqueOrThrow({ where: { id: dbId(files.files.edges[0].node.id) } });

    // A new avatar replaces the old one, whose row and object go.
    const second = await uploadAvatar(owner, fakePng(4000));
    expect(second.errors).toBeUndefined();
    expect(await app.db.prisma.file.count({ where: { id: firstRow.id } })).toBe(0);
    expect(await objects()).not.toContain(firstRow.storageKey);
    expect((await fetch(base + seen)).status).toBe(404);
    const now = await ok(exec, `{ files { edges { node { id isAvatar } } } }`, {}, owner.token);
    expect(now.files.edges).toHaveLength(1);

    const removed = await ok(exec, `mutation { removeAvatar { profile { avatarUrl } } }`, {}, owner.token);
    expect(removed.removeAvatar.profile.avatarUrl).toBeNull();
    expect((await ok(exec, `{ files { edges { node { id } } } }`, {}, owner.token)).files.edges).toEqual([]);
    expect(await objects()).toEqual([]);
  });

  it("expires the avatar's URL: it lasts between one and two FILE_URL_DEFAULT_SECONDS windows", async () => {
    const owner = await createOwner(exec, "Clock");
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    const url = (await uploadAvatar(owner, fakePng(1000))).data.uploadAvatar.profile.avatarUrl as string;
    expect((await fetch(base + url)).status).toBe(200);
    const expires = Number(new URL(base + url).searchParams.get("expires")) * 1000;
    expect(expires - start).toBeGreaterThan(300_000);
    expect(expires - start).toBeLessThanOrEqual(600_000);
    // The same URL within its window (an image a live query sends again is not loaded again).
    expect(await avatarOf(owner, owner)).toBe(url);
    vi.setSystemTime(expires);
    expect((await fetch(base + url)).status).toBe(403);
    expect(await avatarOf(owner, owner)).not.toBe(url);
  });

  it("refuses anything but a raster image by its content, and images over AVATAR_MAX_BYTES, keeping nothing", async () => {
    const owner = await createOwner(exec, "Picky");
    const before = await objects();
    for (const [bytes, name, code] of [
      [
        Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
        "a.png",
        "BAD_USER_INPUT",
      ],
      [fakePdf(2000), "a.png", "BAD_USER_INPUT"],
      [Buffer.from("just text"), "a.jpg", "BAD_USER_INPUT"],
      [fakePng(9000), "big.png", "PAYLOAD_TOO_LARGE"],
    ] as const) {
      const r = await uploadAvatar(owner, bytes, name);
      expect(codeOf(r as never), name).toBe(code);
    }
    expect(await objects()).toEqual(before);
    expect(await avatarOf(owner, owner)).toBeNull();
    // The same image is still fine as a file: the avatar's limit is its own.
    const f = await upload(base, fakePng(9000), "big.png", { token: owner.token });
    expect(f.errors).toBeUndefined();
  });

  it("hides the avatar from other tenants and anonymous viewers; its file stays the owner's alone", async () => {
    const owner = await createOwner(exec, "Private");
    const member = await createMember(exec, owner, "Peer");
    const stranger = await createOwner(exec, "Stranger");
    await uploadAvatar(owner, fakePng(1000));
    expect(await avatarOf(member, owner)).toMatch(/^\/files\//);
    expect(await avatarOf(stranger, owner)).toBeNull();
    const anon = await exec(`query($id: ID!) { node(id: $id) { ... on User { profile { avatarUrl } } } }`, {
      id: owner.id,
    });
    expect(anon.data?.node ?? null).toBeNull();
    const fileId = (await ok(exec, `{ files { edges { node { id } } } }`, {}, owner.token)).files.edges[0].node.id;
    for (const who of [member, stranger]) {
      const r = await exec(
        `query($id: ID!) { node(id: $id) { ... on File { downloadUrl } } }`,
        { id: fileId },
        who.token,
      );
      expect(codeOf(r)).toBe("NOT_FOUND");
      expect(codeOf(await exec(`mutation { removeAvatar { id } }`, {}, who.token))).toBeUndefined();
    }
    // Their removeAvatar touched their own (empty) profile only.
    expect(await avatarOf(owner, owner)).toMatch(/^\/files\//);
  });
});

describe(`previews (${dbKind})`, () => {
  const PREVIEW = `query($id: ID!) { node(id: $id) { ... on File { previewUrl downloadUrl } } }`;

  it("shows images and PDFs inline in the app's frames only; text has no preview; a download URL cannot be made a preview", async () => {
    const owner = await createOwner(exec, "Viewer");
    const png = (await upload(base, fakePng(2000), "p.png", { token: owner.token })).data.uploadFile;
    const pdf = (await upload(base, fakePdf(3000), "report.pdf", { token: owner.token })).data.uploadFile;
    const txt = (await upload(base, Buffer.from("notes\n"), "n.txt", { token: owner.token })).data.uploadFile;
    expect(pdf.mimeType).toBe("application/pdf");

    for (const [f, type, sandbox] of [
      [png, "image/png", true],
      [pdf, "application/pdf", false],
    ] as const) {
      const urls = (await ok(exec, PREVIEW, { id: f.id }, owner.token)).node;
      expect(urls.previewUrl).toMatch(/^\/files\/[0-9a-f-]{36}\?expires=\d+&disposition=inline&signature=[\w-]{43}$/);
      const res = await fetch(base + urls.previewUrl);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(type);
      expect(res.headers.get("content-disposition")).toMatch(/^inline; filename=/);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'self'");
      expect(csp.includes("sandbox")).toBe(sandbox);

      // The download URL stays an attachment, and neither URL can be turned into the other.
      const down = await fetch(base + urls.downloadUrl);
      expect(down.headers.get("content-disposition")).toMatch(/^attachment;/);
      expect(down.headers.get("x-frame-options")).toBeNull();
      const forged = new URL(base + urls.downloadUrl);
      forged.searchParams.set("disposition", "inline");
      expect((await fetch(forged)).status).toBe(403);
      const stripped = new URL(base + urls.previewUrl);
      stripped.searchParams.delete("disposition");
      expect((await fetch(stripped)).status).toBe(403);
    }
    expect((await ok(exec, PREVIEW, { id: txt.id }, owner.token)).node.previewUrl).toBeNull();

    const member = await createMember(exec, owner, "Peeker");
    const r = await exec(
      `query($id: ID!) { node(id: $id) { ... on File { previewUrl } } }`,
      { id: png.id },
      member.token,
    );
    expect(codeOf(r)).toBe("NOT_FOUND");
    expect(codeOf(await exec(PREVIEW, { id: png.id }, null))).toBe("NOT_FOUND");
  });
});
