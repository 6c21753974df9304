// What a worker does with one run: queued → collecting → analyzing:<source> (in parallel) →
// aggregating → complete | failed | cancelled. Every step is persisted before it is published, so
// a worker that dies leaves a run the next attempt resumes from the database: sources with a
// stored result are not scored again, percent never goes back, usage is accounted once.
import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../../config.ts";
import { AppError, quotaExceeded } from "../../errors.ts";
import type { AnalysisRun, ContentSource, Prisma, PrismaClient } from "../../generated/prisma/client.ts";
import { type Change, changeOf, transact } from "../../live/changes.ts";
import type { Logger } from "../../logger.ts";
import type { PubSub } from "../../pubsub.ts";
import { analysisFinished } from "../notifications/events.ts";
import { consumeQuota, quotaCovering } from "../quota.ts";
import { ScorerError } from "./openai-scorer.ts";
import { claim, isTerminal, type Patch, publish, type RunEvent, toEvent, transition } from "./run-store.ts";
import { aggregate, overall, type ScoreItem, type Scorer, type SourceScore } from "./scorer.ts";

export interface PipelineDeps {
  prisma: PrismaClient;
  pubsub: PubSub;
  logger: Logger;
  config: Pick<
    Config,
    | "ANALYSIS_BATCH_SIZE"
    | "ANALYSIS_STEP_DELAY_MS"
    | "ANALYSIS_CANCEL_POLL_MS"
    | "ANALYSIS_MAX_ATTEMPTS"
    | "SCORER_COST_PER_1K_TOKENS"
  >;
  makeScorer(instructions: string | null): Scorer;
}

/** Why a run's work stopped early: asked to, the process is going away, or another attempt owns it. */
export class RunInterrupted extends Error {
  override name = "RunInterrupted";
  constructor(readonly kind: "cancel" | "shutdown" | "lost") {
    super(`analysis run interrupted: ${kind}`);
  }
}

type Outcome = "complete" | "failed" | "cancelled";

/**
 * Prisma waits 2 s for a connection by default: under load (hundreds of pollers on the pool) a
 * step would fail and the whole attempt be retried for want of a connection, not for an error.
 */
const TX = { maxWait: 15_000, timeout: 30_000 } as const;

/** Runs of this process, so a cancel asked here stops its run without a round trip. */
export type LocalRuns = Map<string, AbortController>;

/**
 * Executes (or resumes) one run. Returns when the run is finished or no longer this attempt's;
 * throws to have the job retried later (shutdown, a transient scorer failure).
 */
export async function executeRun(deps: PipelineDeps, runId: string, jobSignal: AbortSignal, local: LocalRuns) {
  const { prisma, pubsub } = deps;
  const before = await prisma.analysisRun.findUnique({ where: { id: runId } });
  if (!before || isTerminal(before.status)) return;
  // A predecessor may have died between its commit and its publish: say the last state again.
  // Subscribers that have it already drop it by seq.
  if (before.status === "running") publish(pubsub, toEvent(before));
  const claimed = await claim(prisma, runId);
  if (!claimed) return;
  publish(pubsub, claimed);

  const run = new RunExecution(deps, before, claimed.attempts);
  const stop = new AbortController();
  local.get(runId)?.abort(new RunInterrupted("lost"));
  local.set(runId, stop);
  const signal = AbortSignal.any([stop.signal, jobSignal]);
  // A cancel asked on any instance arrives through the pub/sub at once. The poll is the safety
  // net: it sees a cancel whose message was lost, and a run taken over by another attempt.
  const cancels = pubsub.subscribe("analysis:cancel", runId);
  void (async () => {
    for await (const _ of cancels) return stop.abort(new RunInterrupted("cancel"));
  })();
  const poll = setInterval(() => {
    prisma.analysisRun
      .findUnique({ where: { id: runId }, select: { attempts: true, status: true, cancelRequestedAt: true } })
      .then((r) => {
        if (!r || r.attempts !== claimed.attempts || r.status !== "running") stop.abort(new RunInterrupted("lost"));
        else if (r.cancelRequestedAt) stop.abort(new RunInterrupted("cancel"));
      })
      .catch(() => {});
  }, deps.config.ANALYSIS_CANCEL_POLL_MS);
  poll.unref();

  try {
    if (before.cancelRequestedAt) throw new RunInterrupted("cancel");
    if (claimed.attempts > deps.config.ANALYSIS_MAX_ATTEMPTS) {
      await run.finish("failed", "INTERNAL", `The analysis was interrupted ${claimed.attempts - 1} times; giving up.`);
      return;
    }
    await run.execute(signal);
  } catch (err) {
    const reason: unknown = stop.signal.aborted
      ? stop.signal.reason
      : jobSignal.aborted
        ? new RunInterrupted("shutdown")
        : err;
    if (reason instanceof RunInterrupted) {
      if (reason.kind === "cancel") return void (await run.finish("cancelled", null, "Cancelled"));
      if (reason.kind === "lost") return;
      throw reason;
    }
    if (reason instanceof AppError && reason.extensions.code === "QUOTA_EXCEEDED") {
      return void (await run.finish("failed", "QUOTA_EXCEEDED", reason.message));
    }
    const code = reason instanceof ScorerError ? "SCORER_ERROR" : "INTERNAL";
    const message = reason instanceof Error ? reason.message : String(reason);
    if (claimed.attempts >= deps.config.ANALYSIS_MAX_ATTEMPTS) {
      await run.finish("failed", code, `The analysis failed: ${message}`);
      return;
    }
    deps.logger.warn({ err: reason, runId, attempt: claimed.attempts }, "analysis attempt failed; will retry");
    await run.write({ message: `Attempt ${claimed.attempts} failed (${message}); retrying` }).catch(() => {});
    throw reason;
  } finally {
    clearInterval(poll);
    void cancels.return?.();
    if (local.get(runId) === stop) local.delete(runId);
  }
}

