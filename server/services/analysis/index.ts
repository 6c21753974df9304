import type { Config } from "../../config.ts";
import { badInput, forbidden, notFound } from "../../errors.ts";
import { createFanOut } from "../../fan-out.ts";
import type { AnalysisRun, ContentSource, PrismaClient } from "../../generated/prisma/client.ts";
import { isUuid } from "../../ids.ts";
import type { Jobs } from "../../jobs/jobs.ts";
import { transactionDb } from "../../jobs/prisma-db.ts";
import { joinedReads } from "../../live/joined-reads.ts";
import { oncePerObject } from "../../live/once-per-object.ts";
import type { Logger } from "../../logger.ts";
import type { PubSub } from "../../pubsub.ts";
import { isTenantAdmin, type SignedInViewer, type Viewer } from "../../viewer.ts";
import { assertQuotaAvailable } from "../quota.ts";
import { executeRun, type LocalRuns } from "./attempt.ts";
import * as content from "./content.ts";
import { createOpenAiScorer } from "./openai-scorer.ts";
import { type PipelineDeps, RunInterrupted } from "./pipeline.ts";
import { RunProgressStream, UserEventsStream } from "./progress.ts";
import { createStartLimiter } from "./rate-limit.ts";
import { cancelQueued, isTerminal, publish, type RunEvent, toEvent } from "./run-store.ts";
import { createScoringThread, type Scorer } from "./scorer.ts";

export { CONTENT_SOURCES } from "./content.ts";
export type { RunEvent } from "./run-store.ts";

/** How long the scoring thread, and the model it holds, outlives its last batch. */
const SCORING_THREAD_IDLE_MS = 60_000;

export interface AnalysisDeps {
  config: Config;
  prisma: PrismaClient;
  logger: Logger;
  pubsub: PubSub;
  jobs: Jobs;
  /** Records a start refused by a configured rate limit. */
  onRateLimited?: Parameters<typeof createStartLimiter>[2];
}

interface RunJob {
  runId: string;
}

/**
 * Who may follow a run: its owner and the tenant's admins (DESIGN.md section 3). The one home of
 * the rule: the AnalysisRun type's rule (schema/access.ts) and the start of analysisProgress use it.
 */
export function canSeeRun(viewer: Viewer, run: Pick<AnalysisRun, "userId" | "tenantId">): boolean {
  if (viewer.kind === "anonymous") return false;
  return viewer.userId === run.userId || (isTenantAdmin(viewer) && viewer.tenantId === run.tenantId);
}

