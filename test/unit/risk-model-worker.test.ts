// The risk model built in a worker thread (how a server's analysis worker loads it, off its event
// loop) is the model built in place: the same tables, word kin and verdicts.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../server/root.ts";
import { loadRiskModel, riskModel } from "../../server/services/analysis/risk/model.ts";
import { buildInWorker, buildModel } from "../../server/services/analysis/risk/model-tables.ts";

const HERE = path.join(ROOT, "server/services/analysis/risk");
const files = [path.join(HERE, "model.json"), path.join(HERE, "classes.json")] as const;

describe("the risk model from a worker thread", () => {
  it("has the tables built in place", async () => {
    const inWorker = await buildInWorker(path.join(HERE, "model-tables.ts"), ...files);
    const inPlace = buildModel(...files);
    expect(inPlace).not.toBeNull();
    // As text (toEqual over 80,000 map entries takes a minute): maps as entries, arrays as numbers,
    // each printed exactly (the shortest text that reads back as the same double).
    const text = (m: unknown) =>
      JSON.stringify(m, (_, v) =>
        v instanceof Map ? [...v] : ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v,
      );
    expect(text(inWorker) === text(inPlace)).toBe(true);
    expect(inWorker?.categories.labels).toEqual(inPlace?.categories.labels);
  }, 180_000); // builds the model twice; minutes on a loaded machine

  it("is the one riskModel() returns afterwards", async () => {
    const model = await loadRiskModel();
    expect(model).not.toBeNull();
    expect(riskModel()).toBe(model);
    expect(model?.judge("I drove home after six pints again, nobody stopped me lol")?.category).toBe("drunk-driving");
  });

  it("is null without a model file", async () => {
    expect(await buildInWorker(path.join(HERE, "model-tables.ts"), path.join(HERE, "none.json"), files[1])).toBeNull();
  });
});
