-- CreateEnum
CREATE TYPE "role" AS ENUM ('member', 'admin', 'superadmin');

-- CreateEnum
CREATE TYPE "memory_type" AS ENUM ('preference', 'context', 'fact', 'instruction');

-- CreateEnum
CREATE TYPE "quota_type" AS ENUM ('tokens', 'api_calls', 'storage_gb', 'users');

-- CreateEnum
CREATE TYPE "rate_limit_type" AS ENUM ('requests_per_minute', 'requests_per_hour', 'requests_per_day', 'concurrent_requests');

-- CreateEnum
CREATE TYPE "rate_limit_scope" AS ENUM ('global', 'tenant', 'user', 'agent');

-- CreateEnum
CREATE TYPE "content_source" AS ENUM ('instagram', 'linkedin', 'twitter', 'facebook', 'tiktok', 'text');

-- CreateEnum
CREATE TYPE "analysis_status" AS ENUM ('queued', 'running', 'complete', 'failed', 'cancelled');

-- CreateTable
CREATE TABLE "tenants" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "tenants_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "users" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "last_sign_in_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "profiles" (
    "user_id" UUID NOT NULL,
    "full_name" TEXT,
    "avatar_url" TEXT,
    "job_title" TEXT,
    "department" TEXT,
    "organization" TEXT,
    "country" TEXT,
    "preferences" JSONB NOT NULL DEFAULT '{}',
    "notification_settings" JSONB NOT NULL DEFAULT '{"email": true, "in_app": true, "weekly_digest": true}',
    "instagram" TEXT,
    "linkedin" TEXT,
    "twitter" TEXT,
    "facebook" TEXT,
    "tiktok" TEXT,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "last_seen_at" TIMESTAMPTZ(3),
    "onboarding_completed" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "profiles_pkey" PRIMARY KEY ("user_id")
);

