// The S3 backend against a real S3-compatible server process: streamed (multipart) uploads,
// downloads, signed URLs (tampered, expired, another's), refusals that leave the bucket as it was,
// deletes and the clean-up.
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { App } from "../../server/app.ts";
import { codeOf, createOwner, createTestApp, dbId, dbKind, type Execute, executor, ok } from "../kit.ts";
import { fakeExe, fakePng, sha256, upload } from "../support/files.ts";
import { type S3Server, startS3 } from "../support/s3.ts";

let s3: S3Server;
let app: App;
let exec: Execute;
let base: string;

beforeAll(async () => {
  s3 = await startS3();
  app = await createTestApp({ config: { RUN_WORKER: "false", ...s3.env } });
  exec = executor(app);
  base = `http://127.0.0.1:${(await app.start()).port}`;
});
afterAll(async () => {
  await app?.stop();
  await s3?.stop();
});

async function objects(): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of app.services.files.storage.list()) keys.push(o.key);
  return keys;
}

describe(`files on S3 (${dbKind})`, () => {
  it("streams a file larger than one part to the bucket and back, whole", async () => {
    expect(app.services.files.storage.kind).toBe("s3");
    const owner = await createOwner(exec, "S3");
    await ok(exec, `mutation { setStoragePolicy(plan: standard) }`, {}, owner.token);
    const bytes = fakePng(12 * 1024 * 1024 + 123);
    const r = await upload(base, bytes, "scan.png", { token: owner.token });
    expect(r.errors).toBeUndefined();
    const f = r.data.uploadFile;
    expect(f).toMatchObject({ size: bytes.length, mimeType: "image/png", checksum: sha256(bytes) });
    const row = await app.db.prisma.file.findUniqueOrThrow({ where: { id: dbId(f.id) } });
    expect(await objects()).toContain(row.storageKey);

    const url = (
      await ok(exec, `query($id: ID!) { node(id: $id) { ... on File { downloadUrl } } }`, { id: f.id }, owner.token)
    ).node.downloadUrl;
    const res = await fetch(base + url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(bytes));

    await ok(exec, `mutation($id: ID!) { deleteFile(id: $id) }`, { id: f.id }, owner.token);
    expect(await objects()).not.toContain(row.storageKey);
  });

  it("leaves the bucket as it was when an upload is refused by type, size or quota", async () => {
    const owner = await createOwner(exec, "S3 refusals".replace(" ", ""));
    const before = await objects();
    expect(codeOf((await upload(base, fakeExe(10_000), "a.pdf", { token: owner.token })) as never)).toBe(
      "BAD_USER_INPUT",
    );
    await ok(exec, `mutation { setStoragePolicy(fileMaxBytes: 6000000) }`, {}, owner.token);
    expect(codeOf((await upload(base, fakePng(7_000_000), "b.png", { token: owner.token })) as never)).toBe(
      "PAYLOAD_TOO_LARGE",
    );
    await ok(exec, `mutation { setQuota(quotaType: storage_gb, quotaLimit: 5000) { id } }`, {}, owner.token);
    expect(codeOf((await upload(base, fakePng(6_000), "c.png", { token: owner.token })) as never)).toBe(
      "QUOTA_EXCEEDED",
    );
    expect(await objects()).toEqual(before);
  });

  it("serves a signed URL from the bucket, refuses it tampered or expired with 403, and makes none for another user", async () => {
    const owner = await createOwner(exec, "S3signer");
    const stranger = await createOwner(exec, "S3stranger");
    const bytes = fakePng(3000);
    const f = (await upload(base, bytes, "signed.png", { token: owner.token })).data.uploadFile;
    const q = `query($id: ID!, $e: Int) { node(id: $id) { ... on File { downloadUrl(expiresIn: $e) } } }`;
    const status = async (href: string) => {
      const res = await fetch(href);
      await res.arrayBuffer();
      return res.status;
    };
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const start = Date.now();
      const u = new URL(base + (await ok(exec, q, { id: f.id, e: 60 }, owner.token)).node.downloadUrl);
      const res = await fetch(u);
      expect(res.status).toBe(200);
      expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(bytes));
      const sig = u.searchParams.get("signature") ?? "";
      const flipped = new URL(u);
      flipped.searchParams.set("signature", (sig[0] === "A" ? "B" : "A") + sig.slice(1));
      expect(await status(flipped.href)).toBe(403);
      const longer = new URL(u);
      longer.searchParams.set("expires", String(Number(u.searchParams.get("expires")) + 3600));
      expect(await status(longer.href)).toBe(403);
      vi.setSystemTime(start + 60_000);
      expect(await status(u.href)).toBe(403);
    } finally {
      vi.useRealTimers();
    }
    const theirs = await exec(q, { id: f.id, e: 60 }, stranger.token);
    expect((theirs.data as { node?: { downloadUrl?: string } | null } | null)?.node?.downloadUrl).toBeUndefined();
  });

  it("removes a planted orphan object and a row whose object is gone", async () => {
    const owner = await createOwner(exec, "S3cleaner");
    const lost = (await upload(base, fakePng(2000), "lost.png", { token: owner.token })).data.uploadFile;
    const row = await app.db.prisma.file.findUniqueOrThrow({ where: { id: dbId(lost.id) } });
    await app.services.files.storage.delete(row.storageKey);
    const orphan = `u/${"a".repeat(32)}/f/00000000-0000-4000-8000-000000000001`;
    await app.services.files.storage.put(orphan, Readable.from([Buffer.from("orphan")]), "text/plain");
    const report = await app.services.files.cleanup(new Date(Date.now() + 2 * 3600_000));
    expect(report.orphansRemoved).toBeGreaterThanOrEqual(1);
    expect(report.missingRemoved).toBeGreaterThanOrEqual(1);
    expect(await objects()).not.toContain(orphan);
    expect(await app.db.prisma.file.count({ where: { id: row.id } })).toBe(0);
  });
});
