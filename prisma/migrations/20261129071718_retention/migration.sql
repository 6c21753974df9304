-- CreateEnum
CREATE TYPE "retention_kind" AS ENUM ('sessions', 'memories', 'analyses', 'content', 'usage_detail', 'audit_entries', 'conversations');

-- CreateTable
CREATE TABLE "retention_policies" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "kind" "retention_kind" NOT NULL,
    "keep_days" INTEGER,
    "updated_by_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "retention_policies_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "retention_runs" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "job_key" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "as_of" TIMESTAMPTZ(3) NOT NULL,
    "counts" JSONB NOT NULL DEFAULT '{}',
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "retention_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "usage_monthly" (
    "tenant_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "model" TEXT NOT NULL,
    "month" DATE NOT NULL,
    "calls" INTEGER NOT NULL DEFAULT 0,
    "tokens" BIGINT NOT NULL DEFAULT 0,
    "cost" DECIMAL(14,6) NOT NULL DEFAULT 0,

    CONSTRAINT "usage_monthly_pkey" PRIMARY KEY ("tenant_id","user_id","model","month")
);

-- CreateIndex
CREATE UNIQUE INDEX "retention_policies_tenant_id_kind_key" ON "retention_policies"("tenant_id", "kind");

-- CreateIndex
CREATE INDEX "retention_runs_tenant_id_started_at_idx" ON "retention_runs"("tenant_id", "started_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "retention_runs_tenant_id_job_key_key" ON "retention_runs"("tenant_id", "job_key");

-- AddForeignKey
ALTER TABLE "retention_policies" ADD CONSTRAINT "retention_policies_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "retention_runs" ADD CONSTRAINT "retention_runs_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "usage_monthly" ADD CONSTRAINT "usage_monthly_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- One day to ten years, or null (keep forever), as the API validates.
ALTER TABLE "retention_policies" ADD CONSTRAINT "retention_policies_keep_days_check" CHECK ("keep_days" IS NULL OR "keep_days" BETWEEN 1 AND 3650);
