// The offline scorer's model: terms and patterns a visa officer, an employer or a background
// screener reads as risk in public posts (the visaguard use case), each with the reason it is
// shown to the user. Severity is 1 (taste) to 5 (could sink an application on its own).

export type RiskCategory =
  | "violence"
  | "extremism"
  | "weapons"
  | "drugs"
  | "alcohol"
  | "immigration"
  | "crime"
  | "hate"
  | "profanity"
  | "personal-data"
  | "employment"
  | "tone";

export interface LexiconRule {
  /** Stable id shown in explanations and usable in support conversations. */
  id: string;
  category: RiskCategory;
  severity: 1 | 2 | 3 | 4 | 5;
  /** Matched case-insensitively on word boundaries; a phrase allows any whitespace between words. */
  terms: readonly string[];
  why: string;
  /** A first-person admission ("I", "we", "my") near the term weighs more for these. */
  admission?: boolean;
}

export const LEXICON: readonly LexiconRule[] = [
  {
    id: "violence.threat",
    category: "violence",
    severity: 5,
    terms: [
      "kill you",
      "kill him",
      "kill her",
      "kill them",
      "shoot up",
      "beat you up",
      "gonna hurt",
      "stab",
      "bomb the",
    ],
    why: "Reads as a threat of violence against people.",
  },
  {
    id: "violence.general",
    category: "violence",
    severity: 3,
    terms: ["punched", "beat up", "bar fight", "street fight", "assault", "brawl"],
    why: "Describes taking part in physical violence.",
    admission: true,
  },
  {
    id: "extremism.support",
    category: "extremism",
    severity: 5,
    terms: ["join the jihad", "caliphate", "white power", "race war", "martyrdom operation", "death to america"],
    why: "Expresses support for an extremist movement or its slogans.",
  },
  {
    id: "weapons.mention",
    category: "weapons",
    severity: 2,
    terms: ["rifle", "handgun", "ammo", "assault weapon", "glock", "ar-15", "shotgun", "firearm"],
    why: "Mentions firearms; harmless for many readers, questioned by some screeners.",
  },
  {
    id: "drugs.hard",
    category: "drugs",
    severity: 4,
    terms: ["cocaine", "coke", "meth", "heroin", "mdma", "molly", "ecstasy", "lsd", "ketamine", "crack"],
    why: "Mentions hard drugs; admitted use is grounds for refusal in many visa regimes.",
    admission: true,
  },
  {
    id: "drugs.soft",
    category: "drugs",
    severity: 2,
    terms: ["weed", "joint", "got high", "getting high", "stoned", "edibles", "blunt", "420"],
    why: "Mentions cannabis use, still illegal or a refusal ground in many countries.",
    admission: true,
  },
  {
    id: "drugs.dealing",
    category: "drugs",
    severity: 5,
    terms: ["selling weed", "my dealer", "plug for", "dealing drugs", "re-up"],
    why: "Suggests buying from or acting as a drug dealer.",
    admission: true,
  },
  {
    id: "alcohol.excess",
    category: "alcohol",
    severity: 1,
    terms: ["wasted", "hammered", "blackout", "shitfaced", "so drunk", "hangover"],
    why: "Heavy drinking; rarely a problem alone, adds to an overall picture.",
  },
  {
    id: "alcohol.driving",
    category: "alcohol",
    severity: 4,
    terms: ["drunk driving", "drove drunk", "drove home drunk", "dui", "dwi"],
    why: "Driving under the influence is a criminal offence in most countries.",
    admission: true,
  },
  {
    id: "immigration.overstay",
    category: "immigration",
    severity: 5,
    terms: ["overstay", "overstayed", "overstaying", "visa expired", "no papers", "undocumented"],
    why: "Suggests staying beyond a visa's terms, the most common refusal reason.",
    admission: true,
  },
  {
    id: "immigration.unauthorized-work",
    category: "immigration",
    severity: 5,
    terms: [
      "under the table",
      "paid in cash",
      "cash job",
      "working on a tourist visa",
      "working on my tourist visa",
      "work without a permit",
    ],
    why: "Suggests working without authorisation.",
    admission: true,
  },
  {
    id: "immigration.fraud",
    category: "immigration",
    severity: 5,
    terms: [
      "fake marriage",
      "green card marriage",
      "marriage of convenience",
      "fake documents",
      "fake id",
      "fake passport",
    ],
    why: "Suggests document or marriage fraud.",
    admission: true,
  },
  {
    id: "crime.record",
    category: "crime",
    severity: 4,
    terms: ["arrested", "got locked up", "in jail", "on probation", "on parole", "criminal record", "court date"],
    why: "Mentions arrests or a criminal record that an application may have to declare.",
    admission: true,
  },
  {
    id: "crime.offence",
    category: "crime",
    severity: 4,
    terms: [
      "shoplifting",
      "shoplifted",
      "stole",
      "tax evasion",
      "money laundering",
      "launder",
      "pirated",
      "hacked into",
    ],
    why: "Describes committing an offence.",
    admission: true,
  },
  {
    id: "hate.dehumanising",
    category: "hate",
    severity: 4,
    terms: ["go back to your country", "subhuman", "vermin", "invaders", "parasites"],
    why: "Dehumanising language about a group of people.",
  },
  {
    id: "profanity",
    category: "profanity",
    severity: 1,
    terms: ["fuck", "fucking", "shit", "bitch", "bastard", "asshole", "wtf"],
    why: "Profanity; a matter of tone, weighs little on its own.",
  },
  {
    id: "employment.conduct",
    category: "employment",
    severity: 2,
    terms: ["hate my boss", "hate my job", "called in sick", "fake sick", "skipping work", "quit without notice"],
    why: "Reflects badly on reliability for an employer or sponsor.",
    admission: true,
  },
];

/** Words that flip or weaken a term within a few words before it ("never did coke"). */
export const NEGATIONS = ["not", "never", "no", "don't", "didn't", "won't", "isn't", "wasn't", "against", "anti"];
export const NEGATION_WINDOW = 3;
export const NEGATION_FACTOR = 0.3;
/** First-person words that turn a mention into an admission. */
export const FIRST_PERSON = ["i", "i'm", "im", "i've", "ive", "me", "my", "we", "we're", "our"];
export const ADMISSION_WINDOW = 6;
export const ADMISSION_FACTOR = 1.5;
