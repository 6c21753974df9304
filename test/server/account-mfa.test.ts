// Two-factor sign-in with TOTP: enrolment, the sign-in challenge, recovery codes, turning it off,
// and the refusals (wrong, reused and foreign codes and challenges; throttled guessing).
import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import { loadConfig } from "../../server/config.ts";
import { createSecretBox, sealLegacyTotpSecrets } from "../../server/services/account/secret-box.ts";
import {
  codeOf,
  createApiKey,
  createMember,
  createOwner,
  createTestApp,
  dbKind,
  type Execute,
  executor,
  ok,
  PRODUCTION_SECRETS,
} from "../kit.ts";

let app: App;
let exec: Execute;

beforeAll(async () => {
  app = await createTestApp({ config: { RUN_WORKER: "false", SIGNIN_FREE_FAILURES: "3" } });
  exec = executor(app);
});
afterAll(() => app?.stop());

const SIGN_IN = `mutation($email: String!, $password: String!) {
  signIn(email: $email, password: $password) { token user { id } mfaChallenge { challengeToken expiresAt } }
}`;
const COMPLETE = `mutation($t: String!, $c: String!) { completeSignIn(challengeToken: $t, code: $c) { token user { id } } }`;
const ENROLL = `mutation { enrollTotp { secret uri } }`;
const CONFIRM = `mutation($c: String!) { confirmTotp(code: $c) }`;
const STATE = `{ me { totpEnabled recoveryCodesLeft } }`;

/** The code an authenticator app shows `offset` steps from now: time is passed in, not waited for. */
const codeAt = (secret: string, offset = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offset * 30_000 });

async function enrolled(name: string) {
  const owner = await createOwner(exec, name);
  const { enrollTotp } = await ok(exec, ENROLL, {}, owner.token);
  expect(enrollTotp.uri).toMatch(/^otpauth:\/\/totp\/Userplane:.+\?.*secret=/);
  // The previous step's code: the current one stays unspent for the test's next use.
  const { confirmTotp } = await ok(exec, CONFIRM, { c: codeAt(enrollTotp.secret, -1) }, owner.token);
  return { owner, secret: enrollTotp.secret as string, recovery: confirmTotp as string[] };
}

