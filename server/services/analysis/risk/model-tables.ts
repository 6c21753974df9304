// The risk model's tables (model.ts), built from the committed files. Building them is about a
// second of CPU, all of it synchronous; on the event loop of a server that already delivers other
// runs' progress it stalled every subscriber for that long (bench:fanout). So the worker loads
// them in a worker thread (`buildInWorker`) and the event loop only receives the result.
// This file runs as that thread's script with Node's own type stripping (npm start serves a bundle
// that has no copy of it, the image keeps server/ sources): erasable syntax and node: imports only.
import { readFileSync } from "node:fs";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

/** One naive Bayes classifier's weights, summed once per word (NaiveBayes in model.ts reads them). */
export interface NaiveBayesTables {
  /** wink-naive-bayes-text-classifier's exportJSON(), for asking the library itself (a test does). */
  json: string;
  labels: string[];
  /** Per label, log2 of its odds among the training samples. */
  priors: Float64Array;
  /** The row of each known word in `against`. */
  index: Map<string, number>;
  /** Row per known word, column per label: log2 P(word | label) - log2 P(word | every other label). */
  against: Float64Array;
  /** Per label but "ok", per word it has: log2 P(word | label) - log2 P(word | ok). */
  weights: Map<string, Map<string, number>>;
}

/** wink-naive-bayes-text-classifier's exportJSON(): config, samples, counts, word totals, vocabulary. */
type Exported = [
  { considerOnlyPresence: boolean; smoothingFactor: number },
  Record<string, number>,
  Record<string, Record<string, number>>,
  Record<string, number>,
  string[],
];

const own = (o: Record<string, number>, w: string): number => (Object.hasOwn(o, w) ? (o[w] as number) : 0);

export function buildTables(json: string): NaiveBayesTables {
  const [config, samples, counts, totals, vocabulary] = JSON.parse(json) as Exported;
  const labels = Object.keys(samples);
  const width = labels.length;
  const k = config.smoothingFactor;
  const v = vocabulary.length * k;
  const index = new Map<string, number>();
  for (const w of vocabulary) if (!index.has(w)) index.set(w, index.size);
  // Counts over every label, so "every other label" is the whole less the one.
  const all = new Float64Array(index.size);
  for (const label of labels) {
    const mine = counts[label] ?? {};
    for (const w of Object.keys(mine)) {
      const row = index.get(w);
      if (row !== undefined) all[row] = (all[row] as number) + own(mine, w);
    }
  }
  const allWords = labels.reduce((n, l) => n + (totals[l] ?? 0), 0);
  const logP = (n: number, words: number) => Math.log2(n + k) - Math.log2(words + v);
  const sum = Object.values(samples).reduce((a, b) => a + b, 0);
  const priors = new Float64Array(width);
  const against = new Float64Array(index.size * width);
  const weights = new Map<string, Map<string, number>>();
  const ok = counts.ok ?? {};
  labels.forEach((label, i) => {
    const mine = counts[label] ?? {};
    const words = totals[label] ?? 0;
    const inLabel = samples[label] ?? 0;
    priors[i] = Math.log2(inLabel) - Math.log2(sum - inLabel);
    // Most words never occur under a label: one pass for them, then the words it has.
    const absent = logP(0, words);
    for (let row = 0; row < index.size; row++)
      against[row * width + i] = absent - logP(all[row] as number, allWords - words);
    for (const w of Object.keys(mine)) {
      const row = index.get(w);
      if (row === undefined) continue;
      const n = own(mine, w);
      against[row * width + i] = logP(n, words) - logP((all[row] as number) - n, allWords - words);
    }
    if (label === "ok") return;
    const e = new Map<string, number>();
    for (const w of Object.keys(mine)) e.set(w, logP(own(mine, w), words) - logP(own(ok, w), totals.ok ?? 0));
    weights.set(label, e);
  });
  return { json, labels, priors, index, against, weights };
}

