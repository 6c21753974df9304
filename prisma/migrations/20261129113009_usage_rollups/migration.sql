-- AlterTable
ALTER TABLE "usage_monthly" DROP CONSTRAINT "usage_monthly_pkey",
ADD COLUMN     "agent_key" TEXT NOT NULL DEFAULT '',
ADD CONSTRAINT "usage_monthly_pkey" PRIMARY KEY ("tenant_id", "user_id", "model", "month", "agent_key");

-- CreateTable
CREATE TABLE "usage_daily" (
    "tenant_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "model" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "agent_key" TEXT NOT NULL DEFAULT '',
    "calls" INTEGER NOT NULL DEFAULT 0,
    "tokens" BIGINT NOT NULL DEFAULT 0,
    "cost" DECIMAL(14,6) NOT NULL DEFAULT 0,

    CONSTRAINT "usage_daily_pkey" PRIMARY KEY ("tenant_id","user_id","model","day","agent_key")
);

-- CreateIndex
CREATE INDEX "usage_daily_tenant_id_day_idx" ON "usage_daily"("tenant_id", "day");

-- AddForeignKey
ALTER TABLE "usage_daily" ADD CONSTRAINT "usage_daily_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Usage totals are kept as rows are written, not when retention removes them: a trigger adds each
-- inserted usage_logs row to its month's and day's totals (per user, agent and model), so reports
-- read the totals and agree before and after old rows are pruned. Rows are only ever inserted
-- (pruning removes them; nothing edits their figures), so inserts are all it follows.
CREATE FUNCTION "roll_up_usage_logs"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "usage_monthly" ("tenant_id", "user_id", "model", "month", "agent_key", "calls", "tokens", "cost")
  SELECT "tenant_id", "user_id", "model", date_trunc('month', "created_at" AT TIME ZONE 'UTC')::date,
         COALESCE("user_agent_id"::text, ''), count(*)::int, sum("tokens_used")::bigint, sum("cost")
    FROM "added" GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT ("tenant_id", "user_id", "model", "month", "agent_key") DO UPDATE SET
    "calls" = "usage_monthly"."calls" + EXCLUDED."calls",
    "tokens" = "usage_monthly"."tokens" + EXCLUDED."tokens",
    "cost" = "usage_monthly"."cost" + EXCLUDED."cost";
  INSERT INTO "usage_daily" ("tenant_id", "user_id", "model", "day", "agent_key", "calls", "tokens", "cost")
  SELECT "tenant_id", "user_id", "model", ("created_at" AT TIME ZONE 'UTC')::date,
         COALESCE("user_agent_id"::text, ''), count(*)::int, sum("tokens_used")::bigint, sum("cost")
    FROM "added" GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT ("tenant_id", "user_id", "model", "day", "agent_key") DO UPDATE SET
    "calls" = "usage_daily"."calls" + EXCLUDED."calls",
    "tokens" = "usage_daily"."tokens" + EXCLUDED."tokens",
    "cost" = "usage_daily"."cost" + EXCLUDED."cost";
  RETURN NULL;
END
$$;

-- Once per statement (a bulk insert adds its rows in one pass), with the statement's new rows.
CREATE TRIGGER "usage_logs_roll_up"
AFTER INSERT ON "usage_logs" REFERENCING NEW TABLE AS "added"
FOR EACH STATEMENT EXECUTE FUNCTION "roll_up_usage_logs"();

-- The rows already there: usage_monthly so far held only what retention removed (with no agent);
-- the rows still in usage_logs are added to it, and to usage_daily.
INSERT INTO "usage_monthly" ("tenant_id", "user_id", "model", "month", "agent_key", "calls", "tokens", "cost")
SELECT "tenant_id", "user_id", "model", date_trunc('month', "created_at" AT TIME ZONE 'UTC')::date,
       COALESCE("user_agent_id"::text, ''), count(*)::int, sum("tokens_used")::bigint, sum("cost")
  FROM "usage_logs" GROUP BY 1, 2, 3, 4, 5
ON CONFLICT ("tenant_id", "user_id", "model", "month", "agent_key") DO UPDATE SET
  "calls" = "usage_monthly"."calls" + EXCLUDED."calls",
  "tokens" = "usage_monthly"."tokens" + EXCLUDED."tokens",
  "cost" = "usage_monthly"."cost" + EXCLUDED."cost";
INSERT INTO "usage_daily" ("tenant_id", "user_id", "model", "day", "agent_key", "calls", "tokens", "cost")
SELECT "tenant_id", "user_id", "model", ("created_at" AT TIME ZONE 'UTC')::date,
       COALESCE("user_agent_id"::text, ''), count(*)::int, sum("tokens_used")::bigint, sum("cost")
  FROM "usage_logs" GROUP BY 1, 2, 3, 4, 5;
