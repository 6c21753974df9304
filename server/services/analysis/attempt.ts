// One attempt at a run: claim it, follow cancels (pub/sub at once, a poll as the safety net), and
// decide what a failure means: finish the run, give up after too many attempts, or have the job
// retried. The work itself is the pipeline's (pipeline.ts).
import { AppError } from "../../errors.ts";
import { ScorerError } from "./openai-scorer.ts";
import { type PipelineDeps, RunExecution, RunInterrupted } from "./pipeline.ts";
import { claim, isTerminal, publish, toEvent } from "./run-store.ts";

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
