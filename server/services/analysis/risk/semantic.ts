import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../../../root.ts";
import { modelWords } from "./model.ts";

// What a post is about in meaning, not in wording: per category, how near the post's words lie to
// the category's prototype phrases (risk/prototypes.ts) in the shipped word vectors. The cosines
// per word are computed once by server/scripts/build-risk-prototypes.ts (the vectors themselves
// are ~300 MB), so a post costs one lookup per word. The combiner takes these as inputs, and a
// flag they carry names the phrase and the post's words nearest to it.

interface PrototypesFile {
  phrases: { category: string; phrase: string }[];
  words: string;
  /** Per word (in `words` order), per phrase, the cosine in hundredths (0 when not near), base64. */
  cosines: string;
}

export interface SemanticReading {
  /** Per category (CATEGORIES order), the post's mean nearness to its nearest phrase. */
  near: Float64Array;
  /** Per category, the nearness of the post's single nearest word to any of its phrases. */
  nearestWord: Float64Array;
  /** Per category, its phrase the post lies nearest to. */
  phrase: string[];
  /** Category names, in the order of the arrays above. */
  categories: string[];
}

export class Semantic {
  readonly categories: string[];
  private readonly phrases: { category: number; phrase: string }[];
  private readonly rows = new Map<string, Uint8Array>();

  constructor(file: PrototypesFile) {
    this.categories = [...new Set(file.phrases.map((p) => p.category))];
    this.phrases = file.phrases.map((p) => ({ category: this.categories.indexOf(p.category), phrase: p.phrase }));
    const bytes = Buffer.from(file.cosines, "base64");
    const n = this.phrases.length;
    file.words.split(" ").forEach((w, i) => {
      this.rows.set(w, bytes.subarray(i * n, (i + 1) * n));
    });
  }

  read(text: string, normalized?: string): SemanticReading {
    const words = modelWords(text, normalized);
    const n = this.phrases.length;
    const sums = new Float64Array(n);
    const best = new Float64Array(n);
    const bestWord: string[] = new Array(n).fill("");
    for (const w of words) {
      const row = this.rows.get(w);
      if (!row) continue;
      for (let j = 0; j < n; j++) {
        const c = row[j] as number;
        sums[j] = (sums[j] as number) + c;
        if (c > (best[j] as number)) {
          best[j] = c;
          bestWord[j] = w;
        }
      }
    }
    const k = this.categories.length;
    const near = new Float64Array(k);
    const nearestWord = new Float64Array(k);
    const phrase: string[] = new Array(k).fill("");
    const count = Math.max(words.length, 1);
    this.phrases.forEach((p, j) => {
      const mean = (sums[j] as number) / count / 100;
      if (mean > (near[p.category] as number) || !phrase[p.category]) {
        near[p.category] = mean;
        phrase[p.category] = p.phrase;
      }
      nearestWord[p.category] = Math.max(nearestWord[p.category] as number, (best[j] as number) / 100);
    });
    return { near, nearestWord, phrase, categories: this.categories };
  }

  /** A category's phrase the post lies nearest to, and the post's words nearest to it (cosine >= 0.4). */
  explain(text: string, category: string, normalized?: string, n = 3): { phrase: string; words: string[] } {
    const c = this.categories.indexOf(category);
    const phrase = this.read(text, normalized).phrase[c] ?? "";
    const j = this.phrases.findIndex((p) => p.category === c && p.phrase === phrase);
    const words = [...new Set(modelWords(text, normalized))]
      .map((w) => ({ w, cos: this.rows.get(w)?.[j] ?? 0 }))
      .filter((x) => x.cos >= 40)
      .sort((a, b) => b.cos - a.cos)
      .slice(0, n)
      .map((x) => `"${x.w}" ${(x.cos / 100).toFixed(2)}`);
    return { phrase, words };
  }
}

const HERE = path.join(ROOT, "server/services/analysis/risk");
let loaded: Semantic | null | undefined;
/** The committed nearness table, loaded once; null when there is none. */
export function semantic(): Semantic | null {
  if (loaded === undefined) {
    try {
      loaded = new Semantic(JSON.parse(readFileSync(path.join(HERE, "prototypes.json"), "utf8")) as PrototypesFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      loaded = null;
    }
  }
  return loaded;
}
