-- CreateTable
CREATE TABLE "api_call_counts" (
    "api_key_id" UUID NOT NULL,
    "day" DATE NOT NULL,
    "tenant_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "calls" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "api_call_counts_pkey" PRIMARY KEY ("api_key_id","day")
);

-- CreateIndex
CREATE INDEX "api_call_counts_tenant_id_day_idx" ON "api_call_counts"("tenant_id", "day");

-- AddForeignKey
ALTER TABLE "api_call_counts" ADD CONSTRAINT "api_call_counts_api_key_id_fkey" FOREIGN KEY ("api_key_id") REFERENCES "api_keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_call_counts" ADD CONSTRAINT "api_call_counts_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
