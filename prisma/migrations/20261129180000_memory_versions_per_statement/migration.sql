-- Rows added or removed by one statement bump each user's version once, not once per row: a bulk
-- import (or a user's memories deleted by cascade) ran the upsert per row, on the same few version
-- rows, and a million memories over 10,000 users took minutes. Users are bumped in id order, so
-- two such statements never wait on each other in a cycle. Updates stay per row: a statement
-- trigger with transition tables cannot name columns, and access counting (access_count,
-- last_accessed_at) must not bump the version.
CREATE FUNCTION "bump_memory_versions_of_statement"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "memory_versions" ("user_id", "version")
    SELECT DISTINCT "user_id", 1 FROM "new_rows" ORDER BY "user_id"
    ON CONFLICT ("user_id") DO UPDATE SET "version" = "memory_versions"."version" + 1;
  ELSE
    INSERT INTO "memory_versions" ("user_id", "version")
    SELECT DISTINCT "user_id", 1 FROM "old_rows" ORDER BY "user_id"
    ON CONFLICT ("user_id") DO UPDATE SET "version" = "memory_versions"."version" + 1;
  END IF;
  RETURN NULL;
END
$$;

DROP TRIGGER "memories_bump_version" ON "memories";

CREATE TRIGGER "memories_bump_version"
AFTER UPDATE OF "user_id", "embedding", "embedding_model", "expires_at", "importance_score", "memory_type"
ON "memories" FOR EACH ROW EXECUTE FUNCTION "bump_memory_version"();

CREATE TRIGGER "memories_bump_version_inserted"
AFTER INSERT ON "memories" REFERENCING NEW TABLE AS "new_rows"
FOR EACH STATEMENT EXECUTE FUNCTION "bump_memory_versions_of_statement"();

CREATE TRIGGER "memories_bump_version_deleted"
AFTER DELETE ON "memories" REFERENCING OLD TABLE AS "old_rows"
FOR EACH STATEMENT EXECUTE FUNCTION "bump_memory_versions_of_statement"();
