// A tenant that requires two-factor sign-in: its members without a second factor may read who
// they are, enrol and sign out, and every other operation fails with MFA_ENROLLMENT_REQUIRED,
// for sessions and API keys alike, until they have enrolled.
import { createClient } from "graphql-ws";
import { Secret, TOTP } from "otpauth";
import { describe, expect } from "vitest";
import WebSocket from "ws";
import { appTest, codeOf, createApiKey, createMember, dbKind, type Execute, ok } from "../kit.ts";

const it = appTest({ config: { RUN_WORKER: "false" } });

const SET = `mutation($on: Boolean) { updateTenantSecurity(requireMfa: $on) { requireMfa } }`;
const ENROLL = `mutation { enrollTotp { secret } }`;
const CONFIRM = `mutation($c: String!) { confirmTotp(code: $c) }`;
const ME = `{ me { id totpEnabled tenant { requireMfa } } }`;
const OTHER = `query($id: ID!) { node(id: $id) { id } }`;
const codeAt = (secret: string, offset = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offset * 30_000 });

async function enrol(exec: Execute, token: string) {
  const { enrollTotp } = await ok(exec, ENROLL, {}, token);
  await ok(exec, CONFIRM, { c: codeAt(enrollTotp.secret) }, token);
  return enrollTotp.secret as string;
}

describe(`required two-factor sign-in (${dbKind})`, () => {
  it("an admin must enrol before requiring it", async ({ app, exec, owner: admin }) => {
    expect(codeOf(await exec(SET, { on: true }, admin.token))).toBe("MFA_ENROLLMENT_REQUIRED");
    expect((await app.db.prisma.tenant.findUniqueOrThrow({ where: { id: admin.tenantId } })).requireMfa).toBe(false);
    await enrol(exec, admin.token);
    expect(await ok(exec, SET, { on: true }, admin.token)).toEqual({ updateTenantSecurity: { requireMfa: true } });
  });

  it("a member without a second factor may only enrol; then everything opens", async ({ exec, owner: admin }) => {
    const member = await createMember(exec, admin, "Unenrolled");
    const key = await createApiKey(exec, member, ["READ_PROFILE"]);
    await enrol(exec, admin.token);
    await ok(exec, SET, { on: true }, admin.token);

    // Open: who am I, enrolment, sign-out. Refused: anything else, one root field is enough.
    expect(await ok(exec, ME, {}, member.token)).toEqual({
      me: { id: member.id, totpEnabled: false, tenant: { requireMfa: true } },
    });
    expect(codeOf(await exec(OTHER, { id: member.id }, member.token))).toBe("MFA_ENROLLMENT_REQUIRED");
    expect(codeOf(await exec(`{ me { id } ${"node"}(id: "${member.id}") { id } }`, {}, member.token))).toBe(
      "MFA_ENROLLMENT_REQUIRED",
    );
    expect(
      codeOf(
        await exec(
          `mutation { updatePrivacyPreferences(marketingEmails: true) { marketingEmails } }`,
          {},
          member.token,
        ),
      ),
    ).toBe("MFA_ENROLLMENT_REQUIRED");
    expect(codeOf(await exec(OTHER, { id: member.id }, key))).toBe("MFA_ENROLLMENT_REQUIRED");
    // Signing in again gives a session (no challenge: there is no factor yet), equally limited.
    const again = await ok(
      exec,
      `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token mfaChallenge { challengeToken } } }`,
      { e: member.email, p: member.password },
    );
    expect(again.signIn.mfaChallenge).toBeNull();
    expect(codeOf(await exec(OTHER, { id: member.id }, again.signIn.token))).toBe("MFA_ENROLLMENT_REQUIRED");
    // The admin, enrolled, is not limited.
    expect(await ok(exec, OTHER, { id: member.id }, admin.token)).toEqual({ node: { id: member.id } });

    await enrol(exec, member.token);
    expect(await ok(exec, OTHER, { id: member.id }, member.token)).toEqual({ node: { id: member.id } });
    expect((await exec(OTHER, { id: member.id }, key)).errors?.[0]?.extensions?.code).not.toBe(
      "MFA_ENROLLMENT_REQUIRED",
    );
  });

  it("over WebSocket too: a subscription of a member who must enrol is refused", async ({
    app,
    exec,
    owner: admin,
  }) => {
    const member = await createMember(exec, admin, "Socketed");
    await enrol(exec, admin.token);
    await ok(exec, SET, { on: true }, admin.token);
    const { port } = await app.start();
    const client = createClient({
      url: `ws://127.0.0.1:${port}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${member.token}` },
      retryAttempts: 0,
    });
    const code = await new Promise<unknown>((resolve) => {
      const codeOfErrors = (errors: unknown) =>
        (errors as { extensions?: { code?: string } }[] | undefined)?.[0]?.extensions?.code;
      client.subscribe(
        { query: "subscription { myAnalysisEvents { seq } }" },
        {
          next: (r) => resolve(codeOfErrors(r.errors)),
          error: (e) => resolve(codeOfErrors(e)),
          complete: () => resolve("complete"),
        },
      );
    });
    await client.dispose();
    expect(code).toBe("MFA_ENROLLMENT_REQUIRED");
  });

  it("a tenant that does not require it limits nobody", async ({ exec, owner: admin }) => {
    const member = await createMember(exec, admin, "Free");
    expect(await ok(exec, OTHER, { id: member.id }, member.token)).toEqual({ node: { id: member.id } });
  });
});
