// The account lifecycle over GraphQL: email verification, password reset and change, and the
// tenant's sign-in requirements. Rules for the fields come from access.ts.
import { z } from "zod";
import { builder } from "../builder.ts";
import { unauthenticated } from "../errors.ts";
import { passwordPolicy } from "../services/account/password-policy.ts";
import { isSignedIn } from "../viewer.ts";
import { accountStateOf, ownerOnly, SESSION_ONLY, TENANT_ADMIN_SESSION } from "./access.ts";
import { AuthPayload } from "./auth.ts";

const token = z.string().trim().min(10).max(200);
const email = z.string().trim().max(254);
/** A 6-digit TOTP code or a recovery code like "a1b2c-3d4e5". */
const code = z.string().trim().min(6).max(20);

const TotpEnrollment = builder.objectRef<{ secret: string; uri: string }>("TotpEnrollment").implement({
  description: "Returned once by enrollTotp: add it to an authenticator app, then confirmTotp with a code.",
  authScopes: SESSION_ONLY,
  fields: (t) => ({
    secret: t.exposeString("secret", { description: "Base32 secret, for typing in by hand." }),
    uri: t.exposeString("uri", { description: "otpauth:// URI, for a QR code." }),
  }),
});

builder.prismaObjectFields("User", (t) => ({
  emailVerifiedAt: t.expose("emailVerifiedAt", {
    type: "DateTime",
    nullable: true,
    description: "When the user proved the address; null while unverified.",
    authScopes: accountStateOf,
  }),
  totpEnabled: t.boolean({
    nullable: true,
    description: "Whether sign-in asks this user for a TOTP code.",
    authScopes: accountStateOf,
    select: { totpEnabledAt: true },
    resolve: (u) => u.totpEnabledAt !== null,
  }),
  recoveryCodesLeft: t.int({
    nullable: true,
    description: "Unused recovery codes; null while two-factor sign-in is off.",
    authScopes: accountStateOf,
    select: { totpEnabledAt: true },
    resolve: (u, _a, ctx) => (u.totpEnabledAt ? ctx.services.account.recoveryCodesLeft(u.id) : null),
  }),
}));

const PrivacyPreferences = builder
  .objectRef<{
    consentGiven: boolean;
    consentGivenAt: Date | null;
    dataRetentionDays: number | null;
    marketingEmails: boolean;
  }>("PrivacyPreferences")
  .implement({
    description: "The user's privacy choices; read through Profile.privacy, which only the owner may.",
    authScopes: { signedIn: true },
    fields: (t) => ({
      consentGiven: t.exposeBoolean("consentGiven"),
      consentGivenAt: t.expose("consentGivenAt", { type: "DateTime", nullable: true }),
      dataRetentionDays: t.exposeInt("dataRetentionDays", {
        nullable: true,
        description: "How long the user asks for their data to be kept; null: the product's default.",
      }),
      marketingEmails: t.exposeBoolean("marketingEmails"),
    }),
  });

builder.prismaObjectFields("Profile", (t) => ({
  privacy: t.field({
    type: PrivacyPreferences,
    nullable: true,
    authScopes: ownerOnly,
    select: { consentGiven: true, consentGivenAt: true, dataRetentionDays: true, marketingEmails: true },
    resolve: (p) => p,
  }),
}));

builder.prismaObjectFields("Tenant", (t) => ({
  requireEmailVerification: t.exposeBoolean("requireEmailVerification", {
    description: "Members must verify their email before they can sign in.",
  }),
  requireMfa: t.exposeBoolean("requireMfa", {
    description:
      "Members must use two-factor sign-in: one without it may only enrol (other operations fail with MFA_ENROLLMENT_REQUIRED) and none may turn it off.",
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
    args: {
      requireEmailVerification: t.arg.boolean({ required: false }),
      requireMfa: t.arg.boolean({ required: false }),
    },
    resolve: async (query, _r, args, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      const tenant = await ctx.services.account.updateTenantSecurity(ctx.viewer, args, ctx.request);
      return ctx.prisma.tenant.findUniqueOrThrow({ ...query, where: { id: tenant.id } });
    },
  }),
  enrollTotp: t.field({
    type: TotpEnrollment,
    authScopes: SESSION_ONLY,
    description: "Starts two-factor set-up; the secret is shown this once.",
    resolve: (_r, _a, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      return ctx.services.account.enrollTotp(ctx.viewer);
    },
  }),
  confirmTotp: t.stringList({
    authScopes: SESSION_ONLY,
    description: "Turns two-factor sign-in on with a first code; returns recovery codes, shown this once.",
    args: { code: t.arg.string({ required: true, validate: code }) },
    resolve: (_r, args, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      return ctx.services.account.confirmTotp(ctx.viewer, args.code, ctx.request);
    },
  }),
  disableTotp: t.boolean({
    authScopes: SESSION_ONLY,
    description: "Turns two-factor sign-in off; needs a current code or a recovery code.",
    args: { code: t.arg.string({ required: true, validate: code }) },
    resolve: (_r, args, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      return ctx.services.account.disableTotp(ctx.viewer, args.code, ctx.request);
    },
  }),
  completeSignIn: t.field({
    type: AuthPayload,
    authScopes: { public: true },
    description: "Answers a sign-in challenge with a TOTP or recovery code and opens the session.",
    args: {
      challengeToken: t.arg.string({ required: true, validate: token }),
      code: t.arg.string({ required: true, validate: code }),
    },
    resolve: async (_r, args, ctx) => {
      const { token: session, user } = await ctx.services.account.completeSignIn(
        args.challengeToken,
        args.code,
        ctx.request,
      );
      ctx.viewer = await ctx.services.sessions.resolveViewer(session);
      return { token: session, userId: user.id };
    },
  }),
  updatePrivacyPreferences: t.field({
    type: PrivacyPreferences,
    authScopes: SESSION_ONLY,
    description: "Changes the signed-in user's privacy preferences; unset arguments keep their value.",
    args: {
      consentGiven: t.arg.boolean({ required: false }),
      dataRetentionDays: t.arg.int({ required: false, validate: z.number().int().min(1).max(3650) }),
      clearRetention: t.arg.boolean({ required: false, description: "Back to the product's default retention." }),
      marketingEmails: t.arg.boolean({ required: false }),
    },
    resolve: (_r, args, ctx) => {
      if (!isSignedIn(ctx.viewer)) throw unauthenticated();
      return ctx.services.account.updatePrivacyPreferences(ctx.viewer, args, ctx.request);
    },
  }),
}));
