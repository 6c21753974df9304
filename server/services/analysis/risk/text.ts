// Text preparation shared by every rule: one lower-case string of space-separated words in
// which "|" marks a clause boundary, so patterns read "i sold a zip" the same whether it was
// written "I sold a zip", "i sold a zip!!" or "Imma sell a zip". Rules then match this form.

/** Spellings of social posts mapped to the words the rules are written in. */
const SLANG: Record<string, string> = {
  u: "you",
  ur: "your",
  ya: "you",
  im: "i am",
  ima: "i am going to",
  imma: "i am going to",
  gonna: "going to",
  finna: "going to",
  wanna: "want to",
  tryna: "trying to",
  gotta: "got to",
  dont: "do not",
  didnt: "did not",
  doesnt: "does not",
  cant: "can not",
  isnt: "is not",
  wasnt: "was not",
  aint: "is not",
  wouldnt: "would not",
  ive: "i have",
  ppl: "people",
  cuz: "because",
  coz: "because",
  bc: "because",
  tho: "though",
  thru: "through",
  yrs: "years",
  yr: "year",
  b4: "before",
  rn: "right now",
  hella: "very",
  mad: "mad",
  licence: "license",
  licences: "licenses",
  slippin: "slipping",
  lackin: "lacking",
  tweakin: "tweaking",
  nothin: "nothing",
};

