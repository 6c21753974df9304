-- The transparency log's rows still leave with their tenant and their subject, but by a trigger on
-- the parent's delete instead of two foreign keys. Each foreign key checked every inserted row on
-- its own (a lookup and a row lock, run as a statement of its own per row): about half of the
-- database's CPU for the log's batch insert, 50 rows for one listing of 50 members. The writer
-- (server/services/access-log.ts) now takes FOR KEY SHARE once per distinct subject and tenant of
-- a batch and skips the reads of one that is gone, so a deletion and a batch still wait for each
-- other as they did with the foreign keys: whichever commits second sees the other's rows.
-- DropForeignKey
ALTER TABLE "data_access_log" DROP CONSTRAINT "data_access_log_subject_user_id_fkey";

-- DropForeignKey
ALTER TABLE "data_access_log" DROP CONSTRAINT "data_access_log_tenant_id_fkey";

-- Per deleted row, as the foreign keys' cascade ran: each delete is one lookup in the log's index
-- on subject (or tenant). A statement trigger's transition table has no statistics, and the
-- planner may then read the whole log to join it.
CREATE FUNCTION "data_access_log_forget_subject"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "data_access_log" WHERE "subject_user_id" = OLD."id";
  RETURN NULL;
END
$$;

CREATE FUNCTION "data_access_log_forget_tenant"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "data_access_log" WHERE "tenant_id" = OLD."id";
  RETURN NULL;
END
$$;

CREATE TRIGGER "data_access_log_subject_deleted"
AFTER DELETE ON "users" FOR EACH ROW EXECUTE FUNCTION "data_access_log_forget_subject"();

CREATE TRIGGER "data_access_log_tenant_deleted"
AFTER DELETE ON "tenants" FOR EACH ROW EXECUTE FUNCTION "data_access_log_forget_tenant"();
