-- AlterTable
ALTER TABLE "analysis_runs" ADD COLUMN     "items_done" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "items_total" INTEGER NOT NULL DEFAULT 0;

-- Progress notes of finished runs carried their grades, which tenant admins may not read: results
-- live only in the result fields now.
UPDATE "analysis_runs" SET "message" = NULL WHERE "status" = 'complete' OR "message" LIKE '%grade%';
