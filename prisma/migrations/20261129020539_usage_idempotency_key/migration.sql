-- AlterTable
ALTER TABLE "usage_logs" ADD COLUMN     "idempotency_key" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "usage_logs_user_id_idempotency_key_key" ON "usage_logs"("user_id", "idempotency_key");
