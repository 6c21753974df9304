// Files on local disk under DATA_DIR/files. A put writes a temporary file beside the tree and
// renames it into place, so a reader never sees half an object and a failed upload leaves nothing.
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { assertKey, type Storage, type StoredObject } from "./storage.ts";

const TMP = ".incoming";

export function createLocalStorage(dataDir: string): Storage {
  const root = path.resolve(dataDir, "files");
  const file = (key: string) => path.join(root, ...assertKey(key).split("/"));
  const missing = (e: unknown) => (e as NodeJS.ErrnoException).code === "ENOENT";

  async function* walk(dir: string, prefix: string): AsyncGenerator<StoredObject> {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (missing(e)) return;
      throw e;
    }
    for (const entry of entries) {
      if (entry.name === TMP) continue;
      const full = path.join(dir, entry.name);
      const key = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) yield* walk(full, key);
      else if (entry.isFile()) {
        const s = await stat(full).catch(() => null);
        if (s) yield { key, size: s.size, modifiedAt: s.mtime };
      }
    }
  }

  return {
    kind: "local",
    async put(key, body) {
      const target = file(key);
      const tmpDir = path.join(root, TMP);
      await mkdir(tmpDir, { recursive: true });
      const tmp = path.join(tmpDir, randomUUID());
      try {
        await pipeline(body, createWriteStream(tmp, { flags: "wx" }));
        await mkdir(path.dirname(target), { recursive: true });
        await rename(tmp, target);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
    },
    async get(key) {
      const p = file(key);
      try {
        const s = await stat(p);
        return { body: createReadStream(p), size: s.size };
      } catch (e) {
        if (missing(e)) return null;
        throw e;
      }
    },
    async exists(key) {
      return stat(file(key)).then(
        () => true,
        (e) => {
          if (missing(e)) return false;
          throw e;
        },
      );
    },
    async delete(key) {
      await rm(file(key), { force: true });
    },
    list: () => walk(root, ""),
    close() {},
  };
}