-- CreateTable
CREATE TABLE "sessions" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "token_hash" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "session_start" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "session_end" TIMESTAMPTZ(3),
    "duration_seconds" INTEGER,
    "page_views" INTEGER NOT NULL DEFAULT 0,
    "events_count" INTEGER NOT NULL DEFAULT 0,
    "device_type" TEXT,
    "browser" TEXT,
    "os" TEXT,
    "ip_address" TEXT,
    "user_agent" TEXT,
    "referrer_url" TEXT,
    "utm_source" TEXT,
    "utm_medium" TEXT,
    "utm_campaign" TEXT,
    "revoked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "scopes" TEXT[],
    "last_used_at" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "role_assignments" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "role" "role" NOT NULL,
    "is_acting" BOOLEAN NOT NULL DEFAULT false,
    "is_primary" BOOLEAN NOT NULL DEFAULT true,
    "effective_from" DATE NOT NULL DEFAULT CURRENT_DATE,
    "effective_to" DATE,
    "created_by" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "role_assignments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "invites" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "email" TEXT,
    "role" "role" NOT NULL DEFAULT 'member',
    "token_hash" TEXT NOT NULL,
    "created_by" UUID NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "accepted_at" TIMESTAMPTZ(3),
    "accepted_by" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "invites_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agents" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "avatar" TEXT,
    "color" TEXT,
    "category" TEXT,
    "system_prompt" TEXT,
    "model" TEXT NOT NULL DEFAULT 'userplane-lexicon-1',
    "temperature" DOUBLE PRECISION NOT NULL DEFAULT 0.7,
    "max_tokens" INTEGER NOT NULL DEFAULT 1024,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "agents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "user_agents" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "agent_id" UUID NOT NULL,
    "original_agent_id" UUID,
    "is_user_copy" BOOLEAN NOT NULL DEFAULT false,
    "custom_name" TEXT,
    "custom_description" TEXT,
    "custom_avatar" TEXT,
    "custom_color" TEXT,
    "custom_system_prompt" TEXT,
    "custom_temperature" DOUBLE PRECISION,
    "custom_max_tokens" INTEGER,
    "is_favorite" BOOLEAN NOT NULL DEFAULT false,
    "is_pinned" BOOLEAN NOT NULL DEFAULT false,
    "folder" TEXT,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "sort_order" INTEGER NOT NULL DEFAULT 0,
    "display_position" TEXT,
    "usage_count" INTEGER NOT NULL DEFAULT 0,
    "message_count" INTEGER NOT NULL DEFAULT 0,
    "conversation_count" INTEGER NOT NULL DEFAULT 0,
    "success_count" INTEGER NOT NULL DEFAULT 0,
    "error_count" INTEGER NOT NULL DEFAULT 0,
    "user_rating" DECIMAL(3,2),
    "quality_score" DECIMAL(3,2),
    "last_rating_at" TIMESTAMPTZ(3),
    "avg_response_time_ms" INTEGER,
    "total_tokens_used" BIGINT NOT NULL DEFAULT 0,
    "total_cost_usd" DECIMAL(12,4) NOT NULL DEFAULT 0,
    "added_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "first_used_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "archived_at" TIMESTAMPTZ(3),
    "deleted_at" TIMESTAMPTZ(3),
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "is_enabled" BOOLEAN NOT NULL DEFAULT true,
    "is_visible" BOOLEAN NOT NULL DEFAULT true,
    "status" TEXT NOT NULL DEFAULT 'active',
    "settings" JSONB NOT NULL DEFAULT '{}',
    "preferences" JSONB NOT NULL DEFAULT '{}',
    "ui_config" JSONB NOT NULL DEFAULT '{}',
    "notification_settings" JSONB NOT NULL DEFAULT '{"email": true, "in_app": true}',
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "source_details" JSONB NOT NULL DEFAULT '{}',
    "share_settings" JSONB NOT NULL DEFAULT '{}',
    "notifications_enabled" BOOLEAN NOT NULL DEFAULT true,
    "last_conversation_id" UUID,
    "notes" TEXT,
    "quick_notes" TEXT,
    "source" TEXT,
    "is_shared" BOOLEAN NOT NULL DEFAULT false,
    "shared_with" UUID[] DEFAULT ARRAY[]::UUID[],

    CONSTRAINT "user_agents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "favorites" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "item_type" TEXT NOT NULL,
    "item_id" UUID NOT NULL,
    "notes" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "favorites_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ratings" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "item_type" TEXT NOT NULL,
    "item_id" UUID NOT NULL,
    "rating" INTEGER NOT NULL,
    "review" TEXT,
    "helpful_count" INTEGER NOT NULL DEFAULT 0,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ratings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rating_helpful_votes" (
    "rating_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rating_helpful_votes_pkey" PRIMARY KEY ("rating_id","user_id")
);

