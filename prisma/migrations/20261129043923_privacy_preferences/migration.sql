-- AlterTable
ALTER TABLE "profiles" ADD COLUMN     "consent_given" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "consent_given_at" TIMESTAMPTZ(3),
ADD COLUMN     "data_retention_days" INTEGER,
ADD COLUMN     "marketing_emails" BOOLEAN NOT NULL DEFAULT false;

-- One day to ten years, as the API validates.
ALTER TABLE "profiles" ADD CONSTRAINT "profiles_data_retention_days_check" CHECK ("data_retention_days" IS NULL OR "data_retention_days" BETWEEN 1 AND 3650);