describe(`TOTP (${dbKind})`, () => {
  it("enrols with a first code and hands out ten recovery codes once", async () => {
    const owner = await createOwner(exec, "Enroller");
    expect(await ok(exec, STATE, {}, owner.token)).toEqual({ me: { totpEnabled: false, recoveryCodesLeft: null } });
    const { enrollTotp } = await ok(exec, ENROLL, {}, owner.token);
    expect(
      codeOf(await exec(CONFIRM, { c: "000000" === codeAt(enrollTotp.secret) ? "111111" : "000000" }, owner.token)),
    ).toBe("BAD_USER_INPUT");
    const { confirmTotp } = await ok(exec, CONFIRM, { c: codeAt(enrollTotp.secret) }, owner.token);
    expect(confirmTotp).toHaveLength(10);
    expect(new Set(confirmTotp).size).toBe(10);
    expect(await ok(exec, STATE, {}, owner.token)).toEqual({ me: { totpEnabled: true, recoveryCodesLeft: 10 } });
    // Only hashes are kept.
    const rows = await app.db.prisma.recoveryCode.findMany({ where: { userId: owner.userId } });
    expect(rows.map((r) => r.codeHash)).not.toContain(confirmTotp[0]);
    expect(codeOf(await exec(ENROLL, {}, owner.token))).toBe("CONFLICT");
    const key = await createApiKey(exec, owner, ["READ_PROFILE"]);
    expect(codeOf(await exec(ENROLL, {}, key))).toBe("FORBIDDEN");
  });

  it("sign-in of an enrolled user returns a challenge; the right code opens the session once", async () => {
    const { owner, secret } = await enrolled("Challenged");
    const first = await ok(exec, SIGN_IN, { email: owner.email, password: owner.password });
    expect(first.signIn.token).toBeNull();
    expect(first.signIn.user).toBeNull();
    const challenge = first.signIn.mfaChallenge.challengeToken as string;

    const wrong = await exec(COMPLETE, { t: challenge, c: codeAt(secret, 10) });
    expect(codeOf(wrong)).toBe("BAD_USER_INPUT");
    const done = await ok(exec, COMPLETE, { t: challenge, c: codeAt(secret) });
    expect(done.completeSignIn.token).toMatch(/^ups_/);
    expect(done.completeSignIn.user.id).toBe(owner.id);
    expect(codeOf(await exec(COMPLETE, { t: challenge, c: codeAt(secret) }))).toBe("INVALID_TOKEN");
    expect(codeOf(await exec(COMPLETE, { t: "upa_made-up-challenge-token", c: codeAt(secret) }))).toBe("INVALID_TOKEN");
  });

  it("a recovery code works once; guessing is throttled; the password alone never opens a session", async () => {
    const { owner, secret, recovery } = await enrolled("Recovering");
    const challenge = async () =>
      (await ok(exec, SIGN_IN, { email: owner.email, password: owner.password })).signIn.mfaChallenge
        .challengeToken as string;
    const c1 = await challenge();
    await ok(exec, COMPLETE, { t: c1, c: recovery[0]?.toUpperCase() });
    expect(await ok(exec, STATE, {}, owner.token)).toEqual({ me: { totpEnabled: true, recoveryCodesLeft: 9 } });
    const c2 = await challenge();
    expect(codeOf(await exec(COMPLETE, { t: c2, c: recovery[0] }))).toBe("BAD_USER_INPUT");
    // Two more wrong codes reach SIGNIN_FREE_FAILURES=3: the next try must wait, even with the right code.
    for (const guess of ["000001", "000002"])
      await exec(COMPLETE, { t: c2, c: guess === codeAt(secret) ? "999999" : guess });
    expect(codeOf(await exec(COMPLETE, { t: c2, c: codeAt(secret) }))).toBe("RATE_LIMITED");
  });

  it("turning it off needs a fresh code, and a tenant that requires it refuses", async () => {
    const { owner, secret } = await enrolled("Disabler");
    const off = `mutation($c: String!) { disableTotp(code: $c) }`;
    const set = `mutation($on: Boolean) { updateTenantSecurity(requireMfa: $on) { requireMfa } }`;
    await ok(exec, set, { on: true }, owner.token);
    expect(codeOf(await exec(off, { c: codeAt(secret) }, owner.token))).toBe("FORBIDDEN");
    await ok(exec, set, { on: false }, owner.token);
    expect(codeOf(await exec(off, { c: codeAt(secret, -20) }, owner.token))).toBe("BAD_USER_INPUT");
    expect(await ok(exec, off, { c: codeAt(secret) }, owner.token)).toEqual({ disableTotp: true });
    expect(await ok(exec, STATE, {}, owner.token)).toEqual({ me: { totpEnabled: false, recoveryCodesLeft: null } });
    const plain = await ok(exec, SIGN_IN, { email: owner.email, password: owner.password });
    expect(plain.signIn.token).toMatch(/^ups_/);
  });

  it("account state is readable by the user and their tenant's admins only", async () => {
    const admin = await createOwner(exec, "Watcher");
    const member = await createMember(exec, admin, "Watched");
    const peer = await createMember(exec, admin, "Peer");
    const q = `query($id: ID!) { node(id: $id) { ... on User { emailVerifiedAt totpEnabled recoveryCodesLeft } } }`;
    const asPeer = await exec(q, { id: member.id }, peer.token);
    expect(asPeer.data?.node).toEqual({ emailVerifiedAt: null, totpEnabled: null, recoveryCodesLeft: null });
    expect(asPeer.errors?.length).toBe(3);
    for (const t of [admin.token, member.token]) {
      const r = await ok(exec, q, { id: member.id }, t);
      expect(r.node).toEqual({ emailVerifiedAt: null, totpEnabled: false, recoveryCodesLeft: null });
    }
  });

  it("a code is spent once: the same code, or an older one, is refused within its window", async () => {
    const { owner, secret } = await enrolled("Replayed");
    const challenge = async () =>
      (await ok(exec, SIGN_IN, { email: owner.email, password: owner.password })).signIn.mfaChallenge
        .challengeToken as string;
    const stepOf = async () =>
      (await app.db.prisma.user.findUniqueOrThrow({ where: { id: owner.userId } })).totpLastStep as number;
    // Codes by time-step, counted from the enrolment's: the test does not care where a 30 s boundary falls.
    const codeOfStep = (step: number) =>
      new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: step * 30_000 });
    const enrolledAt = await stepOf();
    const c1 = await challenge();
    expect(codeOf(await exec(COMPLETE, { t: c1, c: codeOfStep(enrolledAt) }))).toBe("BAD_USER_INPUT");
    await ok(exec, COMPLETE, { t: c1, c: codeOfStep(enrolledAt + 1) });
    const c2 = await challenge();
    expect(codeOf(await exec(COMPLETE, { t: c2, c: codeOfStep(enrolledAt + 1) }))).toBe("BAD_USER_INPUT");
    await ok(exec, COMPLETE, { t: c2, c: codeOfStep(enrolledAt + 2) });
    expect(await stepOf()).toBe(enrolledAt + 2);
    // An older code still inside the window is refused too.
    const c3 = await challenge();
    expect(codeOf(await exec(COMPLETE, { t: c3, c: codeOfStep(enrolledAt + 1) }))).toBe("BAD_USER_INPUT");
  });

  it("two requests racing with one code: exactly one opens a session", async () => {
    const { owner, secret } = await enrolled("Racing");
    const t = (await ok(exec, SIGN_IN, { email: owner.email, password: owner.password })).signIn.mfaChallenge
      .challengeToken as string;
    const before = await app.db.prisma.session.count({ where: { userId: owner.userId } });
    const code = codeAt(secret);
    const results = await Promise.all([exec(COMPLETE, { t, c: code }), exec(COMPLETE, { t, c: code })]);
    expect(results.filter((r) => !r.errors).length).toBe(1);
    expect(await app.db.prisma.session.count({ where: { userId: owner.userId } })).toBe(before + 1);
  });

  it("keeps the secret sealed at rest, bound to its user; a plain-text secret from before is sealed", async () => {
    const { owner, secret } = await enrolled("Sealed");
    const row = await app.db.prisma.user.findUniqueOrThrow({ where: { id: owner.userId } });
    expect(row.totpSecret).toMatch(/^enc1:/);
    expect(row.totpSecret).not.toContain(secret);
    const box = createSecretBox(app.config.totpKey);
    expect(box.open(row.totpSecret as string, owner.userId)).toBe(secret);
    // Copied onto another user's row it does not open (the user id is associated data).
    expect(() => box.open(row.totpSecret as string, crypto.randomUUID())).toThrow();
    // Another key does not open it either.
    expect(() => createSecretBox(Buffer.alloc(32, 7)).open(row.totpSecret as string, owner.userId)).toThrow();

    // A secret stored in plain text before sealing existed: start-up seals it, and it still works.
    const legacy = await enrolled("Legacy");
    await app.db.prisma.user.update({ where: { id: legacy.owner.userId }, data: { totpSecret: legacy.secret } });
    expect(await sealLegacyTotpSecrets(app.db.prisma, box)).toBeGreaterThanOrEqual(1);
    const sealed = await app.db.prisma.user.findUniqueOrThrow({ where: { id: legacy.owner.userId } });
    expect(sealed.totpSecret).toMatch(/^enc1:/);
    expect(await sealLegacyTotpSecrets(app.db.prisma, box)).toBe(0);
    const c = (await ok(exec, SIGN_IN, { email: legacy.owner.email, password: legacy.owner.password })).signIn
      .mfaChallenge.challengeToken as string;
    await ok(exec, COMPLETE, { t: c, c: codeAt(legacy.secret) });

    // One still in plain text when it is next used is sealed then.
    await app.db.prisma.user.update({ where: { id: owner.userId }, data: { totpSecret: secret } });
    const c2 = (await ok(exec, SIGN_IN, { email: owner.email, password: owner.password })).signIn.mfaChallenge
      .challengeToken as string;
    await ok(exec, COMPLETE, { t: c2, c: codeAt(secret) });
    const resealed = await app.db.prisma.user.findUniqueOrThrow({ where: { id: owner.userId } });
    expect(resealed.totpSecret).toMatch(/^enc1:/);
  });

  it("production needs TOTP_ENCRYPTION_KEY of 32 bytes", () => {
    const { TOTP_ENCRYPTION_KEY: _, ...rest } = PRODUCTION_SECRETS;
    expect(() => loadConfig({ NODE_ENV: "production", ...rest })).toThrow(
      /TOTP_ENCRYPTION_KEY: is required in production/,
    );
    expect(() => loadConfig({ TOTP_ENCRYPTION_KEY: "abcd" })).toThrow(/TOTP_ENCRYPTION_KEY: must be 32 bytes/);
    expect(loadConfig({ NODE_ENV: "production", ...PRODUCTION_SECRETS }).totpKey).toHaveLength(32);
  });
});