-- CreateTable
CREATE TABLE "memories" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "memory_type" "memory_type" NOT NULL,
    "memory_key" TEXT NOT NULL,
    "memory_value" JSONB NOT NULL,
    "content" TEXT NOT NULL,
    "importance_score" DOUBLE PRECISION NOT NULL DEFAULT 0.5,
    "last_accessed_at" TIMESTAMPTZ(3),
    "access_count" INTEGER NOT NULL DEFAULT 0,
    "embedding" DOUBLE PRECISION[],
    "embedding_model" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "memories_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "usage_logs" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "user_agent_id" UUID,
    "analysis_run_id" UUID,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "tokens_used" INTEGER NOT NULL,
    "cost" DECIMAL(12,6) NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "usage_logs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "quotas" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "quota_type" "quota_type" NOT NULL,
    "quota_limit" BIGINT NOT NULL,
    "current_usage" BIGINT NOT NULL DEFAULT 0,
    "period_start" DATE NOT NULL,
    "period_end" DATE NOT NULL,
    "alert_threshold_percentage" DOUBLE PRECISION NOT NULL DEFAULT 80,
    "is_exceeded" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "quotas_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rate_limit_configs" (
    "id" UUID NOT NULL,
    "tenant_id" UUID,
    "action" TEXT NOT NULL,
    "limit_type" "rate_limit_type" NOT NULL,
    "limit_scope" "rate_limit_scope" NOT NULL,
    "limit_value" INTEGER NOT NULL,
    "user_id" UUID,
    "agent_id" UUID,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "rate_limit_configs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rate_limit_usage" (
    "key" TEXT NOT NULL,
    "points" INTEGER NOT NULL,
    "expire" TIMESTAMPTZ(3),

    CONSTRAINT "rate_limit_usage_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "content_items" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "source" "content_source" NOT NULL,
    "text" TEXT NOT NULL,
    "content_hash" TEXT NOT NULL,
    "external_id" TEXT,
    "posted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "content_items_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "analysis_runs" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "user_agent_id" UUID,
    "sources" "content_source"[],
    "status" "analysis_status" NOT NULL DEFAULT 'queued',
    "stage" TEXT NOT NULL DEFAULT 'queued',
    "percent" INTEGER NOT NULL DEFAULT 0,
    "message" TEXT,
    "seq" INTEGER NOT NULL DEFAULT 0,
    "overall_score" INTEGER,
    "overall_grade" TEXT,
    "scorer" TEXT,
    "tokens_used" INTEGER NOT NULL DEFAULT 0,
    "error_code" TEXT,
    "error_message" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "cancel_requested_at" TIMESTAMPTZ(3),
    "usage_accounted_at" TIMESTAMPTZ(3),
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "analysis_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "analysis_results" (
    "id" UUID NOT NULL,
    "run_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "source" "content_source" NOT NULL,
    "risk_score" INTEGER NOT NULL,
    "grade" TEXT NOT NULL,
    "item_count" INTEGER NOT NULL,
    "flagged_items" JSONB NOT NULL DEFAULT '[]',
    "summary" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "analysis_results_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_logs" (
    "id" UUID NOT NULL,
    "tenant_id" UUID,
    "user_id" UUID,
    "action" TEXT NOT NULL,
    "resource" TEXT,
    "resource_id" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "ip_address" TEXT,
    "user_agent" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_logs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "tenants_slug_key" ON "tenants"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE UNIQUE INDEX "sessions_token_hash_key" ON "sessions"("token_hash");

-- CreateIndex
CREATE INDEX "sessions_user_id_session_start_idx" ON "sessions"("user_id", "session_start" DESC);

-- CreateIndex
CREATE INDEX "sessions_tenant_id_session_start_idx" ON "sessions"("tenant_id", "session_start" DESC);

-- CreateIndex
CREATE INDEX "sessions_expires_at_idx" ON "sessions"("expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_key_hash_key" ON "api_keys"("key_hash");

-- CreateIndex
CREATE INDEX "api_keys_user_id_created_at_idx" ON "api_keys"("user_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "role_assignments_user_id_tenant_id_effective_from_idx" ON "role_assignments"("user_id", "tenant_id", "effective_from");

-- CreateIndex
CREATE INDEX "role_assignments_tenant_id_role_idx" ON "role_assignments"("tenant_id", "role");

-- CreateIndex
CREATE UNIQUE INDEX "invites_token_hash_key" ON "invites"("token_hash");

-- CreateIndex
CREATE INDEX "invites_tenant_id_created_at_idx" ON "invites"("tenant_id", "created_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "agents_tenant_id_name_key" ON "agents"("tenant_id", "name");

-- CreateIndex
CREATE INDEX "user_agents_user_id_is_pinned_sort_order_idx" ON "user_agents"("user_id", "is_pinned" DESC, "sort_order");

-- CreateIndex
CREATE INDEX "user_agents_user_id_last_used_at_idx" ON "user_agents"("user_id", "last_used_at" DESC);

-- CreateIndex
CREATE INDEX "user_agents_agent_id_idx" ON "user_agents"("agent_id");

-- CreateIndex
CREATE INDEX "user_agents_tenant_id_idx" ON "user_agents"("tenant_id");

-- CreateIndex
CREATE UNIQUE INDEX "user_agents_user_id_agent_id_key" ON "user_agents"("user_id", "agent_id");

-- CreateIndex
CREATE UNIQUE INDEX "favorites_user_id_item_type_item_id_key" ON "favorites"("user_id", "item_type", "item_id");

-- CreateIndex
CREATE INDEX "ratings_tenant_id_item_type_item_id_idx" ON "ratings"("tenant_id", "item_type", "item_id");

-- CreateIndex
CREATE UNIQUE INDEX "ratings_user_id_item_type_item_id_key" ON "ratings"("user_id", "item_type", "item_id");

-- CreateIndex
CREATE INDEX "memories_user_id_memory_type_idx" ON "memories"("user_id", "memory_type");

-- CreateIndex
CREATE INDEX "memories_user_id_importance_score_idx" ON "memories"("user_id", "importance_score" DESC);

-- CreateIndex
CREATE INDEX "memories_user_id_created_at_idx" ON "memories"("user_id", "created_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "memories_user_id_memory_key_key" ON "memories"("user_id", "memory_key");

-- CreateIndex
CREATE UNIQUE INDEX "usage_logs_analysis_run_id_key" ON "usage_logs"("analysis_run_id");

-- CreateIndex
CREATE INDEX "usage_logs_user_id_created_at_idx" ON "usage_logs"("user_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "usage_logs_tenant_id_created_at_idx" ON "usage_logs"("tenant_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "quotas_tenant_id_quota_type_period_end_idx" ON "quotas"("tenant_id", "quota_type", "period_end");

-- CreateIndex
CREATE UNIQUE INDEX "quotas_tenant_id_quota_type_period_start_key" ON "quotas"("tenant_id", "quota_type", "period_start");

-- CreateIndex
CREATE INDEX "rate_limit_configs_action_limit_scope_idx" ON "rate_limit_configs"("action", "limit_scope");

-- CreateIndex
CREATE INDEX "content_items_user_id_created_at_idx" ON "content_items"("user_id", "created_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "content_items_user_id_source_content_hash_key" ON "content_items"("user_id", "source", "content_hash");

-- CreateIndex
CREATE INDEX "analysis_runs_user_id_created_at_idx" ON "analysis_runs"("user_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "analysis_runs_tenant_id_created_at_idx" ON "analysis_runs"("tenant_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "analysis_runs_status_idx" ON "analysis_runs"("status");

-- CreateIndex
CREATE INDEX "analysis_results_user_id_idx" ON "analysis_results"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "analysis_results_run_id_source_key" ON "analysis_results"("run_id", "source");

-- CreateIndex
CREATE INDEX "audit_logs_tenant_id_created_at_idx" ON "audit_logs"("tenant_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "audit_logs_user_id_created_at_idx" ON "audit_logs"("user_id", "created_at" DESC);

-- AddForeignKey
ALTER TABLE "profiles" ADD CONSTRAINT "profiles_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "role_assignments" ADD CONSTRAINT "role_assignments_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "role_assignments" ADD CONSTRAINT "role_assignments_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "role_assignments" ADD CONSTRAINT "role_assignments_created_by_fkey" FOREIGN KEY ("created_by") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invites" ADD CONSTRAINT "invites_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invites" ADD CONSTRAINT "invites_created_by_fkey" FOREIGN KEY ("created_by") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invites" ADD CONSTRAINT "invites_accepted_by_fkey" FOREIGN KEY ("accepted_by") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agents" ADD CONSTRAINT "agents_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_agents" ADD CONSTRAINT "user_agents_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_agents" ADD CONSTRAINT "user_agents_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_agents" ADD CONSTRAINT "user_agents_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_agents" ADD CONSTRAINT "user_agents_original_agent_id_fkey" FOREIGN KEY ("original_agent_id") REFERENCES "agents"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "favorites" ADD CONSTRAINT "favorites_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "favorites" ADD CONSTRAINT "favorites_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ratings" ADD CONSTRAINT "ratings_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ratings" ADD CONSTRAINT "ratings_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rating_helpful_votes" ADD CONSTRAINT "rating_helpful_votes_rating_id_fkey" FOREIGN KEY ("rating_id") REFERENCES "ratings"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rating_helpful_votes" ADD CONSTRAINT "rating_helpful_votes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "memories" ADD CONSTRAINT "memories_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "memories" ADD CONSTRAINT "memories_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "usage_logs" ADD CONSTRAINT "usage_logs_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "usage_logs" ADD CONSTRAINT "usage_logs_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "usage_logs" ADD CONSTRAINT "usage_logs_user_agent_id_fkey" FOREIGN KEY ("user_agent_id") REFERENCES "user_agents"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "usage_logs" ADD CONSTRAINT "usage_logs_analysis_run_id_fkey" FOREIGN KEY ("analysis_run_id") REFERENCES "analysis_runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "quotas" ADD CONSTRAINT "quotas_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rate_limit_configs" ADD CONSTRAINT "rate_limit_configs_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rate_limit_configs" ADD CONSTRAINT "rate_limit_configs_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rate_limit_configs" ADD CONSTRAINT "rate_limit_configs_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "content_items" ADD CONSTRAINT "content_items_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "content_items" ADD CONSTRAINT "content_items_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "analysis_runs" ADD CONSTRAINT "analysis_runs_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "analysis_runs" ADD CONSTRAINT "analysis_runs_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "analysis_runs" ADD CONSTRAINT "analysis_runs_user_agent_id_fkey" FOREIGN KEY ("user_agent_id") REFERENCES "user_agents"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "analysis_results" ADD CONSTRAINT "analysis_results_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "analysis_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "analysis_results" ADD CONSTRAINT "analysis_results_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "analysis_results" ADD CONSTRAINT "analysis_results_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_logs" ADD CONSTRAINT "audit_logs_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_logs" ADD CONSTRAINT "audit_logs_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Constraints Prisma's schema language cannot express
-- Prisma neither generates nor diffs CHECK constraints, so these stay out of drift checks. They
-- keep bad values out even when a write bypasses the API's validation (raw SQL, jobs, psql).
ALTER TABLE "ratings"
    ADD CONSTRAINT "ratings_rating_check" CHECK ("rating" BETWEEN 1 AND 5),
    ADD CONSTRAINT "ratings_helpful_count_check" CHECK ("helpful_count" >= 0);

ALTER TABLE "memories"
    ADD CONSTRAINT "memories_importance_score_check" CHECK ("importance_score" BETWEEN 0 AND 1),
    ADD CONSTRAINT "memories_access_count_check" CHECK ("access_count" >= 0);

ALTER TABLE "user_agents"
    ADD CONSTRAINT "user_agents_usage_count_check" CHECK ("usage_count" >= 0),
    ADD CONSTRAINT "user_agents_message_count_check" CHECK ("message_count" >= 0),
    ADD CONSTRAINT "user_agents_conversation_count_check" CHECK ("conversation_count" >= 0),
    ADD CONSTRAINT "user_agents_success_count_check" CHECK ("success_count" >= 0),
    ADD CONSTRAINT "user_agents_error_count_check" CHECK ("error_count" >= 0),
    ADD CONSTRAINT "user_agents_total_tokens_used_check" CHECK ("total_tokens_used" >= 0),
    ADD CONSTRAINT "user_agents_total_cost_usd_check" CHECK ("total_cost_usd" >= 0),
    ADD CONSTRAINT "user_agents_custom_temperature_check" CHECK ("custom_temperature" BETWEEN 0 AND 2),
    ADD CONSTRAINT "user_agents_user_rating_check" CHECK ("user_rating" BETWEEN 1 AND 5);

ALTER TABLE "quotas"
    ADD CONSTRAINT "quotas_quota_limit_check" CHECK ("quota_limit" >= 0),
    ADD CONSTRAINT "quotas_current_usage_check" CHECK ("current_usage" >= 0),
    ADD CONSTRAINT "quotas_period_check" CHECK ("period_end" >= "period_start"),
    ADD CONSTRAINT "quotas_alert_threshold_percentage_check" CHECK ("alert_threshold_percentage" BETWEEN 0 AND 100);

ALTER TABLE "rate_limit_configs"
    ADD CONSTRAINT "rate_limit_configs_limit_value_check" CHECK ("limit_value" > 0);

ALTER TABLE "analysis_runs"
    ADD CONSTRAINT "analysis_runs_percent_check" CHECK ("percent" BETWEEN 0 AND 100);

ALTER TABLE "analysis_results"
    ADD CONSTRAINT "analysis_results_risk_score_check" CHECK ("risk_score" BETWEEN 0 AND 100);

ALTER TABLE "usage_logs"
    ADD CONSTRAINT "usage_logs_tokens_used_check" CHECK ("tokens_used" >= 0),
    ADD CONSTRAINT "usage_logs_cost_check" CHECK ("cost" >= 0);

ALTER TABLE "agents"
    ADD CONSTRAINT "agents_temperature_check" CHECK ("temperature" BETWEEN 0 AND 2);
