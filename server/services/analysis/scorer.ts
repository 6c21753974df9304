import { Tinypool } from "tinypool";
import type { ContentSource } from "../../generated/prisma/client.ts";
import { assess, type FlagReason } from "./risk/assess.ts";
import { type RiskModel, riskModel } from "./risk/model.ts";

export type { FlagReason };

export interface ScoreItem {
  id: string;
  text: string;
}

/** One reason an item was flagged: the rule, what matched and why it matters. */
export interface FlaggedItem {
  contentItemId: string;
  excerpt: string;
  score: number;
  reasons: FlagReason[];
}

export interface BatchScore {
  flags: { id: string; reasons: FlagReason[] }[];
  tokens: number;
}

/** A scorer turns items into explained flags; grading them is common to every scorer (see aggregate). */
export interface Scorer {
  /** Stored on the run, e.g. "lexicon-v1" or "openai:gpt-4o-mini". */
  readonly name: string;
  readonly provider: string;
  readonly model: string;
  /** Tokens a batch will cost, known before it runs, for the quota check before analysing. */
  estimateTokens(items: readonly ScoreItem[]): number;
  scoreBatch(source: ContentSource, items: readonly ScoreItem[], signal: AbortSignal): Promise<BatchScore>;
}

export interface SourceScore {
  riskScore: number;
  grade: string;
  itemCount: number;
  flaggedItems: FlaggedItem[];
  summary: string;
}

/** Character count / 4 is the usual rule of thumb for English tokens, and what the offline scorer bills. */
export const approxTokens = (text: string) => Math.ceil(text.length / 4);

export function gradeOf(risk: number): string {
  if (risk < 20) return "A";
  if (risk < 40) return "B";
  if (risk < 60) return "C";
  if (risk < 80) return "D";
  return "F";
}

/**
 * Explains every rule a post triggers, flagging or not (see risk/assess.ts). Pure, deterministic:
 * the same text always scores the same.
 */
