// Files over real HTTP: multipart uploads streamed to the local backend, signed downloads, limits
// and quotas that refuse before anything is kept, and the owner as the only reader through every door.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { App } from "../../server/app.ts";
import {
  codeOf,
  createApiKey,
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
import { fakeExe, fakePng, multipartBody, sha256, upload } from "../support/files.ts";
import { afterMicrotasks, atGate } from "../support/transaction-gate.ts";

let app: App;
let exec: Execute;
let base: string;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "userplane-files-"));
  // The free tier is 20 kB here, so a quota refusal needs no large file.
  app = await createTestApp({ config: { RUN_WORKER: "false", DATA_DIR: dataDir, STORAGE_TIER_GB: "free=0.00002" } });
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

async function objects(): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of app.services.files.storage.list()) keys.push(o.key);
  return keys;
}

const asPlan = (admin: TestUser, plan: string) =>
  ok(exec, `mutation($p: TenantPlan) { setStoragePolicy(plan: $p) }`, { p: plan }, admin.token);

async function uploaded(user: TestUser, bytes: Buffer, name: string, extra = {}) {
  const r = await upload(base, bytes, name, { token: user.token, ...extra });
  if (r.errors?.length) throw new Error(JSON.stringify(r.errors));
  return r.data.uploadFile as { id: string; name: string; size: number; mimeType: string; checksum: string };
}

