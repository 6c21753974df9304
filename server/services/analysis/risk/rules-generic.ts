import type { RiskCategory } from "../lexicon.ts";
import { NEIGHBOURS } from "./neighbours.generated.ts";
import type { RuleSpec } from "./rule.ts";
import { SEEDS } from "./seeds.ts";

// Rules that do not depend on the exact phrase: a category's topic next to a cue that the
// writer hides it or trades it, a harm word aimed at a person, a slur-shaped generalisation.
// They generalise to wording the phrase rules have never seen, at the cost of weighing 4, not 5.
const REASON: Partial<Record<RiskCategory, string>> = {
  immigration: "Immigration status, papers or marriage mentioned alongside hiding or paying for it.",
  "document-fraud": "Official papers mentioned alongside hiding, faking or buying them.",
  "exam-fraud": "An exam mentioned alongside hiding, paying or getting help that is not allowed.",
  weapons: "A weapon mentioned alongside having it without a licence, hiding or trading it.",
  drugs: "Drug slang alongside selling, sharing or hiding it.",
  fraud: "Taxes, benefits, insurance or accounts mentioned alongside hiding or faking.",
  hacking: "Accounts or passwords of others mentioned alongside hiding or trading access.",
  theft: "Goods or money mentioned alongside taking them unnoticed.",
};

const INNOCENT =
  "(?:someone (?:got into|stole|nicked|cloned|hacked)|got hacked|was stolen|handed it in|awareness|(?:do not|never) (?:ever )?(?:post|share|risk)|i would rather|prescription|pharmacy)";

export const GENERIC_RULES: RuleSpec[] = [
  ...Object.entries(REASON).map(
    ([category, why]): RuleSpec => ({
      id: `${category}.concealed`,
      category: category as RiskCategory,
      severity: 4,
      why,
      negationInside: true,
      match: `(?:{${category}}|${[...(SEEDS[category as RiskCategory] ?? []), ...(NEIGHBOURS[category] ?? []).map(([w]) => w)].join("|")})`,
      also: "(?:{conceal}|{solicit})",
      unless: INNOCENT,
    }),
  ),
  {
    id: "violence.harm-outcome",
    category: "violence",
    severity: 4,
    why: "Describes or promises injuring a person.",
    match: [
      "(?:he|she|they|you|him|her|them|a guy|a kid|a lad|the lad|some \\w+) ~~10 (?:in|into|to|an|the) (?:an )?(?:ambulance|hospital|intensive care|icu|a&e|wheelchair|body bag|morgue|grave)",
      "(?:gave|give|giving|got) (?:him|her|them|the \\w+|a \\w+|the lad|that \\w+)(?: \\w+){0,5} (?:a )?(?:proper |good |right )?(?:kicking|beating|hiding|battering|slap|smack|stabbing|doing)",
      "(?:picking|pick) (?:her|his|their|your) teeth up",
      "(?:can not|will not be able to|won't be able to) (?:use|walk|see|move) (?:on )?(?:your|his|her|their)",
      "(?:pay|paying) (?:him|her|them|you) a visit ~~6 (?:crowbar|bat|knife|friends|lads|boys)",
      "(?:your|his|her) (?:little )?(?:brother|sister|son|daughter|kids?|mum|mom|wife) ~~10 (?:alone|every day|just saying|be a shame|be careful)",
      "(?:would be a shame if|accidents happen|just saying)",
    ],
    unless: "(?:class|training|coach|documentary|match|game|defence|workout|pillow)",
  },
  {
    id: "extremism.support-generic",
    category: "extremism",
    severity: 4,
    why: "Praises political or religious violence, or recruits for it.",
    match: [
      "(?:mujahid\\w*|shaheed|shahid|jihad\\w*|armed (?:resistance|struggle)|occupation government|the collapse|race war|white race|our race|our people|the movement|our movement|the cause|the operation)",
    ],
    also: "(?:support|need|needs|every (?:pound|dollar|penny)|saint|hero|martyr|reward|survive|training|ready|bring your|get in touch|only solution|act not talk|not talk|right move|more of that|justified|remove|deserve)",
    unless: "(?:documentary|podcast|museum|history|condolences|peaceful|leave extremist)",
  },
  {
    id: "hate.generalisation",
    category: "hate",
    severity: 4,
    why: "Attributes a vile trait to everyone in a group.",
    match: [
      "{group} ~~6 (?:smell|stink|are dirty|violent by nature|by nature|can not help it|too emotional|abomination|are all|all the same|own everything|should be (?:locked|banned|kept)|out of our|not one more|goes to the dogs|burn it)",
      "(?:\\w+ )?out(?: of our (?:country|town))? ~2 not one more",
      "(?:abomination|degenerates?|subhuman)",
    ],
    unless: "(?:proud|heritage|history of|rights|best friend|welcome|scrub)",
  },
];

const NEAR = new Map(
  Object.entries(NEIGHBOURS).flatMap(([category, list]) =>
    list.map(([word, seed, cosine]) => [`${category}:${word}`, { seed, cosine }] as const),
  ),
);

/** Why a topic word counts when the topic lists do not name it: its nearness in the word vectors. */
export function nearness(category: string, term: string): string | null {
  const n = NEAR.get(`${category}:${term}`);
  return n
    ? ` "${term}" counts as this topic: it lies near "${n.seed}" in the word vectors (cosine ${n.cosine}).`
    : null;
}
