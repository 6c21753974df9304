// One interface over where file bytes live, chosen by STORAGE_BACKEND: a folder under DATA_DIR
// (embedded mode) or an S3-compatible bucket (scaled mode). Keys are made by keys.ts from hashed
// ids only, so nothing a user typed ever becomes part of a path or an object name.
import type { Readable } from "node:stream";

export interface StoredObject {
  key: string;
  size: number;
  modifiedAt: Date;
}

export interface Storage {
  readonly kind: "local" | "s3";
  /**
   * Streams `body` to `key`. The object appears whole or not at all: when the body fails (a limit
   * passed, the client went away) nothing is left under the key, and the promise rejects.
   */
  put(key: string, body: Readable, contentType: string): Promise<void>;
  /** The object's bytes, or null when there is no such object. */
  get(key: string): Promise<{ body: Readable; size: number } | null>;
  exists(key: string): Promise<boolean>;
  /** Removes the object; removing one that is not there is not an error. */
  delete(key: string): Promise<void>;
  /** Every stored object (the clean-up compares them with the rows). */
  list(): AsyncIterable<StoredObject>;
  close(): void;
}

/** Keys are ours (keys.ts): a different shape means a bug, and must never reach a file system path. */
const KEY = /^[a-z0-9]+(\/[a-z0-9-]+)+$/;

export function isStorageKey(key: string): boolean {
  return KEY.test(key) && key.length <= 300;
}

export function assertKey(key: string): string {
  if (!isStorageKey(key)) throw new Error(`invalid storage key: ${key}`);
  return key;
}
