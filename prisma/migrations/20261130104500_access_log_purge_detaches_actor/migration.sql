-- The log stays append-only but for the one change the purge of a deleted account makes
-- (services/account/purge.ts): another member's entries that this account read keep that it was
-- read, under the name shown then, but no longer point at the purged reader or their keys. The
-- trigger refused that too, so an account that had read anyone else's data could never be purged.
CREATE OR REPLACE FUNCTION "data_access_log_immutable"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  "kept" "data_access_log" := NEW;
BEGIN
  "kept"."actor_user_id" := OLD."actor_user_id";
  "kept"."api_key_id" := OLD."api_key_id";
  IF "kept" IS NOT DISTINCT FROM OLD
    AND (NEW."actor_user_id" IS NULL OR NEW."actor_user_id" = OLD."actor_user_id")
    AND (NEW."api_key_id" IS NULL OR NEW."api_key_id" = OLD."api_key_id") THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'data_access_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
