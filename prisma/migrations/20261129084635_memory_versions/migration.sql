-- CreateTable
CREATE TABLE "memory_versions" (
    "user_id" UUID NOT NULL,
    "version" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "memory_versions_pkey" PRIMARY KEY ("user_id")
);

-- Every write to a user's memories that search could see bumps their version, whoever makes it
-- (services, jobs, plain SQL). Access counting (access_count, last_accessed_at) does not.
CREATE FUNCTION "bump_memory_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO "memory_versions" ("user_id", "version") VALUES (OLD."user_id", 1)
    ON CONFLICT ("user_id") DO UPDATE SET "version" = "memory_versions"."version" + 1;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO "memory_versions" ("user_id", "version") VALUES (NEW."user_id", 1)
    ON CONFLICT ("user_id") DO UPDATE SET "version" = "memory_versions"."version" + 1;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "memories_bump_version"
AFTER INSERT OR DELETE OR UPDATE OF "user_id", "embedding", "embedding_model", "expires_at", "importance_score", "memory_type"
ON "memories" FOR EACH ROW EXECUTE FUNCTION "bump_memory_version"();
