// The offline embedder's word vectors: the compact file (server/services/word-vectors.ts) against
// wink-nlp given the package's JSON, as the embedder was before. Each measure runs in a fresh
// process of its own, the variants interleaved run by run, and prints the machine's load beside it:
// 1. the first embedding in a fresh process: resident memory it adds, its CPU and wall time;
// 2. embedding once warm: CPU per text over a batch of memory-like texts;
// 3. the lookup structure for the compact file: the sorted table with binary search it uses,
//    against a Map of the 341k words to their rows (memory, time to build, time per lookup).
// Usage: npm run bench:word-vectors   (RUNS=5 for more runs)
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import path from "node:path";

const here = path.resolve(import.meta.dirname, "..");
const runs = Number(process.env.RUNS ?? 3);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");

const TEXTS = [
  "Has two cats and a dog at home",
  "Works as a tax accountant in Munich",
  "Prefers answers in German, short and without emoji",
  "Allergic to peanuts; carries an EpiPen.",
  "User's daughter starts school in September",
  "Likes hiking, climbing, skiing and ice-skating in the Alps.",
  "Vegetarian since 2019, avoids fish and gelatine",
  "Is learning Spanish and practises every evening after dinner with a tutor from Madrid",
];

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const rssMb = () => process.memoryUsage().rss / 2 ** 20;

/** Runs in the child: one measure of one variant, printed as JSON. */
async function child(measure: string, variant: string) {
  if (measure === "first" || measure === "warm") {
    let embed: (texts: string[]) => Promise<number[][]>;
    if (variant === "json") {
      const { winkJsonEmbedder } = await import("../test/support/wink-json-embedder.ts");
      let one: ((text: string) => number[]) | undefined;
      embed = async (texts) => {
        one ??= winkJsonEmbedder();
        return texts.map(one);
      };
    } else {
      const { createLocalEmbedder } = await import("../server/services/embeddings.ts");
      embed = createLocalEmbedder().embed;
    }
    const rss0 = rssMb();
    const cpu0 = cpu();
    const t0 = performance.now();
    await embed([TEXTS[0]!]);
    const first = { addedMb: rssMb() - rss0, cpuMs: cpu() - cpu0, wallMs: performance.now() - t0, rssMb: rssMb() };
    if (measure === "first") return first;
    const batch = Array.from({ length: 2000 }, (_, i) => `${TEXTS[i % TEXTS.length]} ${i}`);
    const cpu1 = cpu();
    // One text per call, as createMemory embeds.
    for (const text of batch) await embed([text]);
    return { ...first, cpuUsPerText: ((cpu() - cpu1) * 1000) / batch.length };
  }
  const { openWordVectors } = await import("../server/services/word-vectors.ts");
  const rss0 = rssMb();
  const heap0 = process.memoryUsage().heapUsed;
  const cpu0 = cpu();
  const table = await openWordVectors();
  let indexOf = (w: string) => table.indexOf(w);
  if (variant === "map") {
    // The same rows, keyed by the words themselves.
    const rows = new Map<string, number>();
    for (let row = 0; row < table.size; row++) rows.set(table.wordAt(row), row);
    indexOf = (w) => rows.get(w) ?? -1;
  }
  globalThis.gc?.();
  const built = {
    buildCpuMs: cpu() - cpu0,
    addedMb: rssMb() - rss0,
    heapAddedMb: (process.memoryUsage().heapUsed - heap0) / 2 ** 20,
  };
  // Lookups as the embedder makes them: mostly words the table has, a fifth it does not.
  const queries: string[] = [];
  for (let row = 0; row < table.size; row += 7)
    queries.push(row % 5 === 0 ? `${table.wordAt(row)}zq` : table.wordAt(row));
  const cpu1 = cpu();
  let found = 0;
  for (let round = 0; round < 10; round++) for (const q of queries) if (indexOf(q) >= 0) found++;
  return { ...built, nsPerLookup: ((cpu() - cpu1) * 1e6) / (queries.length * 10), found };
}

if (process.argv[2] === "--child") {
  const [, , , measure, variant] = process.argv;
  console.log(JSON.stringify(await child(measure!, variant!)));
} else {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const fmt = (xs: number[], digits = 0) =>
    `${median(xs).toFixed(digits)} (all: ${xs.map((x) => x.toFixed(digits)).join(", ")})`;
  const measures: [string, string[]][] = [
    ["first", ["json", "compact"]],
    ["warm", ["json", "compact"]],
    ["lookup", ["sorted", "map"]],
  ];
  // Made before any child runs, so that no measure includes making it.
  const { ensureWordVectors } = await import("../server/services/word-vectors.ts");
  await ensureWordVectors({ current: true });
  console.log(`load before: ${load()}`);
  for (const [measure, variants] of measures) {
    const results = new Map(variants.map((v) => [v, [] as Record<string, number>[]]));
    for (let i = 0; i < runs; i++) {
      for (const variant of variants) {
        const r = spawnSync(
          process.execPath,
          ["--expose-gc", path.join(here, "bench/word-vectors.ts"), "--child", measure, variant],
          { cwd: here, encoding: "utf8", maxBuffer: 1 << 20 },
        );
        if (r.status !== 0) throw new Error(`${measure} ${variant}: ${r.stderr}`);
        results.get(variant)!.push(JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Record<string, number>);
      }
    }
    console.log(`${measure} (median of ${runs} fresh processes; load now ${load()})`);
    for (const [variant, rs] of results) {
      const keys = Object.keys(rs[0]!).filter((k) => k !== "found");
      console.log(
        `  ${variant}: ${keys
          .map(
            (k) =>
              `${k} ${fmt(
                rs.map((r) => r[k]!),
                k.endsWith("Ms") || k.endsWith("Mb") ? 0 : 2,
              )}`,
          )
          .join("; ")}`,
      );
    }
  }
  console.log(`load after: ${load()}`);
}
