// Every visible change of a run goes through here: one UPDATE that bumps `seq` and returns the new
// state, then a publish after commit. `seq` is what lets subscribers order, de-duplicate and
// notice gaps, whichever instance or process made the change.
import { type AnalysisStatus, Prisma, type PrismaClient } from "../../generated/prisma/client.ts";
import type { AnalysisEvent, PubSub } from "../../pubsub.ts";

export const TERMINAL: readonly string[] = ["complete", "failed", "cancelled"];
export const isTerminal = (status: string) => TERMINAL.includes(status);

type Sql = Pick<PrismaClient, "$queryRaw">;

/** An event plus the run's tenant, which authorization of admins needs and subscribers never see. */
export type RunEvent = AnalysisEvent & { tenantId: string };

/** A row as RETURNING gives it: the event's fields and the attempts so far. */
type EventRow = RunEvent & { attempts: number };

/** The event of a run row (or of a RETURNING row, which names the id `runId`). */
export const toEvent = (r: Omit<RunEvent, "runId"> & ({ runId: string } | { id: string })): RunEvent => ({
  runId: "runId" in r ? r.runId : r.id,
  userId: r.userId,
  tenantId: r.tenantId,
  seq: r.seq,
  status: r.status,
  stage: r.stage,
  percent: r.percent,
  itemsDone: r.itemsDone,
  itemsTotal: r.itemsTotal,
  message: r.message,
});

const RETURNING = `RETURNING id AS "runId", user_id AS "userId", tenant_id AS "tenantId", seq, status::text AS status,
  stage, percent, items_done AS "itemsDone", items_total AS "itemsTotal", message, attempts`;

export interface Patch {
  status?: AnalysisStatus;
  stage?: string;
  /** Never lowers the stored percent. */
  percent?: number;
  /** Items done and in all of the stage: the source being analysed, else the whole run. */
  itemsDone?: number;
  itemsTotal?: number;
  /** A note on the run's state; never what it found (results are the owner's only). */
  message?: string | null;
  overallScore?: number;
  overallGrade?: string;
  errorCode?: string;
  errorMessage?: string;
  finished?: boolean;
  scorer?: string;
}

function setClause(p: Patch): Prisma.Sql[] {
  const { sql } = Prisma;
  const sets: Prisma.Sql[] = [sql`seq = seq + 1`, sql`updated_at = now()`];
  if (p.status) sets.push(sql`status = ${p.status}::analysis_status`);
  if (p.stage !== undefined) sets.push(sql`stage = ${p.stage}`);
  if (p.percent !== undefined) sets.push(sql`percent = GREATEST(percent, ${Math.round(p.percent)}::int)`);
  if (p.itemsDone !== undefined) sets.push(sql`items_done = ${p.itemsDone}::int`);
  if (p.itemsTotal !== undefined) sets.push(sql`items_total = ${p.itemsTotal}::int`);
  if (p.message !== undefined) sets.push(sql`message = ${p.message}`);
  if (p.overallScore !== undefined) sets.push(sql`overall_score = ${p.overallScore}::int`);
  if (p.overallGrade !== undefined) sets.push(sql`overall_grade = ${p.overallGrade}`);
  if (p.errorCode !== undefined) sets.push(sql`error_code = ${p.errorCode}`);
  if (p.errorMessage !== undefined) sets.push(sql`error_message = ${p.errorMessage}`);
  if (p.finished) sets.push(sql`finished_at = now()`);
  if (p.scorer !== undefined) sets.push(sql`scorer = ${p.scorer}`);
  return sets;
}

/**
 * Applies a change only while this attempt still owns the run (fencing on `attempts`), so a worker
 * that lost its claim, e.g. to a heartbeat timeout, cannot overwrite its successor. Null: lost.
 */
export async function transition(db: Sql, runId: string, attempt: number, patch: Patch): Promise<RunEvent | null> {
  const { join, raw } = Prisma;
  const rows = await db.$queryRaw<EventRow[]>`
    UPDATE analysis_runs SET ${join(setClause(patch), ", ")}
    WHERE id = ${runId}::uuid AND attempts = ${attempt}::int AND status = 'running'::analysis_status
    ${raw(RETURNING)}`;
  return rows[0] ? toEvent(rows[0]) : null;
}

/** Takes the run for a new attempt: queued or running (a predecessor died), not finished. */
export async function claim(db: Sql, runId: string): Promise<(RunEvent & { attempts: number }) | null> {
  const { raw } = Prisma;
  const rows = await db.$queryRaw<EventRow[]>`
    UPDATE analysis_runs SET
      attempts = attempts + 1,
      seq = seq + 1,
      updated_at = now(),
      started_at = COALESCE(started_at, now()),
      stage = CASE WHEN status = 'queued' THEN 'collecting' ELSE stage END,
      message = CASE WHEN status = 'queued' THEN 'Collecting content'
                     ELSE 'Resuming after an interruption (attempt ' || (attempts + 1) || ')' END,
      status = 'running'::analysis_status
    WHERE id = ${runId}::uuid AND status IN ('queued'::analysis_status, 'running'::analysis_status)
    ${raw(RETURNING)}`;
  const r = rows[0];
  return r ? { ...toEvent(r), attempts: r.attempts } : null;
}

/** Cancels a run no worker has taken yet. Null when a worker has it (or it is finished). */
export async function cancelQueued(db: Sql, runId: string): Promise<RunEvent | null> {
  const { raw } = Prisma;
  const rows = await db.$queryRaw<EventRow[]>`
    UPDATE analysis_runs SET seq = seq + 1, updated_at = now(), status = 'cancelled'::analysis_status,
      stage = 'cancelled', message = 'Cancelled before it started', cancel_requested_at = now(), finished_at = now()
    WHERE id = ${runId}::uuid AND status = 'queued'::analysis_status
    ${raw(RETURNING)}`;
  return rows[0] ? toEvent(rows[0]) : null;
}

export function publish(pubsub: PubSub, event: RunEvent): void {
  const { tenantId: _internal, ...wire } = event;
  pubsub.publish("analysis:run", event.runId, wire);
  pubsub.publish("analysis:user", event.userId, wire);
}
