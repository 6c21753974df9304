// Uploads as a browser or an agent backend sends them: a GraphQL multipart request over real HTTP.
import { createHash, randomBytes } from "node:crypto";

export const UPLOAD = /* GraphQL */ `
  mutation Upload($file: Upload!, $folder: String, $workspaceId: ID) {
    uploadFile(file: $file, folder: $folder, workspaceId: $workspaceId) {
      id name size mimeType checksum folder
    }
  }
`;

export interface UploadOptions {
  token?: string | null;
  folder?: string;
  workspaceId?: string;
  headers?: Record<string, string>;
  /** Another operation taking `$file: Upload!` (uploadAvatar). */
  query?: string;
}

export function multipartBody(bytes: Uint8Array, filename: string, o: UploadOptions = {}): FormData {
  const form = new FormData();
  form.set(
    "operations",
    JSON.stringify({
      query: o.query ?? UPLOAD,
      variables: o.query
        ? { file: null }
        : { file: null, folder: o.folder ?? null, workspaceId: o.workspaceId ?? null },
    }),
  );
  form.set("map", JSON.stringify({ 0: ["variables.file"] }));
  form.set("0", new Blob([bytes as Uint8Array<ArrayBuffer>]), filename);
  return form;
}

/** Uploads `bytes` to the server at `base` (http://host:port); returns the GraphQL response. */
export async function upload(base: string, bytes: Uint8Array, filename: string, o: UploadOptions = {}) {
  const res = await fetch(`${base}/graphql`, {
    method: "POST",
    body: multipartBody(bytes, filename, o),
    headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...o.headers },
  });
  const text = await res.text();
  try {
    return { status: res.status, ...(JSON.parse(text) as { data?: any; errors?: any[] }) };
  } catch {
    return { status: res.status, errors: [{ message: text }] as any[], data: undefined };
  }
}

/** A PNG of exactly `size` bytes (57 at least): signature, IHDR, one IDAT chunk of noise, IEND. */
export function fakePng(size: number): Buffer {
  const head = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489", "hex");
  const n = Math.max(0, size - head.length - 24);
  const idat = Buffer.alloc(8);
  idat.writeUInt32BE(n, 0);
  idat.write("IDAT", 4, "latin1");
  const end = Buffer.from("0000000049454e44ae426082", "hex");
  return Buffer.concat([head, idat, randomBytes(n), Buffer.alloc(4), end]);
}

/** A one-page PDF padded to about `size` bytes with a comment (what file-type and a viewer need). */
export function fakePdf(size: number): Buffer {
  const body = [
    "%PDF-1.4",
    "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj",
    "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj",
    "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj",
    "trailer << /Root 1 0 R >>",
    "%%EOF",
    "",
  ].join("\n");
  return Buffer.concat([Buffer.from(body), Buffer.from(`%${"x".repeat(Math.max(0, size - body.length - 2))}\n`)]);
}

/** A real 2×2 PNG that a browser draws (fakePng's noise is not decodable). */
export const tinyPng = (): Buffer =>
  Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==",
    "base64",
  );

/** A Windows executable's first bytes. */
export function fakeExe(size: number): Buffer {
  const b = Buffer.alloc(size);
  b.write("MZ", 0, "latin1");
  b.writeUInt32LE(0x80, 0x3c);
  b.write("PE\0\0", 0x80, "latin1");
  return b;
}

export const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
