// Trains the scorer's combiner (risk/combiner.ts): a logistic regression (ml-logistic-regression)
// over the rules' matches, the learned model's out-of-fold readings and the cues around them,
// on training posts only. Its threshold comes from 5-fold cross-validation on the same posts:
// the best F1 whose precision stays at `minPrecision` or more.
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Matrix } from "ml-matrix";
import { ruleEvidence } from "../services/analysis/risk/assess.ts";
import { Combiner, type CombinerFile, FEATURE_NAMES, stackFeatures } from "../services/analysis/risk/combiner.ts";
import type { ModelReading } from "../services/analysis/risk/model.ts";

interface LogisticRegressionModel {
  train(x: Matrix, y: Matrix): void;
  classifiers: { weights: Matrix }[];
}
const LogisticRegression = createRequire(import.meta.url)("ml-logistic-regression") as new (o: {
  numSteps: number;
  learningRate: number;
}) => LogisticRegressionModel;

export interface StackRow {
  text: string;
  risky: boolean;
  category: string;
  reading: ModelReading | null;
}

const FOLDS = 5;
/** Gradient steps: few enough that no weight runs off on a feature a handful of posts carry. */
const STEPS = 3000;
const LEARNING_RATE = 1e-3;

function fitLogistic(x: number[][], y: number[]): CombinerFile {
  const d = FEATURE_NAMES.length;
  const mean = Array.from({ length: d }, (_, j) => x.reduce((s, r) => s + (r[j] ?? 0), 0) / x.length);
  const scale = mean.map((m, j) => Math.sqrt(x.reduce((s, r) => s + ((r[j] ?? 0) - m) ** 2, 0) / x.length) || 1);
  // A constant column stands for the bias: the library fits no intercept of its own.
  const rows = x.map((r) => [...r.map((v, j) => (v - (mean[j] ?? 0)) / (scale[j] ?? 1)), 1]);
  const lr = new LogisticRegression({ numSteps: STEPS, learningRate: LEARNING_RATE });
  lr.train(new Matrix(rows), Matrix.columnVector(y));
  // One-vs-all: classifier 0 tells class 0 ("ok") from the rest, i.e. scores P(risky).
  const w = (lr.classifiers[0] as { weights: Matrix }).weights.to1DArray();
  return {
    features: FEATURE_NAMES,
    mean,
    scale,
    weights: w.slice(0, d),
    bias: w[d] ?? 0,
    threshold: 0.5,
    trainedOn: "",
  };
}

export function trainCombiner(data: StackRow[], minPrecision: number): CombinerFile {
  const x = data.map((d) => stackFeatures(ruleEvidence(d.text), d.reading));
  const y = data.map((d) => (d.risky ? 1 : 0));
  const p: number[] = new Array(data.length).fill(0);
  for (let f = 0; f < FOLDS; f++) {
    const inFold = (i: number) => i % FOLDS === f;
    const file = fitLogistic(
      x.filter((_, i) => !inFold(i)),
      y.filter((_, i) => !inFold(i)),
    );
    const c = new Combiner(file);
    x.forEach((r, i) => {
      if (inFold(i)) p[i] = c.judge(r).p;
    });
  }
  let best = { threshold: 0.5, f1: -1, precision: 0, recall: 0 };
  for (let t = 0.05; t < 0.96; t += 0.01) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    p.forEach((v, i) => {
      if (v >= t && y[i]) tp++;
      else if (v >= t) fp++;
      else if (y[i]) fn++;
    });
    const precision = tp / Math.max(1, tp + fp);
    const recall = tp / Math.max(1, tp + fn);
    const f1 = (2 * tp) / Math.max(1, 2 * tp + fp + fn);
    if (precision >= minPrecision && f1 > best.f1)
      best = { threshold: Math.round(t * 100) / 100, f1, precision, recall };
  }
  console.log(
    `combiner: threshold ${best.threshold} (cross-validated on ${data.length} posts: precision ${best.precision.toFixed(3)} recall ${best.recall.toFixed(3)} F1 ${best.f1.toFixed(3)})`,
  );
  reportPerCategory(data, p, best.threshold, minPrecision);
  reportOverrule(x, y, p, best.threshold);
  // The training posts the combiner misses out of fold, to read for phrasing the rules lack.
  if (process.env.RISK_CV_MISSES)
    writeFileSync(
      process.env.RISK_CV_MISSES,
      data
        .flatMap((d, i) =>
          (p[i] ?? 0) >= best.threshold === d.risky
            ? []
            : [`${d.risky ? "FN" : "FP"} ${(p[i] ?? 0).toFixed(2)} [${d.category}] ${d.text}`],
        )
        .join("\n"),
    );
  const file = fitLogistic(x, y);
  file.threshold = best.threshold;
  console.log(
    `combiner weights: ${FEATURE_NAMES.map((n, i) => `${n} ${(file.weights[i] ?? 0).toFixed(2)}`).join(", ")}, bias ${file.bias.toFixed(2)}`,
  );
  return file;
}

