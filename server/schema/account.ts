// The account lifecycle over GraphQL: email verification, password reset and change, and the
// tenant's sign-in requirements. Rules for the fields come from access.ts.
import { z } from "zod";
import { builder } from "../builder.ts";
import { unauthenticated } from "../errors.ts";
import { passwordPolicy } from "../services/account/password-policy.ts";
import { isSignedIn } from "../viewer.ts";
import { accountStateOf, SESSION_ONLY, TENANT_ADMIN_SESSION } from "./access.ts";
import { TenantRef, UserRef } from "./user.ts";

const token = z.string().trim().min(10).max(200);
const email = z.string().trim().max(254);

builder.objectFields(UserRef, (t) => ({
  emailVerifiedAt: t.expose("emailVerifiedAt", {
    type: "DateTime",
    nullable: true,
    description: "When the user proved the address; null while unverified.",
    authScopes: accountStateOf,
  }),
}));

builder.objectFields(TenantRef, (t) => ({
  requireEmailVerification: t.exposeBoolean("requireEmailVerification", {
    description: "Members must verify their email before they can sign in.",
  }),
}));

builder.mutationFields((t) => ({
  verifyEmail: t.boolean({
    authScopes: { public: true },
    description: "Spends a verification link's token. INVALID_TOKEN when unknown, expired or used.",
    args: { token: t.arg.string({ required: true, validate: token }) },
    resolve: async (_r, args, ctx) => {
      await ctx.services.account.verifyEmail(args.token, ctx.request);
      return true;
    },
  }),
  resendVerification: t.boolean({
    authScopes: SESSION_ONLY,
    description: "Mails a new verification link to the signed-in user (earlier links stop working).",
    resolve: (_r, _a, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      return ctx.services.account.resendVerification(ctx.viewer, ctx.request);
    },
  }),
  requestPasswordReset: t.boolean({
    authScopes: { public: true },
    description: "Mails a reset link if the address has an account. Always answers true, in the same time.",
    args: { email: t.arg.string({ required: true, validate: email }) },
    resolve: (_r, args, ctx) => ctx.services.account.requestPasswordReset(args.email, ctx.request),
  }),
  resetPassword: t.boolean({
    authScopes: { public: true },
    description: "Sets a new password from a reset link; every session of the user ends.",
    args: {
      token: t.arg.string({ required: true, validate: token }),
      newPassword: t.arg.string({ required: true, validate: passwordPolicy }),
    },
    resolve: (_r, args, ctx) => ctx.services.account.resetPassword(args.token, args.newPassword, ctx.request),
  }),
  changePassword: t.boolean({
    authScopes: SESSION_ONLY,
    description: "Changes the signed-in user's password; their other sessions end.",
    args: {
      currentPassword: t.arg.string({ required: true, validate: z.string().max(200) }),
      newPassword: t.arg.string({ required: true, validate: passwordPolicy }),
    },
    resolve: (_r, args, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      return ctx.services.account.changePassword(ctx.viewer, args.currentPassword, args.newPassword, ctx.request);
    },
  }),
  updateTenantSecurity: t.prismaField({
    type: "Tenant",
    authScopes: TENANT_ADMIN_SESSION,
    description: "Sign-in requirements of the admin's tenant.",
    args: { requireEmailVerification: t.arg.boolean({ required: false }) },
    resolve: async (query, _r, args, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      const tenant = await ctx.services.account.updateTenantSecurity(ctx.viewer, args, ctx.request);
      return ctx.prisma.tenant.findUniqueOrThrow({ ...query, where: { id: tenant.id } });
    },
  }),
}));
