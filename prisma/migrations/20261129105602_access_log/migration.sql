-- CreateEnum
CREATE TYPE "access_actor_kind" AS ENUM ('user', 'api_key', 'system');

-- AlterEnum
ALTER TYPE "retention_kind" ADD VALUE 'access_log';

-- AlterTable
ALTER TABLE "audit_logs" ADD COLUMN     "subject_user_id" UUID;

-- CreateTable
CREATE TABLE "data_access_log" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "subject_user_id" UUID NOT NULL,
    "actor_kind" "access_actor_kind" NOT NULL,
    "actor_user_id" UUID,
    "api_key_id" UUID,
    "actor_display" TEXT NOT NULL,
    "resource" TEXT NOT NULL,
    "field" TEXT NOT NULL,
    "operation_type" TEXT NOT NULL,
    "operation_name" TEXT,
    "ip_address" TEXT,
    "user_agent" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "data_access_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "data_access_log_subject_user_id_created_at_idx" ON "data_access_log"("subject_user_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "data_access_log_tenant_id_created_at_idx" ON "data_access_log"("tenant_id", "created_at");

-- CreateIndex
CREATE INDEX "audit_logs_subject_user_id_created_at_idx" ON "audit_logs"("subject_user_id", "created_at" DESC);

-- AddForeignKey
ALTER TABLE "data_access_log" ADD CONSTRAINT "data_access_log_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "data_access_log" ADD CONSTRAINT "data_access_log_subject_user_id_fkey" FOREIGN KEY ("subject_user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The transparency log is append-only whoever writes to it (services, scripts, plain SQL): no row
-- is ever changed. Rows leave only by DELETE (retention, or with their tenant or subject).
CREATE FUNCTION "data_access_log_immutable"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'data_access_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER "data_access_log_no_update"
BEFORE UPDATE ON "data_access_log" FOR EACH ROW EXECUTE FUNCTION "data_access_log_immutable"();

-- Role changes already named their member in metadata: they become part of that member's trail.
UPDATE "audit_logs" SET "subject_user_id" = ("metadata"->>'target')::uuid
WHERE "action" IN ('role.assigned', 'role.ended')
  AND "metadata"->>'target' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
