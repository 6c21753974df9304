import type { RiskCategory } from "../lexicon.ts";

/**
 * Phrases at the heart of each category, in plain and slang wording, from which
 * build-risk-prototypes.ts computes each common word's nearness in meaning (cosine in the shipped
 * word vectors) to each phrase. The post's mean nearness to a phrase is one of the combiner's
 * inputs, and a flag it carries names the phrase. Written from the categories' definitions, never
 * from held-out posts. Personal data is found by patterns, not by meaning.
 */
export const PROTOTYPES: Partial<Record<RiskCategory, string[]>> = {
  immigration: [
    "overstayed my visa working illegally without papers undocumented",
    "sham marriage for a green card fake asylum claim smuggled across the border",
  ],
  "document-fraud": [
    "forged passport fake diploma counterfeit documents",
    "falsified bank statements doctored certificate fake id",
  ],
  "exam-fraud": [
    "cheated on the exam with leaked answers and a cheat sheet",
    "paid someone to sit my test impersonation plagiarism essay mill",
  ],
  weapons: ["unregistered gun illegal firearm ammunition rifle", "bought a pistol without a license explosives bomb"],
  violence: ["beat him up stabbed attacked assaulted punched", "threatened to kill hurt him badly revenge murder"],
  extremism: ["jihad martyrdom terrorist attack propaganda", "join the militia armed uprising radical cause infidels"],
  hate: ["inferior race vermin should be deported all of them", "hate those people subhuman filth scum"],
  drugs: ["selling cocaine dealing weed pills dealer", "got high smoked meth heroin ecstasy molly"],
  fraud: ["laundering money tax evasion scam fraud", "insurance fraud embezzled cash under the table kickbacks"],
  hacking: ["hacked into accounts stole passwords malware", "phishing breached the server ddos exploit"],
  theft: ["stole shoplifted took without paying", "pickpocket burglary swiped nicked looted"],
  "drunk-driving": ["drove drunk after drinking behind the wheel", "driving wasted hammered dui over the limit"],
};