/** What the worker thread sends back: the model file's small fields, both classifiers' tables, the word kin. */
export interface BuiltModel {
  /** model.json without its two classifiers (margins, combiner). */
  file: Record<string, unknown>;
  binary: NaiveBayesTables;
  categories: NaiveBayesTables;
  /** classes.json's `classes`; empty when there is no such file. */
  classes: Record<string, string[]>;
}

function readOptional(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** Both files read and both classifiers built; null when there is no model file. */
export function buildModel(modelPath: string, classesPath: string): BuiltModel | null {
  const text = readOptional(modelPath);
  if (text === null) return null;
  const { binary, categories, ...file } = JSON.parse(text) as { binary: string; categories: string };
  const classesText = readOptional(classesPath);
  return {
    file,
    binary: buildTables(binary),
    categories: buildTables(categories),
    classes: classesText === null ? {} : (JSON.parse(classesText) as { classes: Record<string, string[]> }).classes,
  };
}

/**
 * What the worker thread sends, one piece per event-loop turn of the receiver: deserializing a
 * message is synchronous, and the whole model at once (80,000 map entries, 100,000 strings) was a
 * turn of 130 ms of CPU, several hundred at load.
 */
type Piece =
  | { kind: "file"; file: Record<string, unknown> | null }
  | { kind: "tables"; name: "binary" | "categories"; tables: Omit<NaiveBayesTables, "weights"> }
  | { kind: "weights"; name: "binary" | "categories"; label: string; weights: Map<string, number> }
  | { kind: "classes"; classes: Record<string, string[]> }
  | { kind: "done" };

const CLASSES_PER_PIECE = 2_000;

function* pieces(built: BuiltModel | null): Generator<[Piece, ArrayBuffer[]]> {
  yield [{ kind: "file", file: built?.file ?? null }, []];
  if (!built) return;
  for (const name of ["binary", "categories"] as const) {
    const { weights, ...tables } = built[name];
    yield [
      { kind: "tables", name, tables },
      [tables.priors.buffer as ArrayBuffer, tables.against.buffer as ArrayBuffer],
    ];
    for (const [label, w] of weights) yield [{ kind: "weights", name, label, weights: w }, []];
  }
  const entries = Object.entries(built.classes);
  for (let i = 0; i < entries.length; i += CLASSES_PER_PIECE)
    yield [{ kind: "classes", classes: Object.fromEntries(entries.slice(i, i + CLASSES_PER_PIECE)) }, []];
}

/**
 * buildModel in a worker thread of this file: the event loop stays free while it runs, and takes
 * the result one piece per turn (it asks for the next once the sockets have been read).
 */
export function buildInWorker(script: string, modelPath: string, classesPath: string): Promise<BuiltModel | null> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData: { riskModelTables: { modelPath, classesPath } } });
    let file: Record<string, unknown> | null = null;
    const tables: Partial<Record<"binary" | "categories", NaiveBayesTables>> = {};
    const classes: Record<string, string[]> = {};
    worker.on("message", (piece: Piece) => {
      if (piece.kind === "done") {
        void worker.terminate();
        const { binary, categories } = tables;
        return resolve(file && binary && categories ? { file, binary, categories, classes } : null);
      }
      if (piece.kind === "file") file = piece.file;
      else if (piece.kind === "tables") tables[piece.name] = { ...piece.tables, weights: new Map() };
      else if (piece.kind === "weights") tables[piece.name]?.weights.set(piece.label, piece.weights);
      else Object.assign(classes, piece.classes);
      setImmediate(() => worker.postMessage("next"));
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the risk model's worker thread exited with ${code}`)));
  });
}

const task = isMainThread
  ? undefined
  : (workerData as { riskModelTables?: { modelPath: string; classesPath: string } })?.riskModelTables;
if (task && parentPort) {
  const port = parentPort;
  const next = pieces(buildModel(task.modelPath, task.classesPath));
  const send = () => {
    const { value, done } = next.next();
    if (done) port.postMessage({ kind: "done" } satisfies Piece);
    else port.postMessage(value[0], value[1]);
  };
  port.on("message", send);
  send();
}