export function explain(text: string): FlagReason[] {
  return assess(text).reasons;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Stored on each run: results of different rule versions are not comparable. */
export const SCORER_VERSION = "lexicon-v2";

/** One batch for the scoring thread (scoring-thread.ts). */
export interface ScoringTask {
  source: ContentSource;
  items: readonly ScoreItem[];
}

/** What the offline scorer is, wherever it runs. */
const lexicon: Omit<Scorer, "scoreBatch"> = {
  name: SCORER_VERSION,
  provider: "local",
  model: SCORER_VERSION,
  estimateTokens: (items) => items.reduce((n, i) => n + approxTokens(i.text), 0),
};

/**
 * The offline scorer: phrase rules over normalised text and personal-data patterns, then the
 * learned model for what no rule flags (`model: null` leaves it out, to measure the rules alone).
 */
export function createLexiconScorer(opts: { model?: RiskModel | null } = {}): Scorer {
  const model = opts.model === undefined ? riskModel() : opts.model;
  return {
    ...lexicon,
    async scoreBatch(_source, items, signal) {
      signal.throwIfAborted();
      return {
        flags: items.flatMap((i) => {
          const a = assess(i.text, model);
          return a.flagged ? [{ id: i.id, reasons: a.reasons }] : [];
        }),
        tokens: lexicon.estimateTokens(items),
      };
    },
  };
}

/**
 * The offline scorer, run in a worker thread. Its rules are hundreds of large regular expressions,
 * which V8 compiles on their first use (a second and a half of CPU on the first post a server
 * scores), and each post then takes one to two milliseconds. On the server's one thread both held
 * up every request and every subscriber's delivery meanwhile (bench:fanout). One thread, started
 * by the first batch and ended, with the model it holds, after `idleMs` without one.
 */
export function createScoringThread(opts: { idleMs: number; onError(err: unknown): void }): {
  scorer: Scorer;
  close(): Promise<void>;
} {
  // `npm start` runs the server bundled (server/generated/server.mjs), with the thread's own bundle
  // beside it (build:server); run from its sources, the thread loads its TypeScript through tsx too.
  const bundled = import.meta.url.endsWith(".mjs");
  const pool = new Tinypool({
    filename: new URL(bundled ? "./scoring-thread.mjs" : "./scoring-thread.ts", import.meta.url).href,
    execArgv: bundled ? [] : ["--import", "tsx"],
    minThreads: 0,
    maxThreads: 1,
    idleTimeout: opts.idleMs,
  });
  // A thread that dies fails its batch (and so its run); the pool's own report of it must not end the server.
  pool.on("error", opts.onError);
  return {
    scorer: {
      ...lexicon,
      async scoreBatch(source, items, signal) {
        signal.throwIfAborted();
        // An abort stops the wait, not the thread, which finishes the batch (at most a second) and
        // takes the next. Handing the signal to the pool ended the thread instead, and a batch
        // queued meanwhile by another run could be given to the ending thread (by its answer to the
        // aborted batch, already on its way) and fail with it.
        const answer = pool.run({ source, items } satisfies ScoringTask);
        let stop = () => {};
        const aborted = new Promise<never>((_, reject) => {
          stop = () => reject(signal.reason);
        });
        signal.addEventListener("abort", stop, { once: true });
        try {
          // An abandoned batch's later failure (close(), or a thread that died, which the next
          // batch meets) is the race's to swallow: nobody waits for it.
          return await Promise.race([answer, aborted]);
        } finally {
          signal.removeEventListener("abort", stop);
        }
      },
    },
    close: () => pool.destroy(),
  };
}

function excerptOf(text: string, term: string): string {
  const at = text.toLowerCase().indexOf(term.toLowerCase());
  if (text.length <= 160) return text;
  const start = Math.max(0, at - 60);
  return `${start > 0 ? "…" : ""}${text.slice(start, start + 160)}${start + 160 < text.length ? "…" : ""}`;
}

/**
 * Risk of a source from its flagged items: the worst item counts fully, each next one less
 * (x0.7), so one threat outweighs a dozen swear words, and a pattern still adds up.
 */
export function aggregate(
  source: ContentSource,
  items: readonly ScoreItem[],
  flags: readonly { id: string; reasons: FlagReason[] }[],
): SourceScore {
  const byId = new Map(items.map((i) => [i.id, i]));
  const flagged: FlaggedItem[] = flags
    .filter((f) => f.reasons.length > 0 && byId.has(f.id))
    .map((f) => {
      const text = byId.get(f.id)?.text ?? "";
      const top = [...f.reasons].sort((a, b) => b.severity - a.severity);
      return {
        contentItemId: f.id,
        excerpt: excerptOf(text, top[0]?.term ?? ""),
        score: round2(f.reasons.reduce((s, r) => s + r.severity, 0)),
        reasons: top,
      };
    })
    .sort((a, b) => b.score - a.score || a.contentItemId.localeCompare(b.contentItemId));
  const weighted = flagged.reduce((s, f, i) => s + f.score * 0.7 ** i, 0);
  const riskScore = Math.min(100, Math.round(100 * (1 - Math.exp(-weighted / 8))));
  const grade = gradeOf(riskScore);
  const categories = [...new Set(flagged.flatMap((f) => f.reasons.map((r) => r.category)))];
  const summary =
    items.length === 0
      ? `No ${source} content to analyse.`
      : flagged.length === 0
        ? `${items.length} ${source} item${items.length === 1 ? "" : "s"} analysed, nothing flagged.`
        : `${flagged.length} of ${items.length} ${source} items flagged (${categories.join(", ")}); worst: ${flagged[0]?.reasons[0]?.why ?? ""}`;
  return { riskScore, grade, itemCount: items.length, flaggedItems: flagged, summary };
}

/** The run's grade: mostly its worst source, partly the average over items. */
export function overall(results: readonly { riskScore: number; itemCount: number }[]): {
  score: number;
  grade: string;
} {
  if (results.length === 0) return { score: 0, grade: "A" };
  const max = Math.max(...results.map((r) => r.riskScore));
  const items = results.reduce((n, r) => n + r.itemCount, 0);
  const mean = items === 0 ? 0 : results.reduce((s, r) => s + r.riskScore * r.itemCount, 0) / items;
  const score = Math.round(0.7 * max + 0.3 * mean);
  return { score, grade: gradeOf(score) };
}
