// Precision, recall and F1 of the offline risk scorer on the labelled posts in test/fixtures,
// per category and overall, with every false positive and false negative, and its speed.
// The scorer runs through the same Scorer interface the analysis pipeline uses.
//   npm run eval:scorer                 held-out splits (holdout, blind, blind2, blind3, fresh), then
//                                       the training splits (dev, dev2, dev3)
//   npm run eval:scorer -- --split dev  one split; --quiet leaves out the confusion lists;
//   --rules-only leaves out the learned model
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { createLexiconScorer, type ScoreItem } from "../server/services/analysis/scorer.ts";

interface Labelled {
  text: string;
  risky: boolean;
  category: string;
}

const { values: args } = parseArgs({
  options: {
    split: { type: "string" },
    quiet: { type: "boolean", default: false },
    "rules-only": { type: "boolean", default: false },
  },
});
const SPLITS = args.split ? [args.split] : ["holdout", "blind", "blind2", "blind3", "fresh", "dev", "dev2", "dev3"];

function load(split: string): Labelled[] {
  const file = new URL(`../test/fixtures/risk-posts.${split}.jsonl`, import.meta.url);
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Labelled);
}

const scorer = createLexiconScorer(args["rules-only"] ? { model: null } : {});
const never = new AbortController().signal;

async function flaggedIds(items: ScoreItem[]) {
  const { flags } = await scorer.scoreBatch("twitter", items, never);
  return new Map(flags.map((f) => [f.id, f.reasons]));
}

interface Counts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}
const metrics = ({ tp, fp, fn }: Counts) => {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
};
const pct = (n: number) => n.toFixed(2).padStart(6);

/** Per category, summed over the held-out splits: the figure the goal is stated on. */
const HELD_OUT = ["holdout", "blind", "blind2", "blind3", "fresh"];
const heldOut = new Map<string, Counts>();

function printTable(byCategory: Map<string, Counts>, total: Counts) {
  console.log(`${"category".padEnd(16)} precision recall     F1   tp  fp  fn  tn`);
  for (const [cat, c] of [...byCategory].sort(([a], [b]) => a.localeCompare(b))) {
    const m = metrics(c);
    console.log(
      `${cat.padEnd(16)} ${pct(m.precision)}    ${pct(m.recall)} ${pct(m.f1)} ${[c.tp, c.fp, c.fn, c.tn].map((n) => String(n).padStart(4)).join("")}`,
    );
  }
  const m = metrics(total);
  console.log(
    `${"OVERALL".padEnd(16)} ${pct(m.precision)}    ${pct(m.recall)} ${pct(m.f1)} ${[total.tp, total.fp, total.fn, total.tn].map((n) => String(n).padStart(4)).join("")}`,
  );
}

async function evaluate(split: string) {
  const data = load(split);
  const items = data.map((d, i) => ({ id: String(i), text: d.text }));
  const flags = await flaggedIds(items);
  const byCategory = new Map<string, Counts>();
  const total: Counts = { tp: 0, fp: 0, fn: 0, tn: 0 };
  const confusion: string[] = [];
  let rightCategory = 0;
  data.forEach((d, i) => {
    const reasons = flags.get(String(i));
    const c = byCategory.get(d.category) ?? { tp: 0, fp: 0, fn: 0, tn: 0 };
    byCategory.set(d.category, c);
    const key = reasons ? (d.risky ? "tp" : "fp") : d.risky ? "fn" : "tn";
    c[key]++;
    total[key]++;
    if (key === "tp" && reasons?.some((r) => r.category === d.category)) rightCategory++;
    if (key === "fp")
      confusion.push(`  FP [${d.category}] ${d.text}\n       <- ${reasons?.[0]?.rule}: "${reasons?.[0]?.term}"`);
    if (key === "fn") confusion.push(`  FN [${d.category}] ${d.text}`);
  });
  const positives = data.filter((d) => d.risky).length;
  console.log(`\n== ${split}: ${data.length} posts (${positives} risky, ${data.length - positives} harmless)`);
  printTable(byCategory, total);
  if (HELD_OUT.includes(split))
    for (const [cat, c] of byCategory) {
      const sum = heldOut.get(cat) ?? { tp: 0, fp: 0, fn: 0, tn: 0 };
      heldOut.set(cat, { tp: sum.tp + c.tp, fp: sum.fp + c.fp, fn: sum.fn + c.fn, tn: sum.tn + c.tn });
    }
  console.log(`flagged risky posts whose reasons name their own category: ${rightCategory}/${total.tp}`);
  const byModel = [...flags.values()].filter((r) => r.some((x) => x.rule.startsWith("model."))).length;
  console.log(`flags raised by the learned model (no rule flagged): ${byModel}/${flags.size}`);
  if (!args.quiet && confusion.length) console.log(`confusion (${confusion.length}):\n${confusion.join("\n")}`);
  return items;
}

/** Items per second on one core: the scorer is synchronous CPU work, so this thread is one core. */
async function throughput(items: ScoreItem[]) {
  const batch = 20;
  const run = async () => {
    for (let i = 0; i < items.length; i += batch) await scorer.scoreBatch("twitter", items.slice(i, i + batch), never);
  };
  for (let i = 0; i < 3; i++) await run(); // warm-up: compile the regular expressions and JIT
  let scored = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  // Until the process has had 2 s of CPU (or 60 s have passed): enough samples under any load.
  const cpuMs = () => {
    const u = process.cpuUsage(cpu);
    return (u.user + u.system) / 1000;
  };
  while (cpuMs() < 2000 && performance.now() - started < 60_000) {
    await run();
    scored += items.length;
  }
  const seconds = (performance.now() - started) / 1000;
  // On a shared machine the wall clock counts the time other processes held the core; the
  // process's own CPU time is what one core of its own would take.
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  console.log(
    `\nthroughput: ${Math.round(scored / seconds)} items/s wall clock, ${Math.round(scored / cpuSeconds)} items per CPU second on one core (${scored} items in ${seconds.toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} s CPU, batches of ${batch}; load average ${(loadavg()[0] ?? 0).toFixed(2)} on ${availableParallelism()} cores)`,
  );
}

const all: ScoreItem[] = [];
for (const split of SPLITS) all.push(...(await evaluate(split)));
const heldOutRun = SPLITS.filter((s) => HELD_OUT.includes(s));
if (heldOutRun.length > 1) {
  const total = [...heldOut.values()].reduce(
    (a, c) => ({ tp: a.tp + c.tp, fp: a.fp + c.fp, fn: a.fn + c.fn, tn: a.tn + c.tn }),
    { tp: 0, fp: 0, fn: 0, tn: 0 },
  );
  console.log(`\n== held-out splits together (${heldOutRun.join(", ")})`);
  printTable(heldOut, total);
}
await throughput(all);
