-- CreateEnum
CREATE TYPE "quota_period" AS ENUM ('day', 'week', 'month', 'year');

-- DropIndex
DROP INDEX "quotas_tenant_id_quota_type_period_end_idx";

-- DropIndex
DROP INDEX "quotas_tenant_id_quota_type_period_start_key";

-- AlterTable
ALTER TABLE "quotas" ADD COLUMN     "period" "quota_period" NOT NULL DEFAULT 'month';

-- A quota becomes one standing limit per tenant and type: of the month rows written so far,
-- the latest period's row is kept (its limit is the one the admin set last, its usage the
-- period's); the older periods' figures stay in usage_logs.
DELETE FROM "quotas" q USING "quotas" newer
WHERE newer."tenant_id" = q."tenant_id" AND newer."quota_type" = q."quota_type"
  AND (newer."period_start", newer."id") > (q."period_start", q."id");

-- CreateIndex
CREATE UNIQUE INDEX "quotas_tenant_id_quota_type_key" ON "quotas"("tenant_id", "quota_type");
