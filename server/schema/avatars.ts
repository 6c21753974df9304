// Avatars: uploaded through the files path (services/files/avatars.ts), shown as Profile.avatarUrl,
// a signed URL for whoever may read the profile's public part (the tenant's members).
import { builder } from "../builder.ts";
import { unauthenticated } from "../errors.ts";
import { isSignedIn } from "../viewer.ts";

builder.mutationFields((t) => ({
  uploadAvatar: t.prismaField({
    type: "User",
    authScopes: { $all: { apiScope: "write:profile", $all: { apiScope: "write:files" } } },
    description:
      "Uploads an image (PNG, JPEG, GIF or WebP by its content; AVATAR_MAX_BYTES at most) as my avatar, replacing the last one.",
    args: { file: t.arg({ type: "Upload", required: true }) },
    resolve: async (query, _r, args, ctx) => {
      if (!isSignedIn(ctx.viewer)) {
        args.file.discard();
        throw unauthenticated();
      }
      await ctx.services.avatars.upload(ctx.viewer, args.file);
      return ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: ctx.viewer.userId } });
    },
  }),
  removeAvatar: t.prismaField({
    type: "User",
    authScopes: { $all: { apiScope: "write:profile", $all: { apiScope: "write:files" } } },
    description: "Takes my uploaded avatar off my profile and deletes its file.",
    resolve: async (query, _r, _a, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      await ctx.services.avatars.remove(ctx.viewer);
      return ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: ctx.viewer.userId } });
    },
  }),
}));
