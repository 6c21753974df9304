// Leaving and being let go: deleteMyAccount and cancelAccountDeletion (account/deletion.ts), and
// admins deactivating members (account/deactivation.ts). Rules come from access.ts.
import { z } from "zod";
import { builder } from "../builder.ts";
import { ACCOUNT_DELETION, MEMBER_STATUS } from "./access.ts";
import { AuthPayload } from "./auth.ts";
import { UserRef } from "./user.ts";

const password = z.string().min(1).max(200);
/** A 6-digit TOTP code or a recovery code like "a1b2c-3d4e5". */
const code = z.string().trim().min(6).max(20);

const AccountDeletion = builder
  .objectRef<{ purgeAfter: Date; tenantDeletedToo: boolean }>("AccountDeletion")
  .implement({
    description: "A deleted account: every session and key has ended; it is purged after the grace period.",
    authScopes: ACCOUNT_DELETION,
    fields: (t) => ({
      purgeAfter: t.expose("purgeAfter", {
        type: "DateTime",
        description:
          "When the account and everything it holds are removed for good; until then cancelAccountDeletion takes it back.",
      }),
      tenantDeletedToo: t.exposeBoolean("tenantDeletedToo", {
        description: "The user was their workspace's only member: the purge removes the workspace as well.",
      }),
    }),
  });

builder.mutationFields((t) => ({
  deleteMyAccount: t.withAuth(ACCOUNT_DELETION).field({
    type: AccountDeletion,
    description:
      "Deletes the signed-in user's account: needs the password and, with two-factor sign-in on, a fresh code. Every session and API key ends at once; the rows are purged after ACCOUNT_DELETION_GRACE_DAYS. LAST_ADMIN when the user is the last admin of a workspace with other members.",
    args: {
      password: t.arg.string({ required: true, validate: password }),
      code: t.arg.string({ required: false, validate: code }),
    },
    resolve: (_r, args, ctx) =>
      ctx.services.account.deleteMyAccount(ctx.viewer, { password: args.password, code: args.code }, ctx.request),
  }),
  cancelAccountDeletion: t.field({
    type: AuthPayload,
    authScopes: { public: true },
    description:
      "Takes back a deletion within its grace period and signs in. Answers a wrong or unknown email, a wrong password, or an account already purged alike (UNAUTHENTICATED), throttled like sign-in.",
    args: {
      email: t.arg.string({ required: true, validate: z.string().trim().max(254) }),
      password: t.arg.string({ required: true, validate: password }),
      code: t.arg.string({ required: false, validate: code }),
    },
    resolve: async (_r, args, ctx) => {
      const { token, user } = await ctx.services.account.cancelAccountDeletion(args, ctx.request);
      ctx.viewer = await ctx.services.sessions.resolveViewer(token);
      return { token, userId: user.id };
    },
  }),
  deactivateMember: t.withAuth(MEMBER_STATUS).prismaField({
    type: "User",
    description:
      "Deactivates a member of the admin's workspace: they cannot sign in, their sessions end and their API keys stop working; their data stays. Not oneself, nor the last admin (LAST_ADMIN).",
    args: { userId: t.arg.globalID({ required: true, for: UserRef }) },
    resolve: async (query, _r, args, ctx) => {
      await ctx.services.account.deactivateMember(ctx.viewer, args.userId.id, ctx.request);
      return ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: args.userId.id } });
    },
  }),
  reactivateMember: t.withAuth(MEMBER_STATUS).prismaField({
    type: "User",
    description: "Lets a deactivated member sign in again (their API keys work again; ended sessions stay ended).",
    args: { userId: t.arg.globalID({ required: true, for: UserRef }) },
    resolve: async (query, _r, args, ctx) => {
      await ctx.services.account.reactivateMember(ctx.viewer, args.userId.id, ctx.request);
      return ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: args.userId.id } });
    },
  }),
}));
