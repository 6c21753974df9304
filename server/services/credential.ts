// A bearer token's credential and the roles its user holds in its tenant, in one statement: the
// viewer is resolved on every request, and two round trips (credential, then roles) were a third
// of the statements of a small query. The role rule is `inEffectOn` (viewer.ts), written in SQL.
import { Prisma, type PrismaClient, type Role } from "../generated/prisma/client.ts";
import { todayUtc, ymd } from "../viewer.ts";

export interface Credential {
  id: string;
  userId: string;
  tenantId: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
  /** Sessions: lastSeenAt; API keys: lastUsedAt. */
  lastSeenAt: Date | null;
  scopes: string[];
  /** Roles in effect today (UTC) in the credential's tenant; none for a deleted or deactivated user. */
  roles: Role[];
  /** The tenant requires a second factor and the user has none yet (forced enrolment). */
  mfaPending: boolean;
}

interface Row {
  id: string;
  userId: string;
  tenantId: string;
  expiresAt: Date | string | null;
  revokedAt: Date | string | null;
  lastSeenAt: Date | string | null;
  scopes: string[] | null;
  roles: string[] | null;
  mfaPending: boolean | null;
}

const date = (v: Date | string | null) => (v === null ? null : v instanceof Date ? v : new Date(v));

/** The session (kind "session") or API key (kind "apiKey") whose hash is `tokenHash`, with its roles. */
export async function findCredential(
  prisma: PrismaClient,
  kind: "session" | "apiKey",
  tokenHash: string,
  day = todayUtc(),
): Promise<Credential | null> {
  // A date string, not a Date: a timestamp cast to date would follow the connection's time zone.
  const today = ymd(day);
  const roles = Prisma.sql`ARRAY(
    SELECT DISTINCT r.role::text FROM role_assignments r JOIN users u ON u.id = r.user_id
    WHERE r.user_id = c.user_id AND r.tenant_id = c.tenant_id AND u.deleted_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM profiles p WHERE p.user_id = u.id AND NOT p.is_active)
      AND r.effective_from <= ${today}::date AND (r.effective_to IS NULL OR r.effective_to >= ${today}::date)
  ) AS roles,
  (SELECT t.require_mfa AND u.totp_enabled_at IS NULL FROM tenants t, users u
    WHERE t.id = c.tenant_id AND u.id = c.user_id) AS "mfaPending"`;
  const rows =
    kind === "session"
      ? await prisma.$queryRaw<Row[]>`
          SELECT c.id, c.user_id AS "userId", c.tenant_id AS "tenantId", c.expires_at AS "expiresAt",
            c.revoked_at AS "revokedAt", c.last_seen_at AS "lastSeenAt", NULL::text[] AS scopes, ${roles}
          FROM sessions c WHERE c.token_hash = ${tokenHash}`
      : await prisma.$queryRaw<Row[]>`
          SELECT c.id, c.user_id AS "userId", c.tenant_id AS "tenantId", c.expires_at AS "expiresAt",
            c.revoked_at AS "revokedAt", c.last_used_at AS "lastSeenAt", c.scopes, ${roles}
          FROM api_keys c WHERE c.key_hash = ${tokenHash}`;
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id,
    userId: r.userId,
    tenantId: r.tenantId,
    expiresAt: date(r.expiresAt),
    revokedAt: date(r.revokedAt),
    lastSeenAt: date(r.lastSeenAt),
    scopes: r.scopes ?? [],
    roles: (r.roles ?? []) as Role[],
    mfaPending: r.mfaPending === true,
  };
}
