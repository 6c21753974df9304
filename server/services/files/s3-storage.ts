// Files in an S3-compatible bucket (AWS S3, MinIO, ...). Uploads go through lib-storage's
// multipart Upload: parts of 5 MB, two in flight, so memory stays bounded whatever the file's size,
// and a failed upload is aborted (its parts removed) rather than left half-written.
import type { Readable } from "node:stream";
import type * as S3 from "@aws-sdk/client-s3";
import type * as LibStorage from "@aws-sdk/lib-storage";
import { requireOnUse } from "../../require-on-use.ts";
import { assertKey, type Storage } from "./storage.ts";

export interface S3Options {
  url: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
}

const PART_SIZE = 5 * 1024 * 1024;

export function createS3Storage(o: S3Options): Storage {
  // Only a configured S3 backend loads the SDK (about 20 MB and a tenth of a second of module loading).
  const {
    DeleteObjectCommand,
    GetObjectCommand,
    HeadObjectCommand,
    paginateListObjectsV2,
    S3Client,
    S3ServiceException,
  } = requireOnUse("@aws-sdk/client-s3") as typeof S3;
  const { Upload } = requireOnUse("@aws-sdk/lib-storage") as typeof LibStorage;
  const notFound = (e: unknown) =>
    e instanceof S3ServiceException &&
    (e.name === "NoSuchKey" || e.name === "NotFound" || e.$metadata.httpStatusCode === 404);
  const client = new S3Client({
    endpoint: o.url,
    region: o.region,
    forcePathStyle: o.forcePathStyle,
    credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
    // The SDK's default CRC trailers (aws-chunked bodies) are AWS's own; many S3-compatible stores
    // refuse them. Integrity is ours anyway: the SHA-256 computed while streaming.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const Bucket = o.bucket;
  return {
    kind: "s3",
    async put(key, body, contentType) {
      const upload = new Upload({
        client,
        params: { Bucket, Key: assertKey(key), Body: body, ContentType: contentType },
        partSize: PART_SIZE,
        queueSize: 2,
        leavePartsOnError: false,
      });
      // A body that fails (a limit passed) must stop the upload, whichever side notices first.
      const failed = new Promise<never>((_, reject) => body.once("error", reject));
      try {
        await Promise.race([upload.done(), failed]);
      } catch (e) {
        await upload.abort().catch(() => {});
        // A small body may already have been sent whole by a single PUT before the error surfaced.
        await client.send(new DeleteObjectCommand({ Bucket, Key: key })).catch(() => {});
        throw e;
      }
    },
    async get(key) {
      try {
        const r = await client.send(new GetObjectCommand({ Bucket, Key: assertKey(key) }));
        return { body: r.Body as Readable, size: Number(r.ContentLength ?? 0) };
      } catch (e) {
        if (notFound(e)) return null;
        throw e;
      }
    },
    async exists(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket, Key: assertKey(key) }));
        return true;
      } catch (e) {
        if (notFound(e)) return false;
        throw e;
      }
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: assertKey(key) }));
    },
    async *list() {
      for await (const page of paginateListObjectsV2({ client }, { Bucket }))
        for (const obj of page.Contents ?? [])
          if (obj.Key) yield { key: obj.Key, size: Number(obj.Size ?? 0), modifiedAt: obj.LastModified ?? new Date(0) };
    },
    close() {
      client.destroy();
    },
  };
}
