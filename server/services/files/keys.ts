// Storage keys from hashed ids: u/<hash of tenant and user>/<w-hash of workspace | f>/<file id>.
// A listing of the bucket shows who owns what only to someone who already knows the ids.
import { createHash } from "node:crypto";

const h = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 32);

export function storageKey(o: { tenantId: string; userId: string; workspaceId: string | null; fileId: string }) {
  return `u/${h(`${o.tenantId}:${o.userId}`)}/${o.workspaceId ? `w-${h(o.workspaceId)}` : "f"}/${o.fileId}`;
}

/** A data export's document: x/<hash of tenant and user>/<export id>, beside the user's files. */
export function exportStorageKey(o: { tenantId: string; userId: string; exportId: string }) {
  return `x/${h(`${o.tenantId}:${o.userId}`)}/${o.exportId}`;
}
