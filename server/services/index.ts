import type { Clock } from "pg-boss";
import type { Config } from "../config.ts";
import type { Database } from "../db/client.ts";
import { createJobs } from "../jobs/jobs.ts";
import type { Logger } from "../logger.ts";
import type { PubSub } from "../pubsub.ts";
import type { SignedInViewer } from "../viewer.ts";
import { createAccessLog } from "./access-log.ts";
import { listTrail, loadTrailEntries } from "./access-trail.ts";
import { createExportService } from "./account/export.ts";
import { createAccountService } from "./account/index.ts";
import { createMailer } from "./account/mail.ts";
import { recordAgentUsage } from "./agent-usage.ts";
import {
  addAgent,
  createAgent,
  removeUserAgent,
  setFavorite,
  shareUserAgent,
  updateAgent,
  updateUserAgent,
} from "./agents.ts";
import { createAnalysisService } from "./analysis/index.ts";
import { createApiMeter } from "./api-meter.ts";
import { bindClient } from "./bind.ts";
import { createConversationService } from "./conversations.ts";
import { createLocalEmbedder, createOpenAiEmbedder, type Embedder } from "./embeddings.ts";
import { createAvatarService } from "./files/avatars.ts";
import { createStorage } from "./files/backends.ts";
import { createFileService } from "./files/index.ts";
import { tenantStats, userStats } from "./files/stats.ts";
import { createWorkspaceService } from "./files/workspaces.ts";
import { createKeyService } from "./keys.ts";
import { createMembershipService } from "./membership.ts";
import { createMemoryService } from "./memories.ts";
import { createMemoryAccessCounter } from "./memory-access.ts";
import { createMemoryIndex } from "./memory-index.ts";
import { createNotificationService } from "./notifications/index.ts";
import { updateProfile } from "./profile.ts";
import { setQuota } from "./quota.ts";
import { createRateLimits } from "./rate-limits.ts";
import { markHelpful, rate, summary } from "./ratings.ts";
import { createRetentionService } from "./retention.ts";
import { createSessionService } from "./sessions.ts";
import { report } from "./usage.ts";

export interface ServiceDeps {
  config: Config;
  db: Database;
  logger: Logger;
  pubsub: PubSub;
  /** pg-boss's clock: tests move schedules with pg-boss's TestClock. */
  jobClock?: Clock;
}

export function createServices({ config, db, logger, pubsub, jobClock }: ServiceDeps) {
  const prisma = db.prisma;
  const embedder: Embedder =
    config.EMBEDDINGS_PROVIDER === "openai" && config.EMBEDDINGS_URL
      ? createOpenAiEmbedder({
          url: config.EMBEDDINGS_URL,
          model: config.EMBEDDINGS_MODEL,
          apiKey: config.EMBEDDINGS_API_KEY,
        })
      : createLocalEmbedder();
  const jobs = createJobs(config, db, logger, jobClock);
  const memoryIndex = createMemoryIndex(db, { maxBytes: config.MEMORY_INDEX_MAX_MB * 2 ** 20 });
  const memoryAccess = createMemoryAccessCounter(prisma, logger, { flushMs: config.MEMORY_ACCESS_FLUSH_MS });
  const rateLimits = createRateLimits(prisma, {
    redisUrl: config.REDIS_URL,
    configCacheMs: config.RATE_LIMIT_CONFIG_CACHE_MS,
  });
  const storage = createStorage(config);
  const mailer = createMailer(config, prisma, logger);
  const throttle = {
    freeFailures: config.SIGNIN_FREE_FAILURES,
    failuresPerAddressHour: config.SIGNIN_FAILURES_PER_ADDRESS_HOUR,
    signUpsPerAddressHour: config.SIGNUPS_PER_ADDRESS_HOUR,
  };
  const sessions = createSessionService(prisma, pubsub, {
    sessionTtlHours: config.SESSION_TTL_HOURS,
    viewerCache: { ttlMs: config.VIEWER_CACHE_MS, maxEntries: config.VIEWER_CACHE_MAX },
    passwordCost: config.NODE_ENV === "test" ? "test" : "standard",
    deletionGraceDays: config.ACCOUNT_DELETION_GRACE_DAYS,
    throttle,
    logger,
  });
  const files = createFileService({ config, prisma, storage, logger, jobs });
  return {
    files,
    fileStats: {
      user: (viewer: SignedInViewer) => userStats(prisma, files, viewer),
      tenant: (tenantId: string) => tenantStats(prisma, tenantId),
    },
    agents: bindClient(prisma, {
      createAgent,
      updateAgent,
      addAgent,
      updateUserAgent,
      removeUserAgent,
      shareUserAgent,
      setFavorite,
    }),
    agentUsage: bindClient(prisma, { record: recordAgentUsage }),
    accessTrail: bindClient(prisma, { list: listTrail, load: loadTrailEntries }),
    profile: bindClient(prisma, { update: updateProfile }),
    ratings: bindClient(prisma, { summary, rate, markHelpful }),
    quotas: bindClient(prisma, { setQuota }),
    usage: bindClient(prisma, { report }),
    memories: createMemoryService({ prisma, embedder, memoryIndex, memoryAccess }),
    workspaces: createWorkspaceService({ config, prisma, files, logger, jobs }),
    avatars: createAvatarService({ prisma, files }),
    pubsub,
    embedder,
    memoryIndex,
    memoryAccess,
    jobs,
    conversations: createConversationService({ prisma, pubsub, embedder, memoryIndex, memoryAccess }),
    rateLimits,
    accessLog: createAccessLog(db, logger, { flushMs: config.ACCESS_LOG_FLUSH_MS }),
    apiMeter: createApiMeter(prisma, logger, { enabled: config.API_METER, flushMs: config.API_METER_FLUSH_MS }),
    analysis: createAnalysisService({
      config,
      prisma,
      logger,
      pubsub,
      jobs,
      onRateLimited: rateLimits.recordViolation,
    }),
    sessions,
    keys: createKeyService(prisma, pubsub),
    retention: createRetentionService(prisma, logger, { memoryMaxPerUser: config.MEMORY_MAX_PER_USER }),
    membership: createMembershipService(prisma, pubsub),
    mailer,
    notifications: createNotificationService({ config, prisma, pubsub, jobs, mailer, logger }),
    exports: createExportService({ config, prisma, storage, logger, jobs }),
    account: createAccountService({
      prisma,
      pubsub,
      mailer,
      config,
      throttle,
      sessions,
      files,
      jobs,
      logger,
    }),
  };
}

export type Services = ReturnType<typeof createServices>;
