-- AlterEnum
ALTER TYPE "rate_limit_scope" ADD VALUE 'api_key';

-- AlterTable
ALTER TABLE "rate_limit_configs" ADD COLUMN     "api_key_id" UUID;

-- CreateTable
CREATE TABLE "rate_limit_violations" (
    "id" UUID NOT NULL,
    "config_id" UUID,
    "tenant_id" UUID NOT NULL,
    "user_id" UUID,
    "api_key_id" UUID,
    "action" TEXT NOT NULL,
    "limit_type" "rate_limit_type" NOT NULL,
    "limit_scope" "rate_limit_scope" NOT NULL,
    "limit_value" INTEGER NOT NULL,
    "retry_after_seconds" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rate_limit_violations_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "rate_limit_violations_tenant_id_created_at_idx" ON "rate_limit_violations"("tenant_id", "created_at" DESC);

-- AddForeignKey
ALTER TABLE "rate_limit_configs" ADD CONSTRAINT "rate_limit_configs_api_key_id_fkey" FOREIGN KEY ("api_key_id") REFERENCES "api_keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rate_limit_violations" ADD CONSTRAINT "rate_limit_violations_config_id_fkey" FOREIGN KEY ("config_id") REFERENCES "rate_limit_configs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rate_limit_violations" ADD CONSTRAINT "rate_limit_violations_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