describe(`files (${dbKind}, local storage)`, () => {
  it("uploads, lists and downloads a file whole, with its checksum and safe headers", async () => {
    const owner = await createOwner(exec, "Uploader");
    await asPlan(owner, "standard");
    const bytes = fakePng(300_000);
    const ws = (await ok(exec, `mutation { createWorkspace(name: "Charts") { id } }`, {}, owner.token)).createWorkspace;
    const f = await uploaded(owner, bytes, "../../etc/pass\u0007wd\u202e résumé.png", {
      folder: "scans",
      workspaceId: ws.id,
    });
    expect(f).toMatchObject({
      size: bytes.length,
      mimeType: "image/png",
      checksum: sha256(bytes),
      name: "passwd résumé.png",
    });

    const listed = await ok(
      exec,
      `query($w: ID) { files(workspaceId: $w, mimeTypePrefix: "image/", folder: "scans") { edges { node { id workspace { id } owner { id } } } } }`,
      { w: ws.id },
      owner.token,
    );
    expect(listed.files.edges.map((e: any) => e.node.id)).toEqual([f.id]);
    expect(listed.files.edges[0].node).toMatchObject({ workspace: { id: ws.id }, owner: { id: owner.id } });
    expect(
      (await ok(exec, `{ files(mimeTypePrefix: "application/pdf") { edges { node { id } } } }`, {}, owner.token)).files
        .edges,
    ).toEqual([]);

    const url = (
      await ok(exec, `query($id: ID!) { node(id: $id) { ... on File { downloadUrl } } }`, { id: f.id }, owner.token)
    ).node.downloadUrl as string;
    expect(url).toMatch(/^\/files\/[0-9a-f-]{36}\?expires=\d+&signature=[\w-]{43}$/);
    const res = await fetch(base + url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="passwd r?sum?.png"; filename*=UTF-8''passwd%20r%C3%A9sum%C3%A9.png`,
    );
    const got = Buffer.from(await res.arrayBuffer());
    expect(sha256(got)).toBe(sha256(bytes));

    // The key is made of hashed ids: nothing the user typed is in it.
    const keys = await objects();
    const key = keys.find((k) => k.endsWith(dbId(f.id)));
    expect(key).toMatch(/^u\/[0-9a-f]{32}\/w-[0-9a-f]{32}\/[0-9a-f-]{36}$/);

    const stats = await ok(
      exec,
      `{ storageStats { files bytes limitBytes byType { key files bytes } byWorkspace { key files bytes } } }`,
      {},
      owner.token,
    );
    expect(stats.storageStats).toMatchObject({ files: 1, bytes: bytes.length, limitBytes: 10e9 });
    expect(stats.storageStats.byType).toEqual([{ key: "image/png", files: 1, bytes: bytes.length }]);

    const renamed = await ok(
      exec,
      `mutation($id: ID!) { renameFile(id: $id, name: "  scan\\n one.png ") { name } }`,
      { id: f.id },
      owner.token,
    );
    expect(renamed.renameFile.name).toBe("scan one.png");
    await ok(exec, `mutation($id: ID!) { deleteFile(id: $id) }`, { id: f.id }, owner.token);
    expect(await objects()).not.toContain(key);
    expect((await fetch(base + url)).status).toBe(404);
  });

  it("takes the type from the content, not the name, and refuses types the tenant does not accept", async () => {
    const owner = await createOwner(exec, "Sniffer");
    const before = await objects();
    const r = await upload(base, fakeExe(5000), "invoice.pdf", { token: owner.token });
    expect(codeOf(r as never)).toBe("BAD_USER_INPUT");
    expect(r.errors?.[0].extensions.mimeType).toBe("application/x-msdownload");
    const text = await uploaded(owner, Buffer.from("just some notes\n"), "notes.png");
    expect(text.mimeType).toBe("text/plain");
    await ok(exec, `mutation { setStoragePolicy(fileMimeTypes: ["image/png"]) }`, {}, owner.token);
    const refused = await upload(base, Buffer.from("more notes\n"), "notes.png", { token: owner.token });
    expect(codeOf(refused as never)).toBe("BAD_USER_INPUT");
    expect((await objects()).length).toBe(before.length + 1);
  });

  it("refuses a file over the tenant's size limit before storing, by its declared size and while streaming", async () => {
    const owner = await createOwner(exec, "Sizer");
    await ok(exec, `mutation { setStoragePolicy(fileMaxBytes: 4000) }`, {}, owner.token);
    const before = await objects();
    const declared = await upload(base, fakePng(8000), "big.png", { token: owner.token });
    expect(codeOf(declared as never)).toBe("PAYLOAD_TOO_LARGE");
    // No Content-Length: only the count while streaming can stop it.
    const form = new Response(multipartBody(fakePng(8000), "big.png"));
    const res = await app.fetch("http://test/graphql", {
      method: "POST",
      headers: { authorization: `Bearer ${owner.token}`, "content-type": form.headers.get("content-type") ?? "" },
      body: form.body,
      duplex: "half",
    } as RequestInit);
    expect(codeOf((await res.json()) as never)).toBe("PAYLOAD_TOO_LARGE");
    expect(await objects()).toEqual(before);
    expect((await ok(exec, `{ files { edges { node { id } } } }`, {}, owner.token)).files.edges).toEqual([]);
    await uploaded(owner, fakePng(3000), "small.png");
  });

  it("meters storage as a level: the user's tier and the tenant's quota refuse before anything is kept", async () => {
    const owner = await createOwner(exec, "Meter");
    const member = await createMember(exec, owner, "MeterMember");
    // Free tier: 20,000 bytes per user.
    await uploaded(owner, fakePng(15_000), "a.png");
    const before = await objects();
    const over = await upload(base, fakePng(6_000), "b.png", { token: owner.token });
    expect(codeOf(over as never)).toBe("QUOTA_EXCEEDED");
    expect(await objects()).toEqual(before);

    await ok(exec, `mutation { setQuota(quotaType: storage_gb, quotaLimit: 25000) { id } }`, {}, owner.token);
    // A key, not a session: the clock moves past the session's lifetime below.
    const key = await createApiKey(exec, owner, ["READ_USAGE"]);
    const quota = async () =>
      (await ok(exec, `{ quotas { edges { node { quotaType currentUsage } } } }`, {}, key)).quotas.edges.find(
        (e: any) => e.node.quotaType === "storage_gb",
      ).node.currentUsage;
    expect(await quota()).toBe(15_000);
    const m = await uploaded(member, fakePng(9_000), "m.png");
    expect(await quota()).toBe(24_000);
    const tenantOver = await upload(base, fakePng(2_000), "c.png", { token: member.token });
    expect(codeOf(tenantOver as never)).toBe("QUOTA_EXCEEDED");
    await ok(exec, `mutation($id: ID!) { deleteFile(id: $id) }`, { id: m.id }, member.token);
    expect(await quota()).toBe(15_000);

    // A level does not start again from zero in a new period.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(Date.now() + 40 * 86_400_000));
    expect(await quota()).toBe(15_000);
    vi.useRealTimers();

    const tenant = await ok(exec, `{ tenantStorageStats { files bytes users quotaBytes } }`, {}, owner.token);
    expect(tenant.tenantStorageStats).toEqual({ files: 1, bytes: 15_000, users: 1, quotaBytes: 25_000 });
    expect(codeOf(await exec(`{ tenantStorageStats { files } }`, {}, member.token))).toBe("FORBIDDEN");
  });

  it("refuses a tampered or expired download URL with 403", async () => {
    const owner = await createOwner(exec, "Signer");
    const f = await uploaded(owner, fakePng(1000), "s.png");
    const other = await uploaded(owner, fakePng(1000), "t.png");
    const urlOf = async (id: string, expiresIn?: number) =>
      (
        await ok(
          exec,
          `query($id: ID!, $e: Int) { node(id: $id) { ... on File { downloadUrl(expiresIn: $e) } } }`,
          { id, e: expiresIn ?? null },
          owner.token,
        )
      ).node.downloadUrl as string;
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    const url = await urlOf(f.id, 60);
    const otherUrl = await urlOf(other.id);
    const u = new URL(base + url);
    const status = async (href: string) => (await fetch(href)).status;
    expect(await status(u.href)).toBe(200);

    const sig = u.searchParams.get("signature") ?? "";
    const flipped = new URL(u);
    flipped.searchParams.set("signature", (sig[0] === "A" ? "B" : "A") + sig.slice(1));
    expect(await status(flipped.href)).toBe(403);
    const later = new URL(u);
    later.searchParams.set("expires", String(Number(u.searchParams.get("expires")) + 3600));
    expect(await status(later.href)).toBe(403);
    const swapped = new URL(base + otherUrl);
    swapped.searchParams.set("signature", sig);
    swapped.searchParams.set("expires", u.searchParams.get("expires") ?? "");
    expect(await status(swapped.href)).toBe(403);

    vi.setSystemTime(start + 59_000);
    expect(await status(u.href)).toBe(200);
    vi.setSystemTime(start + 60_000);
    expect(await status(u.href)).toBe(403);
    vi.useRealTimers();

    expect(
      codeOf(
        await exec(
          `query($id: ID!) { node(id: $id) { ... on File { downloadUrl(expiresIn: 999999) } } }`,
          { id: f.id },
          owner.token,
        ),
      ),
    ).toBe("BAD_USER_INPUT");
  });

  it("shows a file to its owner only, through every door", async () => {
    const admin = await createOwner(exec, "Admin");
    const owner = await createMember(exec, admin, "Owner");
    const member = await createMember(exec, admin, "Member");
    const stranger = await createOwner(exec, "Stranger");
    const f = await uploaded(owner, fakePng(1000), "private.png");
    const ownerKey = await createApiKey(exec, owner, ["READ_FILES"]);
    const wrongScope = await createApiKey(exec, owner, ["READ_PROFILE"]);
    const adminKey = await createApiKey(exec, admin, ["ADMIN", "READ_FILES"]);

    const d = await ok(
      exec,
      `query($id: ID!) { node(id: $id) { ... on File { name downloadUrl } } }`,
      { id: f.id },
      ownerKey,
    );
    expect(d.node.name).toBe("private.png");

    for (const [who, token] of [
      ["admin", admin.token],
      ["member", member.token],
      ["stranger", stranger.token],
      ["anonymous", null],
      ["owner key without read:files", wrongScope],
      ["admin key", adminKey],
    ] as const) {
      const one = await exec(
        `query($id: ID!) { node(id: $id) { ... on File { name downloadUrl } } }`,
        { id: f.id },
        token,
      );
      expect(one.data?.node ?? null, who).toBeNull();
      expect(codeOf(one), who).toBe("NOT_FOUND");
      const many = await exec(`query($id: ID!) { nodes(ids: [$id]) { id } }`, { id: f.id }, token);
      expect(many.data?.nodes?.[0] ?? null, who).toBeNull();
      const list = await exec(`{ files { edges { node { id } } } }`, {}, token);
      expect(JSON.stringify(list.data ?? null), who).not.toContain(f.id);
      for (const m of [
        `mutation($id: ID!) { renameFile(id: $id, name: "mine") { id } }`,
        `mutation($id: ID!) { deleteFile(id: $id) }`,
      ]) {
        const r = await exec(m, { id: f.id }, token);
        expect(r.data ?? null, `${who}: ${m}`).toBeNull();
        expect(["NOT_FOUND", "UNAUTHENTICATED", "FORBIDDEN"], who).toContain(codeOf(r));
      }
    }
    // A file cannot be put into someone else's workspace.
    const ws = (await ok(exec, `mutation { createWorkspace(name: "Mine") { id } }`, {}, owner.token)).createWorkspace;
    const into = await upload(base, fakePng(100), "x.png", { token: member.token, workspaceId: ws.id });
    expect(codeOf(into as never)).toBe("NOT_FOUND");
    // Still there, unchanged.
    expect((await ok(exec, `{ files { edges { node { id name } } } }`, {}, owner.token)).files.edges).toEqual([
      { node: { id: f.id, name: "private.png" } },
    ]);
  });

  it("answers a stranger's node(id) sent in the turn of another request's transaction statement with NOT_FOUND", async () => {
    const owner = await createOwner(exec, "Busy");
    const stranger = await createOwner(exec, "Passer");
    const f = await uploaded(owner, fakePng(500), "busy.png");
    // The stranger's viewer is kept, so nothing but the File's findUnique is asked for on the way.
    await ok(exec, `{ me { id } }`, {}, stranger.token);
    const g = atGate();
    const transaction = app.db.prisma.$transaction(async (tx) => {
      await g.wait();
      return tx.file.count();
    });
    await g.ready;
    // The transaction's statement is asked for first; the request's findUnique follows in the same
    // turn (microtasks, not a timer), and Prisma sends both from one callback. That callback ran in
    // the transaction's context, so the guard took the stranger's read for the transaction's own
    // root statement: INTERNAL_SERVER_ERROR, once in a CI run.
    const asked = g.gate
      .then(afterMicrotasks)
      .then(() => exec(`query($id: ID!) { node(id: $id) { ... on File { name } } }`, { id: f.id }, stranger.token));
    g.open();
    const one = await asked;
    expect(one.data?.node ?? null).toBeNull();
    expect(codeOf(one)).toBe("NOT_FOUND");
    expect(await transaction).toBeGreaterThan(0);
  });

  it("answers a stranger's node(id) right after a member's refused deleteFile while the API meter flushes", async () => {
    const admin = await createOwner(exec, "Flusher");
    const owner = await createMember(exec, admin, "Keeper");
    const member = await createMember(exec, admin, "Refused");
    const stranger = await createOwner(exec, "Next");
    const f = await uploaded(owner, fakePng(500), "kept.png");
    const key = await createApiKey(exec, owner, ["READ_FILES"]);
    await ok(exec, `{ files { edges { node { id } } } }`, {}, key);
    // The CI failure, as "through every door" runs: deleteFile runs a transaction, and the meter's
    // flush (its timer, here called) starts one while it is open, which waits for it on PGlite's
    // one connection. The flush's transaction begins and asks for its first statement in the turn
    // the deleteFile's answer comes back in, and the next request's findUnique, asked for at once,
    // went out from the same callback of Prisma's, in the flush's transaction's context.
    const refused = exec(`mutation($id: ID!) { deleteFile(id: $id) }`, { id: f.id }, member.token);
    const flushed = app.services.apiMeter.flush();
    expect(codeOf(await refused)).toBe("NOT_FOUND");
    const one = await exec(`query($id: ID!) { node(id: $id) { ... on File { name } } }`, { id: f.id }, stranger.token);
    await flushed;
    expect(one.data?.node ?? null).toBeNull();
    expect(codeOf(one)).toBe("NOT_FOUND");
  });

  it("refuses uploads without a bearer token or the CSRF header, and anonymous ones", async () => {
    const anonymous = await upload(base, fakePng(100), "a.png");
    expect(anonymous.status).toBe(403);
    const withHeader = await upload(base, fakePng(100), "a.png", { headers: { "x-graphql-yoga-csrf": "1" } });
    expect(codeOf(withHeader as never)).toBe("UNAUTHENTICATED");
  });

  it("finds a planted orphan and a planted missing object, and repairs both", async () => {
    const owner = await createOwner(exec, "Cleaner");
    const kept = await uploaded(owner, fakePng(1000), "kept.png");
    const lost = await uploaded(owner, fakePng(1200), "lost.png");
    const lostRow = await app.db.prisma.file.findUniqueOrThrow({ where: { id: dbId(lost.id) } });
    await app.services.files.storage.delete(lostRow.storageKey);
    const orphanKey = `u/${"0".repeat(32)}/f/00000000-0000-4000-8000-000000000000`;
    await app.services.files.storage.put(orphanKey, Readable.from([Buffer.from("orphan")]), "text/plain");

    // Within the grace period nothing is touched: an upload may be between its object and its row.
    const early = await app.services.files.cleanup();
    expect(early).toMatchObject({ orphansRemoved: 0, missingRemoved: 0 });

    const report = await app.services.files.cleanup(new Date(Date.now() + 2 * 3600_000));
    expect(report.orphansRemoved).toBeGreaterThanOrEqual(1);
    expect(report.missingRemoved).toBeGreaterThanOrEqual(1);
    expect(await objects()).not.toContain(orphanKey);
    const left = await ok(exec, `{ files { edges { node { id } } } }`, {}, owner.token);
    expect(left.files.edges.map((e: any) => e.node.id)).toEqual([kept.id]);
    const log = await ok(exec, `{ auditLog(first: 20) { edges { node { action metadata } } } }`, {}, owner.token);
    expect(log.auditLog.edges.map((e: any) => e.node)).toContainEqual({
      action: "storage.missing_files_removed",
      metadata: { count: 1 },
    });
  });
});
