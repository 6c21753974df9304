-- Favourites have one source of truth, the favourites table. Stars set before through
-- updateUserAgent(isFavorite) lived only in the flag on user_agents: what the user saw starred
-- becomes a favourites row, then every flag is set from the table.
INSERT INTO "favorites" ("id", "user_id", "tenant_id", "item_type", "item_id", "created_at")
SELECT gen_random_uuid(), ua."user_id", ua."tenant_id", 'agent', ua."agent_id", ua."updated_at"
FROM "user_agents" ua
WHERE ua."is_favorite" AND ua."deleted_at" IS NULL
ON CONFLICT ("user_id", "item_type", "item_id") DO NOTHING;

UPDATE "user_agents" ua SET "is_favorite" = EXISTS (
  SELECT 1 FROM "favorites" f
  WHERE f."user_id" = ua."user_id" AND f."item_type" = 'agent' AND f."item_id" = ua."agent_id"
);