class RunExecution {
  private chain: Promise<unknown> = Promise.resolve();
  private scorer: Scorer | null = null;
  private total = 0;
  private done = 0;

  constructor(
    private readonly deps: PipelineDeps,
    private readonly run: AnalysisRun,
    private readonly attempt: number,
  ) {}

  /** Serialises this run's writes so they commit, and are published, in seq order. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => {});
    return p;
  }

  write(patch: Patch): Promise<RunEvent> {
    return this.serial(async () => {
      const event = await transition(this.deps.prisma, this.run.id, this.attempt, patch);
      if (!event) throw new RunInterrupted("lost");
      publish(this.deps.pubsub, event);
      return event;
    });
  }

  private percent() {
    return 5 + Math.floor((85 * this.done) / Math.max(1, this.total));
  }

  async execute(signal: AbortSignal) {
    const { prisma } = this.deps;
    const { run } = this;
    const agent = run.userAgentId
      ? await prisma.userAgent.findUnique({
          where: { id: run.userAgentId },
          select: { customSystemPrompt: true, agent: { select: { systemPrompt: true } } },
        })
      : null;
    const scorer = this.deps.makeScorer(agent?.customSystemPrompt ?? agent?.agent.systemPrompt ?? null);
    this.scorer = scorer;

    // Content imported after the run started is not part of it, so a resumed run sees what the first attempt saw.
    const items = await prisma.contentItem.findMany({
      where: { userId: run.userId, source: { in: run.sources }, createdAt: { lte: run.createdAt } },
      select: { id: true, source: true, text: true },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    const bySource = new Map<ContentSource, ScoreItem[]>(run.sources.map((s) => [s, []]));
    for (const i of items) bySource.get(i.source)?.push({ id: i.id, text: i.text });
    const stored = await prisma.analysisResult.findMany({ where: { runId: run.id }, select: { source: true } });
    const finished = new Set(stored.map((r) => r.source));
    const pending = run.sources.filter((s) => !finished.has(s));
    this.total = items.length;
    this.done = items.filter((i) => finished.has(i.source)).length;

    const estimate = pending.reduce((n, s) => n + scorer.estimateTokens(bySource.get(s) ?? []), 0);
    await this.assertQuotaLeft(estimate);
    await this.write({
      stage: "collecting",
      percent: 5,
      scorer: scorer.name,
      itemsDone: this.done,
      itemsTotal: this.total,
      message: null,
    });

    // Sources in parallel; the first failure stops its siblings, and all have stopped before the run is finished.
    const siblings = new AbortController();
    const both = AbortSignal.any([signal, siblings.signal]);
    let firstFailure: { err: unknown } | null = null;
    await Promise.allSettled(
      pending.map((source) =>
        this.analyzeSource(source, bySource.get(source) ?? [], scorer, both).catch((err: unknown) => {
          if (!firstFailure) {
            firstFailure = { err };
            siblings.abort(err);
          }
          throw err;
        }),
      ),
    );
    signal.throwIfAborted();
    if (firstFailure) throw (firstFailure as { err: unknown }).err;

    await this.write({ stage: "aggregating", percent: 92, itemsDone: this.total, itemsTotal: this.total });
    await this.complete();
  }

  private async assertQuotaLeft(estimate: number) {
    const quota = await quotaCovering(this.deps.prisma, this.run.tenantId, "tokens");
    if (!quota) return;
    const left = Number(quota.quotaLimit - quota.currentUsage);
    if (estimate > left) {
      throw quotaExceeded(
        `This analysis needs about ${estimate} tokens, but the workspace has ${Math.max(0, left)} of its ${quota.quotaLimit} tokens left until ${quota.periodEnd.toISOString().slice(0, 10)}. Ask an admin to raise the quota, or analyse fewer sources.`,
      );
    }
  }

  private async analyzeSource(source: ContentSource, items: ScoreItem[], scorer: Scorer, signal: AbortSignal) {
    const { ANALYSIS_BATCH_SIZE: size, ANALYSIS_STEP_DELAY_MS: delay } = this.deps.config;
    const flags: { id: string; reasons: SourceScore["flaggedItems"][number]["reasons"] }[] = [];
    let tokens = 0;
    for (let i = 0; i < items.length; i += size) {
      signal.throwIfAborted();
      const batch = items.slice(i, i + size);
      const scored = await scorer.scoreBatch(source, batch, signal);
      flags.push(...scored.flags);
      tokens += scored.tokens;
      this.done += batch.length;
      if (i + size < items.length) {
        // The last batch is reported by the result itself, below.
        await this.write({
          stage: `analyzing:${source}`,
          percent: this.percent(),
          itemsDone: i + batch.length,
          itemsTotal: items.length,
        });
        if (delay > 0) await sleep(delay, undefined, { signal });
      }
    }
    signal.throwIfAborted();
    await this.saveResult(source, aggregate(source, items, flags), tokens, items.length);
  }

  /** First write wins: a source scored again by a resumed attempt keeps its stored result and tokens. */
  private saveResult(source: ContentSource, score: SourceScore, tokens: number, count: number) {
    const { prisma } = this.deps;
    const { run } = this;
    return this.serial(async () => {
      const event = await prisma.$transaction(async (tx) => {
        const existing = await tx.analysisResult.findUnique({
          where: { runId_source: { runId: run.id, source } },
          select: { id: true },
        });
        if (!existing) {
          await tx.analysisResult.create({
            data: {
              runId: run.id,
              userId: run.userId,
              tenantId: run.tenantId,
              source,
              riskScore: score.riskScore,
              grade: score.grade,
              itemCount: score.itemCount,
              flaggedItems: score.flaggedItems as unknown as Prisma.InputJsonValue,
              summary: score.summary,
            },
          });
          await tx.$executeRaw`UPDATE analysis_runs SET tokens_used = tokens_used + ${tokens}::int WHERE id = ${run.id}::uuid`;
        }
        const e = await transition(tx, run.id, this.attempt, {
          stage: `analyzing:${source}`,
          percent: this.percent(),
          itemsDone: count,
          itemsTotal: count,
        });
        if (!e) throw new RunInterrupted("lost");
        return e;
      }, TX);
      publish(this.deps.pubsub, event);
    });
  }

