// Avatars are files: uploaded through the same streamed path (sniffed type, checksum, the user's
// storage tier and the tenant's quota), but images only and AVATAR_MAX_BYTES at most. The profile
// points at the file; a new avatar replaces the old one, whose file is deleted with it.
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { IncomingUpload } from "../../http/multipart.ts";
import { changeOf, publishChange } from "../../live/changes.ts";
import type { SignedInViewer } from "../../viewer.ts";
import { type FileService, removeFileRows } from "./index.ts";

export const AVATAR_FOLDER = "avatars";

export function createAvatarService(deps: { prisma: PrismaClient; files: FileService }) {
  const { prisma, files } = deps;

  /** The current avatar's file row, locked for the rest of the transaction. */
  async function takeCurrent(tx: Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0], userId: string) {
    const profile = await tx.profile.findUnique({ where: { userId }, select: { avatarFileId: true } });
    if (!profile?.avatarFileId) return null;
    return tx.file.findUnique({
      where: { id: profile.avatarFileId },
      select: { id: true, tenantId: true, size: true, storageKey: true },
    });
  }

  return {
    async upload(viewer: SignedInViewer, upload: IncomingUpload): Promise<void> {
      let replaced: Awaited<ReturnType<typeof takeCurrent>> = null;
      await files.upload(
        viewer,
        upload,
        { folder: AVATAR_FOLDER },
        {
          avatar: true,
          alsoInTx: async (tx, file) => {
            replaced = await takeCurrent(tx, viewer.userId);
            await tx.profile.update({ where: { userId: viewer.userId }, data: { avatarFileId: file.id } });
            if (replaced) await removeFileRows(tx, [replaced]);
          },
        },
      );
      if (replaced) await files.removeObjects([replaced]);
      publishChange(prisma, changeOf("User", "update", { id: viewer.userId, userId: viewer.userId }));
    },

    /** Takes the avatar off the profile and deletes its file; true when there was one. */
    async remove(viewer: SignedInViewer): Promise<boolean> {
      const gone = await prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT id FROM users WHERE id = ${viewer.userId}::uuid FOR UPDATE`;
        const current = await takeCurrent(tx, viewer.userId);
        if (!current) return null;
        await tx.profile.update({ where: { userId: viewer.userId }, data: { avatarFileId: null } });
        await removeFileRows(tx, [current]);
        return current;
      });
      if (!gone) return false;
      await files.removeObjects([gone]);
      publishChange(prisma, changeOf("User", "update", { id: viewer.userId, userId: viewer.userId }));
      return true;
    },
  };
}

export type AvatarService = ReturnType<typeof createAvatarService>;
