// The bytes of one upload on their way to storage: the type is sniffed from the first bytes
// (never from the name), then everything streams through a counter and a SHA-256 into the
// backend. A limit passed mid-stream fails the stream, and the backend keeps nothing.
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type * as FileType from "file-type";
import { AppError, badInput } from "../../errors.ts";
import { requireOnUse } from "../../require-on-use.ts";
import type { Storage } from "./storage.ts";

/** What file-type reads at most to recognise a format. */
const SNIFF_BYTES = 4100;

/** The type of content whose first bytes are `head`: a recognised format, text, or unknown bytes. */
export async function sniff(head: Uint8Array): Promise<string> {
  const { fileTypeFromBuffer } = requireOnUse("file-type") as typeof FileType;
  const found = await fileTypeFromBuffer(head);
  if (found) return found.mime;
  if (head.length > 0 && !head.includes(0)) {
    try {
      // `stream: true` tolerates a character cut in two at the end of the sample.
      new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: true });
      return "text/plain";
    } catch {
      // not UTF-8
    }
  }
  return "application/octet-stream";
}

export interface Limit {
  bytes: number;
  /** The error when a file passes `bytes`. */
  error: () => AppError;
}

export interface Received {
  size: number;
  sha256: string;
  mimeType: string;
}

export async function receive(
  chunks: AsyncIterator<Buffer>,
  o: { storage: Storage; key: string; limit: Limit; allowedTypes: readonly string[] },
): Promise<Received> {
  const head: Buffer[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < SNIFF_BYTES) {
    const r = await chunks.next();
    if (r.done) {
      ended = true;
      break;
    }
    head.push(r.value);
    headBytes += r.value.length;
    if (headBytes > o.limit.bytes) throw o.limit.error();
  }
  const first = Buffer.concat(head);
  if (first.length === 0) throw badInput("file", "The file is empty.");
  const mimeType = await sniff(first.subarray(0, SNIFF_BYTES));
  if (!o.allowedTypes.includes(mimeType))
    throw new AppError("BAD_USER_INPUT", `Files of type ${mimeType} are not accepted here.`, {
      field: "file",
      mimeType,
    });

  const hash = createHash("sha256");
  let size = 0;
  const limit = o.limit;
  async function* body(): AsyncGenerator<Buffer> {
    size += first.length;
    hash.update(first);
    yield first;
    if (ended) return;
    for (;;) {
      const r = await chunks.next();
      if (r.done) return;
      size += r.value.length;
      if (size > limit.bytes) throw limit.error();
      hash.update(r.value);
      yield r.value;
    }
  }
  // Readable.from pulls one chunk at a time, as the backend asks: the client's upload is paced by
  // the storage, and no more than a chunk or a part is held in memory.
  await o.storage.put(o.key, Readable.from(body(), { objectMode: false }), mimeType);
  return { size, sha256: hash.digest("hex"), mimeType };
}