  private complete() {
    const { prisma } = this.deps;
    const { run } = this;
    return this.serial(async () => {
      const event = await transact(
        prisma,
        async (tx, note) => {
          const results = await tx.analysisResult.findMany({
            where: { runId: run.id },
            select: { riskScore: true, itemCount: true },
          });
          const o = overall(results);
          const { tokensUsed } = await tx.analysisRun.findUniqueOrThrow({
            where: { id: run.id },
            select: { tokensUsed: true },
          });
          note(...(await this.account(tx, "complete", tokensUsed)));
          const e = await transition(tx, run.id, this.attempt, {
            status: "complete",
            stage: "complete",
            percent: 100,
            overallScore: o.score,
            overallGrade: o.grade,
            finished: true,
            itemsDone: this.total,
            itemsTotal: this.total,
            message: null,
          });
          if (!e) throw new RunInterrupted("lost");
          return e;
        },
        TX,
      );
      publish(this.deps.pubsub, event);
    });
  }

  /** Ends the run as failed or cancelled, accounting what was spent on it. */
  finish(status: Exclude<Outcome, "complete">, errorCode: string | null, message: string) {
    const { prisma } = this.deps;
    const { run } = this;
    return this.serial(async () => {
      const event = await transact(
        prisma,
        async (tx, note) => {
          // Unpaid work is not handed out: results of a run refused by the quota go.
          if (errorCode === "QUOTA_EXCEEDED") await tx.analysisResult.deleteMany({ where: { runId: run.id } });
          const { tokensUsed } = await tx.analysisRun.findUniqueOrThrow({
            where: { id: run.id },
            select: { tokensUsed: true },
          });
          note(...(await this.account(tx, status, tokensUsed)));
          return transition(tx, run.id, this.attempt, {
            status,
            stage: status,
            message,
            finished: true,
            ...(errorCode ? { errorCode, errorMessage: message } : {}),
          });
        },
        TX,
      );
      if (event) publish(this.deps.pubsub, event);
    });
  }

