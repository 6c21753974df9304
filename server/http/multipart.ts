// GraphQL multipart requests (https://github.com/jaydenseric/graphql-multipart-request-spec),
// parsed as a stream. Yoga's own parser calls request.formData(), which holds every file whole in
// memory before the operation starts; this one hands the operation a live file stream as soon as
// the file's part begins, so the resolver writes it to storage while it is still arriving.
// One file per request: a second part could not be read before the first had been consumed.
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import busboy from "@fastify/busboy";
import { createGraphQLError, type Plugin } from "graphql-yoga";

/** What an `Upload` argument holds: the file's part, still streaming. */
export class IncomingUpload {
  // Private (#) so that walks over the variables (guards.ts) see the name, not the stream's insides.
  #consumed = false;
  #draining = false;
  readonly #iterator: AsyncIterator<Buffer>;
  constructor(
    readonly filename: string,
    /** The client's claim; never used to decide anything (the content is sniffed). */
    readonly clientMimeType: string,
    stream: Readable,
    /** At most this many bytes can follow, from the request's Content-Length; null when unknown. */
    readonly declaredMaxBytes: number | null,
  ) {
    this.#iterator = stream[Symbol.asyncIterator]();
  }
  /** The file's bytes; only once. */
  chunks(): AsyncIterator<Buffer> {
    if (this.#consumed) throw new Error("the upload has already been read");
    this.#consumed = true;
    return this.#iterator;
  }
  /**
   * Reads what is left and throws it away, so the request's body is read to its end and parsing
   * finishes. Also after a partial read: a file refused mid-stream (a limit passed) leaves the rest
   * of the body unread, and a server that answers without reading it resets the connection under
   * the client, who then never sees the answer.
   */
  discard(): void {
    this.#consumed = true;
    if (this.#draining) return;
    this.#draining = true;
    void (async () => {
      try {
        for (;;) if ((await this.#iterator.next()).done) return;
      } catch {
        // The client went away: nothing left to read.
      }
    })();
  }
}

const bad = (message: string) =>
  createGraphQLError(message, { extensions: { code: "BAD_USER_INPUT", http: { status: 400 } } });

function place(target: Record<string, unknown>, path: string, value: unknown): boolean {
  const keys = path.split(".");
  if (keys[0] !== "variables" || keys.length < 2) return false;
  let node: Record<string, unknown> = target;
  for (const [i, key] of keys.entries()) {
    if (key === "__proto__" || key === "constructor" || key === "prototype") return false;
    if (i === keys.length - 1) {
      if (!(key in node) || node[key] !== null) return false;
      node[key] = value;
      return true;
    }
    const next = node[key];
    if (!next || typeof next !== "object") return false;
    node = next as Record<string, unknown>;
  }
  return false;
}

export interface MultipartOptions {
  /** Largest `operations` or `map` field. */
  maxFieldBytes: number;
  /** Largest file part; the tenant's own limit is enforced while storing, and is lower. */
  maxFileBytes: number;
}

function parse(request: Request, opts: MultipartOptions) {
  const contentType = request.headers.get("content-type") ?? "";
  const length = Number(request.headers.get("content-length"));
  // The request's own body stream, not the Node request under it: a second reader of the socket
  // would leave the body stream buffering every byte nobody reads from it.
  const source: Readable | null = request.body
    ? Readable.from(request.body as unknown as AsyncIterable<Uint8Array>, { objectMode: false })
    : null;
  if (!source) throw bad("The multipart request has no body.");
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    let settled = false;
    let operations: Record<string, unknown> | null = null;
    let map: Record<string, unknown> | null = null;
    let fieldBytes = 0;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      reject(bad(message));
      source.unpipe();
      source.resume();
    };
    let parser: ReturnType<typeof busboy>;
    try {
      parser = busboy({
        headers: { "content-type": contentType },
        limits: { fieldSize: opts.maxFieldBytes, fields: 2, files: 1, parts: 3, fileSize: opts.maxFileBytes },
      });
    } catch {
      throw bad("The multipart request's Content-Type has no boundary.");
    }
    parser.on("field", (name, value, _nameTruncated, valueTruncated) => {
      if (valueTruncated) return fail(`The multipart field "${name}" is larger than ${opts.maxFieldBytes} bytes.`);
      fieldBytes += Buffer.byteLength(value);
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        return fail(`The multipart field "${name}" must be JSON.`);
      }
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
        return fail(`The multipart field "${name}" must be a JSON object (batched operations are not accepted).`);
      if (name === "operations") operations = parsed as Record<string, unknown>;
      else if (name === "map") map = parsed as Record<string, unknown>;
      else fail(`Unexpected multipart field "${name}".`);
    });
    parser.on("file", (name, stream, filename, _encoding, mimeType) => {
      if (settled || !operations || !map) {
        stream.resume();
        return fail("The multipart fields operations and map must come before the file.");
      }
      const paths = map[name];
      if (!Array.isArray(paths) || paths.length !== 1 || typeof paths[0] !== "string") {
        stream.resume();
        return fail(`The map must name exactly one variable for the file "${name}".`);
      }
      // Busboy truncates silently at its limit: turn that into a failure of the stream.
      stream.once("limit", () => stream.destroy(new Error(`file larger than ${opts.maxFileBytes} bytes`)));
      const declared = Number.isFinite(length) && length > 0 ? Math.max(0, length - fieldBytes) : null;
      const upload = new IncomingUpload(filename ?? "", mimeType ?? "", stream, declared);
      if (!place(operations, paths[0], upload)) {
        upload.discard();
        return fail(`The map's path "${paths[0]}" does not name a null variable of the operation.`);
      }
      settled = true;
      uploadsOf.set(request, upload);
      resolve(operations);
    });
    parser.on("finish", () => {
      if (settled) return;
      if (!operations) return fail('The multipart request has no "operations" field.');
      settled = true;
      resolve(operations);
    });
    parser.on("error", (e: Error) => fail(`The multipart request is malformed: ${e.message}`));
    source.on("error", (e) => fail(`The request body failed: ${e.message}`));
    source.pipe(parser);
  });
}

const uploadsOf = new WeakMap<Request, IncomingUpload>();

/** Replaces yoga's buffering multipart parser; the CSRF rule (a plugin's onRequest) has run before. */
export function streamingMultipartPlugin(opts: MultipartOptions): Plugin<{ req?: IncomingMessage }> {
  return {
    onRequestParse({ request, setRequestParser }) {
      if (request.method !== "POST" || !/^multipart\/form-data/i.test(request.headers.get("content-type") ?? ""))
        return;
      setRequestParser((r) => parse(r, opts));
    },
    // An operation refused before its resolver read the file, or one that stopped reading it midway,
    // still has to read the body to its end (after a complete read this finds the end at once).
    onResultProcess({ request }) {
      uploadsOf.get(request)?.discard();
    },
  };
}