export function createAnalysisService({ config, prisma, logger, pubsub, jobs, onRateLimited }: AnalysisDeps) {
  const limiter = createStartLimiter(prisma, config.ANALYSIS_DEFAULT_PER_HOUR, onRateLimited);
  const local: LocalRuns = new Map();
  /** Every local subscriber of a run's progress on one pub/sub subscription of the run. */
  const runEvents = createFanOut(pubsub, "analysis:run");
  const usesOpenAi = config.SCORER_PROVIDER === "openai" && !!config.SCORER_URL;
  // Made here, started by the first batch it scores: a server that never analyses starts no thread.
  const scoringThread = createScoringThread({
    idleMs: SCORING_THREAD_IDLE_MS,
    onError: (err) => logger.error({ err }, "the scoring thread failed"),
  });
  const makeScorer = (instructions: string | null): Scorer =>
    usesOpenAi && config.SCORER_URL
      ? createOpenAiScorer({
          url: config.SCORER_URL,
          model: config.SCORER_MODEL,
          apiKey: config.SCORER_API_KEY,
          timeoutMs: config.SCORER_TIMEOUT_MS,
          instructions,
        })
      : scoringThread.scorer;
  const pipeline: PipelineDeps = { prisma, pubsub, logger, config, makeScorer };
  const queueName = config.ANALYSIS_QUEUE;
  let working = false;
  let stopping = false;

  // The run as its subscribers first see it: one read and one event object for all who ask in one
  // turn, so their first result is executed once per viewer too (live/shared-results.ts).
  const readRun = joinedReads((runId: string) => prisma.analysisRun.findUnique({ where: { id: runId } }));
  // And, for a run already followed here, the row last read while no event of it has come since:
  // 10,000 subscribers connecting to ten runs made 9,000 reads of the same ten rows (a reconnect
  // storm's largest cost, bench:fanout), though each row was as it had been for the first. Kept
  // with the run's fan-out group, so it goes when the run's last subscriber does.
  const keptRuns = new WeakMap<object, { count: number; run: AnalysisRun }>();
  const initialRun = async (runId: string): Promise<AnalysisRun | null> => {
    const at = runEvents.taken(runId);
    const kept = at && keptRuns.get(at.group);
    if (kept && kept.count === at.count) return kept.run;
    const run = await readRun(runId);
    if (run && at) keptRuns.set(at.group, { count: at.count, run });
    return run;
  };
  const eventOfRow = oncePerObject(toEvent);
  const eventOf = async (runId: string): Promise<RunEvent | null> => {
    const r = await readRun(runId);
    return r ? eventOfRow(r) : null;
  };

  return {
    importContent: (viewer: SignedInViewer, source: ContentSource, items: readonly content.ContentInput[]) =>
      content.importContent(prisma, viewer, source, items, config.CONTENT_MAX_ITEMS_PER_SOURCE),

    deleteContent: (viewer: SignedInViewer, args: { ids?: readonly string[] | null; source?: ContentSource | null }) =>
      content.deleteContent(prisma, viewer, args),

    /** Checks, creates the run and its job in one transaction, and returns before any work starts. */
    async startAnalysis(
      viewer: SignedInViewer,
      args: { userAgentId?: string | null; sources?: readonly ContentSource[] | null },
    ): Promise<AnalysisRun> {
      if (args.userAgentId && !isUuid(args.userAgentId)) throw notFound("Agent");
      const userAgent = args.userAgentId
        ? await prisma.userAgent.findFirst({
            where: { id: args.userAgentId, userId: viewer.userId, deletedAt: null },
            select: { id: true, agentId: true },
          })
        : null;
      if (args.userAgentId && !userAgent) throw notFound("Agent");
      const withContent = await prisma.contentItem.groupBy({
        by: ["source"],
        where: { userId: viewer.userId, ...(args.sources?.length ? { source: { in: [...args.sources] } } : {}) },
        _count: { _all: true },
      });
      const sources = args.sources?.length ? [...new Set(args.sources)] : withContent.map((g) => g.source).sort();
      if (withContent.length === 0)
        throw badInput("sources", "There is no content to analyse: import posts or texts first (importContent).");
      await assertQuotaAvailable(prisma, viewer.tenantId, "tokens");
      await limiter.consume(viewer, userAgent?.agentId ?? null);
      const queue = await jobs.queue();
      // Outside the transaction: creating the queue there would wait on the connection it holds (PGlite).
      await queue.ensureQueue(queueName);
      const run = await prisma.$transaction(async (tx) => {
        const created = await tx.analysisRun.create({
          data: {
            userId: viewer.userId,
            tenantId: viewer.tenantId,
            userAgentId: userAgent?.id ?? null,
            sources,
            message: "Waiting for a worker",
          },
        });
        await queue.send<RunJob>(
          queueName,
          { runId: created.id },
          {
            db: transactionDb(tx),
            singletonKey: created.id,
            groupId: viewer.tenantId,
            heartbeatSeconds: jobs.heartbeatSeconds,
            // Crashes are found by the heartbeat; this only bounds a run that hangs while beating.
            expireInSeconds: 6 * 3600,
            // The handler decides when to give up (ANALYSIS_MAX_ATTEMPTS); pg-boss must not first.
            retryLimit: config.ANALYSIS_MAX_ATTEMPTS + 2,
            retryDelay: 1,
            retryBackoff: true,
          },
        );
        return created;
      });
      publish(pubsub, toEvent(run));
      return run;
    },

    /** Stops a run: at once if no worker has it, else as soon as its worker hears of it. */
    async cancelAnalysis(viewer: SignedInViewer, runId: string): Promise<AnalysisRun> {
      if (!isUuid(runId)) throw notFound("Analysis run");
      const run = await prisma.analysisRun.findUnique({ where: { id: runId } });
      if (!run) throw notFound("Analysis run");
      if (run.userId !== viewer.userId) throw forbidden("Only the owner can cancel an analysis.");
      if (isTerminal(run.status)) return run;
      const cancelled = await cancelQueued(prisma, runId);
      if (cancelled) publish(pubsub, cancelled);
      else {
        await prisma.analysisRun.updateMany({
          where: { id: runId, status: "running", cancelRequestedAt: null },
          data: { cancelRequestedAt: new Date() },
        });
        local.get(runId)?.abort(new RunInterrupted("cancel"));
        pubsub.publish("analysis:cancel", runId, { runId });
      }
      return prisma.analysisRun.findUniqueOrThrow({ where: { id: runId } });
    },

    /** The run's current state, then each change in order; authorised before it resolves. */
    async progress(viewer: Viewer, runId: string): Promise<AsyncIterableIterator<RunEvent>> {
      if (!isUuid(runId)) throw notFound("Analysis run");
      const stream = new RunProgressStream(() => eventOf(runId));
      // Listening starts before the read, so nothing published from here on is missed.
      stream.listening(runEvents.listen(runId, stream));
      try {
        const run = await initialRun(runId);
        if (!run) throw notFound("Analysis run");
        if (!canSeeRun(viewer, run)) throw forbidden();
        stream.start(eventOfRow(run), run.tenantId);
        return stream;
      } catch (err) {
        stream.cancel();
        throw err;
      }
    },

    /** Every change of any of my runs, live. */
    myEvents(viewer: SignedInViewer): AsyncIterableIterator<RunEvent> {
      return new UserEventsStream(pubsub.subscribe("analysis:user", viewer.userId)[Symbol.asyncIterator]());
    },

    /** Starts this instance's analysis worker (RUN_WORKER). */
    async startWorker(): Promise<void> {
      if (working) return;
      working = true;
      const queue = await jobs.queue();
      await queue.work<RunJob>(
        queueName,
        // A job fetched while the app stops goes back at once rather than holding up the shutdown.
        async (job) => {
          if (stopping) throw new RunInterrupted("shutdown");
          await executeRun(pipeline, job.data.runId, job.signal, local);
        },
        {
          concurrency: config.WORKER_CONCURRENCY,
          groupConcurrency: config.ANALYSIS_CONCURRENCY_PER_TENANT,
        },
      );
    },

    /** Interrupts this instance's runs; their jobs fail and are resumed by a worker that stays. */
    interruptRuns(): void {
      stopping = true;
      for (const c of local.values()) c.abort(new RunInterrupted("shutdown"));
    },

    /** Ends the scoring thread, once the runs are interrupted. */
    close: () => scoringThread.close(),
  };
}

export type AnalysisService = ReturnType<typeof createAnalysisService>;
