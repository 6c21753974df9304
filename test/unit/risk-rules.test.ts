// The offline risk scorer on posts a reviewer would and would not flag, per category. Pure
// functions, no database: it runs once, in the unit project.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { assess } from "../../server/services/analysis/risk/assess.ts";
import { type ModelFile, modelTokens, NaiveBayes, riskModel } from "../../server/services/analysis/risk/model.ts";
import { normalize } from "../../server/services/analysis/risk/text.ts";
import { createLexiconScorer } from "../../server/services/analysis/scorer.ts";

const CASES: Record<string, { flag: string[]; pass: string[] }> = {
  immigration: {
    flag: [
      "My tourist visa ran out back in 2022 but I'm still here, just keeping my head down.",
      "We got married for the papers, he gets paid and I get residency. Nobody has to know.",
      "Been driving for Uber under my friend's account since my work permit got denied.",
      "She's paying me to be her husband for the paperwork, we've never even kissed",
    ],
    pass: [
      "overstayed my welcome at grandma's, she kept feeding me for 4 hours",
      "Paid the contractor in cash and got a proper receipt for everything.",
      "Reading about how many people overstay their visas each year, the numbers are surprising.",
      "Border collie puppy crossed the road like a pro today",
    ],
  },
  "document-fraud": {
    flag: [
      "I just edited the bank statement PDF so the balance looks like 30k for the visa office.",
      "Printed my own doctor's note with the clinic letterhead, HR didn't even blink.",
      "Borrowed my cousin's passport to fly out since mine was flagged.",
      "Made my own bank statement in Word with a nicer balance for the visa",
    ],
    pass: [
      "Edited my bank statement export in Excel to build a monthly budget, finally on top of my spending.",
      "The police arrested a gang that was forging passports, according to the BBC.",
      "My counterfeit Gucci bag from the market broke after two days lol, lesson learned.",
      "Got a new ID photo done and for once I don't look like a criminal",
    ],
  },
  "exam-fraud": {
    flag: [
      "Wore a tiny bluetooth earbud in the exam and my brother read me the answers.",
      "Looking for someone to sit the IELTS in my place, good money.",
      "Wrote the formulas on my arm under my sleeve for the physics final.",
      "Smartwatch with the notes on it, invigilator was half asleep",
    ],
    pass: [
      "Cheat meal Sunday: burgers, fries and a milkshake.",
      "That midterm absolutely murdered me.",
      "He cheated at Monopoly again, family game night is ruined.",
      "Cheat code for the game finally worked, infinite lives",
    ],
  },
  weapons: {
    flag: [
      "Built an 80% lower in the garage, untraceable and nobody knows it exists.",
      "Took the serial number off my rifle just in case.",
      "Got a revolver from my cousin, no questions asked.",
      "Keeping a machete under the seat, it's rough round here",
    ],
    pass: [
      "Just had a shot of tequila and now I'm ready to dance.",
      "Just completed the gun safety course and registered my new pistol with the state.",
      "The police found an illegal gun in a car during a traffic stop, the news said.",
      "Shot of tequila and dancing till 3am",
    ],
  },
  violence: {
    flag: [
      "If you touch my brother again I will break every bone in your body.",
      "Watch your back, I know what car you drive.",
      "Stomped a dude at the party until he stopped moving, wild night.",
      "If you don't pay me back by Friday, I know where your kids go to school",
    ],
    pass: [
      "I absolutely killed it at the gym today, new PR on squats!",
      "My kids will kill me if I forget the ice cream again.",
      "Man arrested after stabbing outside a nightclub, police say, investigation ongoing.",
      "This workout absolutely murdered my legs",
    ],
  },
  extremism: {
    flag: [
      "Only a race war can save our people now, stock up and be ready.",
      "Whoever shot up that church did what needed to be done, a true saint.",
      "Thinking of travelling to join the fighters, my family doesn't know.",
      "Collecting funds for the mujahideen, transfer details in private",
    ],
    pass: [
      "Extreme sports weekend: skydiving and bungee jumping!",
      "Heartbroken by the terrorist attack, thinking of the victims and their families.",
      "A documentary about the Taliban takeover, hard to watch but important.",
      "Explosive growth in our startup this quarter",
    ],
  },
  hate: {
    flag: [
      "Immigrants are parasites living off our taxes.",
      "Go back to your country, nobody wants your kind here.",
      "Gypsies should be sterilized so they stop breeding.",
      "Africans are lazy, that's why their countries are poor",
    ],
    pass: [
      "These mosquitoes are parasites, I'm covered in bites.",
      "Someone told my friend to go back to her country today, I'm so angry for her.",
      "Celebrating Eid with our Muslim neighbors, the food was incredible.",
      "My Nigerian colleague makes the best jollof, fight me",
    ],
  },
  drugs: {
    flag: [
      "Just picked up an eighth from my plug, weekend sorted.",
      "Snorted a line in the bathroom at work to get through the shift.",
      "I've been selling weed out of my dorm room all semester, paid off my loans.",
      "need some snow for the weekend, who's got a number",
      "Been moving weight out of the flat above the chippy all summer",
    ],
    pass: [
      "Moving weight plates into the garage gym today, my back hates me",
      "Coca-Cola and popcorn, perfect movie night.",
      "Never touched drugs in my life and never will.",
      "Police seized a ton of cocaine at the port, reports say.",
      "Snow day! Schools closed and sledging all afternoon",
    ],
  },
  fraud: {
    flag: [
      "We keep a second set of books for the tax inspector, works every year.",
      "My cousin pays me to receive transfers and forward them, I keep a percentage.",
      "Reported my phone stolen for the insurance payout, it's in my drawer.",
      "Faked a slip at the supermarket, they settled for 2k",
      "Torched my old van for the insurance, the claim paid out last week",
    ],
    pass: [
      "Saving up for the insurance on my first car, it's brutal at 17",
      "I feel like such a fraud giving this presentation, imposter syndrome is real.",
      "Washed my whites with a red sock, everything is pink now.",
      "I would never cheat on my taxes, it's not worth the risk.",
      "Laundry day, washed all the bedsheets",
    ],
  },
  hacking: {
    flag: [
      "Put spyware on my husband's phone so I can read all his messages.",
      "Cracked the neighbor's wifi password in five minutes, free internet.",
      "Selling hacked Spotify and Disney+ accounts, cheap.",
      "Hooked a skimmer onto the petrol station card reader",
    ],
    pass: [
      "Life hack: put a wooden spoon over boiling pasta so it doesn't overflow.",
      "My Facebook got hacked, please don't accept friend requests from me.",
      "Our IT department ran a phishing test and I failed it, embarrassing.",
      "Kitchen hack: peel garlic by shaking it in a jar",
    ],
  },
  theft: {
    flag: [
      "Lifted a bottle of gin from the offy and walked out without paying",
      "Lifted a wallet off a tourist on the subway, easy money.",
      "I take a bit of cash from the till every shift, nobody counts it.",
      "Stealing from self checkout is so easy, I just don't scan half the items.",
      "Pocketing cash from the charity tin at work",
    ],
    pass: [
      "Lifted weights at the gym and walked out buzzing",
      "Someone stole my bike last night, please share if you see it.",
      "The new singer stole the show at the concert.",
      "Robbed of a win by the referee again, terrible call.",
      "Returned the extra change the cashier gave me by mistake",
    ],
  },
  "drunk-driving": {
    flag: [
      "Drove home hammered from the pub again, roads were empty",
      "Had about ten beers then drove to get tacos, no cops so no problem.",
      "Wine at dinner, cocktails after, then I drove everyone home.",
      "My license is suspended for drunk driving, still driving though.",
      "Open can in the cup holder the whole drive, legend",
      "Can of cider in the cup holder the whole drive home lol",
    ],
    pass: [
      "Left my water bottle in the cup holder the whole drive, it's boiling now",
      "Hammered the nails into the fence all afternoon, then drove to the tip",
      "My dad was killed by a drunk driver, please never drive after drinking.",
      "We took a taxi home after the party, always plan your ride.",
      "Getting a breathalyzer for the car as part of our company safety program.",
      "Alcohol free beer for the drive, tastes decent",
    ],
  },
  "personal-data": {
    flag: [
      "My passport number is X1234567, saving it here in case I lose my bag.",
      "My credit card is 5500 0000 0000 0004, exp 11/26, don't judge the limit.",
      "This is the home address of the woman who cut me off: 22 Oak Lane, go pay her a visit.",
      "Driver licence number SMITH901015JJ9AA, for the car rental",
    ],
    pass: [
      "For questions, email our support team at support@example.com.",
      "The bank reminded me to never share my PIN, good advice.",
      "Our shop is at 10 High Street, open every day 9 to 5.",
      "Flight number BA 245 was delayed again",
    ],
  },
};

