-- AlterTable
ALTER TABLE "profiles" ADD COLUMN     "avatar_file_id" UUID;

-- AlterTable
ALTER TABLE "workspaces" ADD COLUMN     "archived_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE UNIQUE INDEX "profiles_avatar_file_id_key" ON "profiles"("avatar_file_id");

-- CreateIndex
CREATE INDEX "workspaces_updated_at_idx" ON "workspaces"("updated_at");

-- AddForeignKey
ALTER TABLE "profiles" ADD CONSTRAINT "profiles_avatar_file_id_fkey" FOREIGN KEY ("avatar_file_id") REFERENCES "files"("id") ON DELETE SET NULL ON UPDATE CASCADE;