const CONTRACTIONS: [RegExp, string][] = [
  [/\bwon'?t\b/g, "will not"],
  [/\bcan'?t\b/g, "can not"],
  [/\b(\w+)n't\b/g, "$1 not"],
  [/\b(i)'?m\b/g, "$1 am"],
  [/'re\b/g, " are"],
  [/'ll\b/g, " will"],
  [/'ve\b/g, " have"],
  [/'d\b/g, " would"],
  [/\b(it|that|he|she|what|there|who|here|where)'s\b/g, "$1 is"],
  // Possessives read as the bare noun: "my brother's passport" is "my brother passport".
  [/'s\b/g, ""],
  [/s'(?=\s)/g, "s"],
];

/**
 * Quoted speech of three words or more is someone else's words: a reviewer reads
 * `"go back to your country" is what someone yelled at my mom` as reporting, not saying.
 */
const QUOTED = /["“”]([^"“”]*?\s[^"“”]*?\s[^"“”]*?)["“”]/g;

/** Digits and signs written for letters to slip past word filters ("w33d", "h4ck3d", "c0ke"). */
const LEET: Record<string, string> = { "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", $: "s" };
/**
 * A word is read as leetspeak only when letters surround its digits and it is no number with a
 * unit or ordinal ("3am", "50k", "10th", "mp3", "2fa"): those stay as written.
 */
const LEETISH =
  /^(?=.*[a-z].*[013457@$]|.*[013457@$].*[a-z])(?=[a-z@$013457]*$)(?![0-9]+[a-z]{1,3}$)(?![a-z]{1,3}[0-9]+$)/;
function unleet(word: string): string {
  if (!LEETISH.test(word) || !/[a-z].*[a-z]/.test(word)) return word;
  return word.replace(/[013457@$]/g, (c) => LEET[c] ?? c);
}
/** Letters spelt out one by one to dodge filters ("k.i.l.l", "w-e-e-d", "c o k e" stays: too ambiguous). */
const SPELT_OUT = /\b(?:[a-z][.\-*_]){2,}[a-z]\b/g;

export function normalize(text: string): string {
  let s = text
    .toLowerCase()
    .replace(/[’‘`´]/g, "'")
    .replace(SPELT_OUT, (m) => m.replace(/[.\-*_]/g, ""))
    // Stretched words ("killlll", "stabbbed") read as spelt: three or more of a letter become two.
    .replace(/([a-z])\1{2,}/g, "$1$1")
    .replace(QUOTED, " | quoted | ");
  for (const [re, to] of CONTRACTIONS) s = s.replace(re, to);
  // Clause punctuation becomes a boundary token; dots inside numbers (".12", "0.05") stay.
  s = s
    .replace(/(\d)\.(\d)/g, "$1\ue000$2")
    .replace(/(^|\s)\.(\d)/g, "$1\ue000$2")
    .replace(/[.!?;:,()[\]{}…\n]+/g, " | ")
    .replace(/\ue000/g, ".")
    .replace(/[^\p{L}\p{N}$%#@|/.'+-]+/gu, " ")
    .replace(/'/g, "");
  const out: string[] = [];
  for (const raw of s.split(/\s+/)) {
    const w = raw.replace(/^[-/+]+|^\.(?!\d)|[-/+.]+$/g, "");
    if (!w) continue;
    const mapped = SLANG[w] ?? unleet(w);
    if (mapped === "|" && out[out.length - 1] === "|") continue;
    out.push(mapped);
  }
  if (out[out.length - 1] === "|") out.pop();
  // A leading boundary lets "{me} sold" match a post that starts with the verb.
  return out[0] === "|" ? out.join(" ") : `| ${out.join(" ")}`;
}

const FIRST_PERSON = /\b(?:i|me|my|mine|myself|we|us|our|ours|ourselves)\b/;
export const hasFirstPerson = (s: string) => FIRST_PERSON.test(s);

/** Words that, among the three before a match, say it did not or will not happen ("never tried"). */
const NEGATION = /\b(?:not|never|no|against|anti|refuse|refused|refusing)\b/;
/** Negation words that emphasise instead of negating ("not gonna lie", "no cap", "lucky I didn't"). */
const NOT_NEGATION =
  /\b(?:not going to lie|no cap|no lie|not even lying|not even joking|not kidding|lucky (?:i|we|you) did not)\b/g;

const SUBJECT_THEN_NEGATION = /^(?:\| )?(?:i|we|he|she|they|you|my \w+) ((?:\w+ )?(?:not|never|no)\b)/;

/**
 * The negating words just before `start` in `norm` (within its clause), or just after the
 * subject the match starts with ("i never sold" matched as "{me} ~4 {drug}").
 */
export function negatedAt(norm: string, start: number, match = ""): string | null {
  const inner = SUBJECT_THEN_NEGATION.exec(match);
  if (inner) return inner[1] ?? null;
  const before = norm.slice(0, start).replace(NOT_NEGATION, "~").trimEnd();
  const words = before.split(" ");
  const last = words
    .slice(words.lastIndexOf("|") + 1)
    .slice(-3)
    .join(" ");
  return NEGATION.test(last) ? last : null;
}

/**
 * Reporting and fiction: the post tells of something others did (news, police, a film), so the
 * words are not the writer's own conduct. A first-person actor next to the match overrides it.
 */
const REPORTING = new RegExp(
  [
    String.raw`\b(?:news|report|reports|reported|reportedly|according to|the paper|newspaper|headline|bbc|cnn|per local news|says the (?:news|report|paper))\b`,
    String.raw`\b(?:police|cops|authorities|officials|prosecutors) (?:say|said|arrested|seized|found|recovered|are investigating|investigating|charged)\b`,
    String.raw`\b(?:sentenced|charged with|convicted|trial|indicted|suspends|suspended \d+|expelled|arrested after)\b`,
    String.raw`\b(?:documentary|movie|film|show|series|episode|book|books|novel|article|essay|thesis|lecture|study|podcast|meme|scene|history|game|board game|class) (?:\S+ ){0,5}?(?:is|was|are|were|about|on|of)\b`,
    String.raw`\b(?:documentary|movie|film|netflix|heist movie|thesis|lecture|study|research|how to spot|watch out for|warn|beware|psa|reminder|tips?|reading about|read about|learning about|numbers are)\b`,
    String.raw`\bin (?:the|that|this) (?:movie|film|show|game|book|series)\b`,
    String.raw`^\| (?:warning|psa|heads up|reminder)\b`,
  ].join("|"),
);

export function reportingCue(norm: string): string | null {
  return REPORTING.exec(norm)?.[0] ?? null;
}

/** Markers a reviewer reads as "not meant": explicit jokes and sarcasm tags. */
const JOKE = /\b(?:jk|just kidding|kidding|\/s|sarcasm|hypothetically)\b/;
export const jokeCue = (norm: string) => JOKE.exec(norm)?.[0] ?? null;