/**
 * The calibration check per category, on the same out-of-fold probabilities: F1 at the one
 * threshold, and the best a threshold of the category's own could reach at the stricter precision
 * a smaller sample needs. Printed, not applied: a category's own threshold is worth its keep only
 * where the gain is larger than the noise of ~170 posts.
 */
function reportPerCategory(data: StackRow[], p: number[], threshold: number, minPrecision: number) {
  const f1At = (rows: number[], t: number) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const i of rows) {
      const flag = (p[i] ?? 0) >= t;
      if (flag && data[i]?.risky) tp++;
      else if (flag) fp++;
      else if (data[i]?.risky) fn++;
    }
    return { f1: (2 * tp) / Math.max(1, 2 * tp + fp + fn), precision: tp / Math.max(1, tp + fp) };
  };
  const lines = [...new Set(data.map((d) => d.category))].sort().map((category) => {
    const rows = data.flatMap((d, i) => (d.category === category ? [i] : []));
    const at = f1At(rows, threshold);
    let own = { t: threshold, ...at };
    for (let t = 0.3; t < 0.96; t += 0.01) {
      const m = f1At(rows, t);
      if (m.precision >= Math.min(1, minPrecision + 0.03) && m.f1 > own.f1) own = { t, ...m };
    }
    return `${category} ${at.f1.toFixed(3)} (own ${own.t.toFixed(2)}: ${own.f1.toFixed(3)})`;
  });
  console.log(`combiner per category, cross-validated F1 at ${threshold}: ${lines.join(", ")}`);
}

/**
 * The decision as assess.ts makes it, on the same out-of-fold probabilities: a full-weight rule
 * flags unless the combiner is as sure the post is harmless as it must be to flag without one
 * (p <= 1 - threshold). Printed: how many risky posts that overrule drops and how many harmless
 * ones it saves, and what the decision reaches with and without the overrule.
 */
function reportOverrule(x: number[][], y: number[], p: number[], threshold: number) {
  const full = FEATURE_NAMES.indexOf("ruleFull");
  const counts = (overrule: boolean) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    p.forEach((v, i) => {
      const rule = (x[i]?.[full] ?? 0) > 0;
      const flag = v >= threshold || (rule && (!overrule || v > 1 - threshold));
      if (flag && y[i]) tp++;
      else if (flag) fp++;
      else if (y[i]) fn++;
    });
    return { tp, fp, fn, f1: (2 * tp) / Math.max(1, 2 * tp + fp + fn), precision: tp / Math.max(1, tp + fp) };
  };
  const withGuard = counts(true);
  const without = counts(false);
  const fmt = (c: ReturnType<typeof counts>) =>
    `tp ${c.tp} fp ${c.fp} fn ${c.fn}, precision ${c.precision.toFixed(3)} F1 ${c.f1.toFixed(3)}`;
  console.log(
    `decision as assess.ts makes it, cross-validated: with the overrule ${fmt(withGuard)}; rules never overruled ${fmt(without)} (the overrule drops ${without.tp - withGuard.tp} risky posts and saves ${without.fp - withGuard.fp} harmless ones)`,
  );
}