  /**
   * The vital seed's agent usage flow (UserAgent counters, a UsageLog row, the tenant quota),
   * exactly once per run: usage_accounted_at is claimed in the same transaction, and the unique
   * analysisRunId on UsageLog would refuse a second row anyway. Returns the changes to publish
   * once the caller's transaction has committed.
   */
  private async account(tx: Prisma.TransactionClient, outcome: Outcome, tokens: number): Promise<(Change | null)[]> {
    const { run } = this;
    const claimedRows = await tx.$queryRaw<{ id: string }[]>`
      UPDATE analysis_runs SET usage_accounted_at = now()
      WHERE id = ${run.id}::uuid AND usage_accounted_at IS NULL RETURNING id`;
    if (claimedRows.length === 0) return [];
    const changes: (Change | null)[] =
      outcome === "cancelled" ? [] : await analysisFinished(tx, run, outcome, new Date());
    const scorer = this.scorer ?? this.deps.makeScorer(null);
    const cost = Math.round((tokens / 1000) * this.deps.config.SCORER_COST_PER_1K_TOKENS * 1e6) / 1e6;
    const now = new Date();
    if (tokens > 0) {
      const log = await tx.usageLog.create({
        data: {
          userId: run.userId,
          tenantId: run.tenantId,
          userAgentId: run.userAgentId,
          analysisRunId: run.id,
          provider: scorer.provider,
          model: scorer.model,
          tokensUsed: tokens,
          cost,
        },
      });
      changes.push(changeOf("UsageLog", "create", log));
    }
    if (run.userAgentId && (outcome !== "cancelled" || tokens > 0)) {
      await tx.userAgent.updateMany({
        where: { id: run.userAgentId },
        data: {
          usageCount: { increment: 1 },
          ...(outcome === "complete" ? { successCount: { increment: 1 } } : {}),
          ...(outcome === "failed" ? { errorCount: { increment: 1 } } : {}),
          totalTokensUsed: { increment: BigInt(tokens) },
          totalCostUsd: { increment: cost },
          lastUsedAt: now,
        },
      });
      await tx.userAgent.updateMany({ where: { id: run.userAgentId, firstUsedAt: null }, data: { firstUsedAt: now } });
      changes.push(
        changeOf("UserAgent", "update", { id: run.userAgentId, tenantId: run.tenantId, userId: run.userId }),
      );
    }
    if (tokens === 0) return changes;
    // Refuses the whole transaction when the quota cannot take it (the caller then fails the run);
    // work spent on a failed or cancelled run is charged, but never past the limit.
    changes.push(
      ...(await consumeQuota(tx, run.tenantId, "tokens", tokens, outcome === "complete" ? {} : { capAtLimit: true })),
    );
    return changes;
  }
}