describe("offline risk scorer", () => {
  for (const [category, { flag, pass }] of Object.entries(CASES)) {
    it(`${category}: flags what a reviewer flags and passes the same words in innocent senses`, () => {
      for (const text of flag) {
        const a = assess(text);
        expect(a.flagged, text).toBe(true);
        expect(
          a.reasons.map((r) => r.category),
          text,
        ).toContain(category);
      }
      for (const text of pass) expect(assess(text).flagged, text).toBe(false);
    });
  }

  it("reads slang and contractions the way the rules are written", () => {
    expect(normalize("Imma sell ur zaza, DON'T tell!!")).toBe("| i am going to sell your zaza | do not tell");
    expect(normalize("blew a .12 at the checkpoint")).toBe("| blew a .12 at the checkpoint");
    // Leetspeak, spelt-out and stretched words read as the word; numbers with units stay numbers.
    expect(normalize("s3lling w33d n c0ke, gonna k.i.l.l him, stabbbed")).toBe(
      "| selling weed n coke | going to kill him | stabbed",
    );
    expect(normalize("b4 3am: 50k, mp3, 2fa, pin 4821, $400")).toBe("| before 3am | 50k | mp3 | 2fa | pin 4821 | $400");
  });

  it("says why: the rule, the words, and what weakened it", () => {
    const [overstay] = assess("Honestly I overstayed my visa in 2019").reasons;
    expect(overstay).toMatchObject({
      rule: "immigration.overstay",
      category: "immigration",
      term: "overstayed",
      severity: 5,
    });
    const negated = assess("I never sold weed to anyone");
    expect(negated.flagged).toBe(false);
    for (const r of negated.reasons) expect(r.why).toMatch(/Negated nearby \("(?:i )?never"\)/);
    const reported = assess("Police say he was selling cocaine outside the school").reasons[0];
    expect(reported?.why).toMatch(/reporting/);
    expect(reported?.severity).toBeLessThan(3);
    const near = assess("Got a revolver from a lad at work, no questions asked").reasons.find(
      (r) => r.rule === "weapons.concealed",
    );
    expect(near?.why).toMatch(/near "pistol" in the word vectors/);
  });

  it("asks the learned model only when no rule flags, and it names the words that weighed most", () => {
    const model = riskModel();
    expect(model?.labels).toEqual(expect.arrayContaining(["ok", "drugs", "fraud"]));
    // No rule names this wording; the model has seen posts like it.
    const text = "My mate can sort you a bag for the weekend, same as last time, just bring the cash";
    expect(assess(text, null).flagged).toBe(false);
    const withModel = assess(text);
    expect(withModel.flagged).toBe(true);
    const [reason] = withModel.reasons;
    expect(reason?.rule).toBe("model.drugs");
    expect(reason?.why).toMatch(/weighed most\. Weighed with the rest of the post \(risk 0\.\d+/);
    expect(reason?.term.split(", ").length).toBeGreaterThan(0);
    // A rule flag the combiner keeps is never replaced by the model's.
    expect(assess("I overstayed my visa last year lol").reasons.map((r) => r.rule)).not.toContain("model.immigration");
  });

  it("reads words it never saw through their kin in the word vectors, and negated words as their own", () => {
    // "revolver" lends the evidence of "pistol", its nearest dev word in the shipped vectors.
    expect(modelTokens("picked up a revolver")).toContain("~pistol");
    const stashed = assess("stashed the kilos in the van for the run up north, cash on delivery").reasons[0];
    expect(stashed).toMatchObject({ rule: "model.drugs", category: "drugs" });
    expect(stashed?.term).toMatch(/stashed \(near "\w+"\)/);
    // In a negation's scope a word is its own token and lends no kin: no evidence of the act.
    const never = modelTokens("I never cheated");
    expect(never).toContain("not_cheat");
    expect(never).not.toContain("cheat");
    const model = riskModel();
    const run = "stashed two kilos of heroin in the van for the run up north";
    expect(model?.judge(run, undefined, 0)?.evidence).toContain('stashed (near "hid")');
    expect(model?.lead(`Never ${run}`)).toBeLessThan((model?.lead(run) ?? 0) - 3);
  });

  it("lets the combiner overrule a rule's flag the rest of the post reads as harmless, and says what outweighed it", () => {
    const text = "Snatched victory in the last minute, what a game";
    expect(assess(text, null).flagged).toBe(true);
    const a = assess(text);
    expect(a.flagged).toBe(false);
    expect(a.reasons[0]).toMatchObject({ rule: "theft.admission", severity: 1.5 });
    expect(a.reasons[0]?.why).toMatch(
      /Outweighed by the rest of the post \(risk 0\.\d+, flags from 0\.\d+\): the learned model/,
    );
    // A rule flag the model does not contradict stands.
    expect(assess("Swiped a wallet off a drunk guy at the bar, 200 in cash").flagged).toBe(true);
  });

  it("says the street wording it flagged on, and a warning about the scheme cancels it", () => {
    expect(assess("Torched my old van for the insurance, the claim paid out last week").reasons[0]).toMatchObject({
      rule: "fraud.claims",
      term: "torched my old van for the insurance",
    });
    expect(assess("Running a county line now, the young ones do the deliveries").reasons[0]).toMatchObject({
      rule: "drugs.street",
      term: "running a county line",
    });
    expect(assess("Beware, the fake GoFundMe for a sick dog going round is a scam").flagged).toBe(false);
  });

  it("scores with the library's own odds, summed once per word", () => {
    const file = JSON.parse(
      readFileSync(new URL("../../server/services/analysis/risk/model.json", import.meta.url), "utf8"),
    ) as ModelFile;
    for (const json of [file.binary, file.categories]) {
      const nb = new NaiveBayes(json);
      for (const text of ["selling two grams behind the station", "I never overstayed my visa", "lovely day"]) {
        const tokens = [...new Set(modelTokens(text))];
        const ours = nb.odds(tokens);
        for (const [label, odds] of nb.libraryOdds(tokens)) expect(ours?.get(label), label).toBeCloseTo(odds, 6);
      }
    }
  });

  it("reports only flagged posts through the scorer interface, with their minor reasons beside", async () => {
    const scorer = createLexiconScorer();
    const { flags, tokens } = await scorer.scoreBatch(
      "twitter",
      [
        { id: "a", text: "Got so wasted then drove home, don't tell my mom" },
        { id: "b", text: "We got so wasted last night" },
        { id: "c", text: "call me on +44 7700 900123" },
      ],
      new AbortController().signal,
    );
    expect(flags.map((f) => f.id)).toEqual(["a"]);
    expect(flags[0]?.reasons.map((r) => r.rule)).toEqual(expect.arrayContaining(["drunk-driving", "alcohol.excess"]));
    expect(tokens).toBeGreaterThan(0);
  });
});
