-- One entry per actor, subject and operation per request, listing the types read, instead of one
-- per type: a tenant admin's listing of 50 members read a User and a Profile of each, 100 rows,
-- and the log's inserts were about half of the database's CPU for such a request.
--
-- The column is converted in place rather than added, filled by UPDATE and dropped: the append-only
-- trigger (data_access_log_no_update) refuses an UPDATE of any other column, and a conversion is
-- not an UPDATE (no row trigger fires), so the trigger stays on throughout and every existing row
-- keeps its id and time with its one type as a list of one. The table is rewritten once, under
-- the ALTER's exclusive lock.
ALTER TABLE "data_access_log" ALTER COLUMN "resource" TYPE TEXT[] USING ARRAY["resource"];
ALTER TABLE "data_access_log" RENAME COLUMN "resource" TO "resources";

-- An entry names at least one type (Prisma has no syntax for this; invisible to its diff).
ALTER TABLE "data_access_log" ADD CONSTRAINT "data_access_log_resources_not_empty"
  CHECK (cardinality("resources") > 0);
