// What a worker does with one run: queued → collecting → analyzing:<source> (in parallel) →
// aggregating → complete | failed | cancelled. Every step is persisted before it is published, so
// a worker that dies leaves a run the next attempt resumes from the database: sources with a
// stored result are not scored again, percent never goes back, usage is accounted once
// (accounting.ts). One attempt's claim, cancels and failures are attempt.ts's.
import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../../config.ts";
import { quotaExceeded } from "../../errors.ts";
import type { AnalysisRun, ContentSource, Prisma, PrismaClient } from "../../generated/prisma/client.ts";
import { transact } from "../../live/changes.ts";
import type { Logger } from "../../logger.ts";
import type { PubSub } from "../../pubsub.ts";
import { ymd } from "../../viewer.ts";
import { quotaCovering } from "../quota.ts";
import { accountRun, type Outcome } from "./accounting.ts";
import { type Patch, publish, type RunEvent, transition } from "./run-store.ts";
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

/**
 * Prisma waits 2 s for a connection by default: under load (hundreds of pollers on the pool) a
 * step would fail and the whole attempt be retried for want of a connection, not for an error.
 */
const TX = { maxWait: 15_000, timeout: 30_000 } as const;

export class RunExecution {
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
        `This analysis needs about ${estimate} tokens, but the workspace has ${Math.max(0, left)} of its ${quota.quotaLimit} tokens left until ${ymd(quota.periodEnd)}. Ask an admin to raise the quota, or analyse fewer sources.`,
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
          note(...(await this.account(tx, "complete")));
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
          note(...(await this.account(tx, status)));
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

  /** What the run spent, read in the transaction that ends it, so no late token count escapes the bill. */
  private async account(tx: Prisma.TransactionClient, outcome: Outcome) {
    const { tokensUsed } = await tx.analysisRun.findUniqueOrThrow({
      where: { id: this.run.id },
      select: { tokensUsed: true },
    });
    const scorer = this.scorer ?? this.deps.makeScorer(null);
    return accountRun(tx, this.run, scorer, this.deps.config.SCORER_COST_PER_1K_TOKENS, outcome, tokensUsed);
  }
}
