// Privacy preferences on the profile: owner-only, validated, consent time recorded, audited.
import { describe, expect } from "vitest";
import { appTest, codeOf, createApiKey, createMember, dbKind, ok } from "../kit.ts";

const it = appTest({ config: { RUN_WORKER: "false" } });

const SET = `mutation($c: Boolean, $d: Int, $clear: Boolean, $m: Boolean) {
  updatePrivacyPreferences(consentGiven: $c, dataRetentionDays: $d, clearRetention: $clear, marketingEmails: $m) {
    consentGiven consentGivenAt dataRetentionDays marketingEmails
  }
}`;
const READ = `query($id: ID!) { node(id: $id) { ... on User { profile { privacy { consentGiven dataRetentionDays marketingEmails } } } } }`;

describe(`privacy preferences (${dbKind})`, () => {
  it("are changed by their owner within limits, read by the owner only, and audited", async ({
    app,
    exec,
    owner: admin,
  }) => {
    const member = await createMember(exec, admin, "Watched");
    const { updatePrivacyPreferences: p } = await ok(exec, SET, { c: true, d: 90, m: false }, member.token);
    expect(p).toMatchObject({ consentGiven: true, dataRetentionDays: 90, marketingEmails: false });
    expect(p.consentGivenAt).not.toBeNull();
    const again = await ok(exec, SET, { m: true }, member.token);
    expect(again.updatePrivacyPreferences).toMatchObject({
      consentGiven: true,
      dataRetentionDays: 90,
      marketingEmails: true,
    });
    expect(again.updatePrivacyPreferences.consentGivenAt).toBe(p.consentGivenAt);
    expect((await ok(exec, SET, { clear: true, c: false }, member.token)).updatePrivacyPreferences).toMatchObject({
      consentGiven: false,
      consentGivenAt: null,
      dataRetentionDays: null,
    });

    for (const d of [0, 3651]) expect(codeOf(await exec(SET, { d }, member.token))).toBe("BAD_USER_INPUT");
    const key = await createApiKey(exec, member, ["WRITE_PROFILE"]);
    expect(codeOf(await exec(SET, { m: false }, key))).toBe("FORBIDDEN");

    expect((await ok(exec, READ, { id: member.id }, member.token)).node.profile.privacy).toMatchObject({
      marketingEmails: true,
    });
    const asAdmin = await exec(READ, { id: member.id }, admin.token);
    expect(asAdmin.data?.node?.profile?.privacy).toBeNull();
    expect(asAdmin.errors?.length).toBe(1);

    const entries = await app.db.prisma.auditLog.count({
      where: { userId: member.userId, action: "user.privacy_changed" },
    });
    expect(entries).toBe(3);
  });
});
