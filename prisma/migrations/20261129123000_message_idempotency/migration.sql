-- AlterTable
ALTER TABLE "messages" ADD COLUMN     "idempotency_key" TEXT,
ADD COLUMN     "request_hash" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "messages_user_id_idempotency_key_key" ON "messages"("user_id", "idempotency_key");
