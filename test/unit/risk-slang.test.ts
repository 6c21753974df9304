// Hard cases for the learned half of the offline scorer: slang, euphemism and paraphrase no rule
// names, beside innocent twins that use the same words. Taken from the training posts the rules
// were not written from (test/fixtures/risk-posts.dev3.jsonl), so a change to the model, its
// features or its training data that loses them fails here.
import { describe, expect, it } from "vitest";
import { assess } from "../../server/services/analysis/risk/assess.ts";

const CASES: Record<string, { flag: string[]; pass: string[] }> = {
  immigration: {
    flag: [
      "Student visa says 20 hours a week, I'm doing 50 at the car wash, cash in hand.",
      "Arranged marriage of convenience, we split the fee and file the joint tax return once a year.",
    ],
    pass: ["My six month probation at work is finally up, permanent contract signed!"],
  },
  "document-fraud": {
    flag: [
      "Need a utility bill with a different address for the school catchment, anyone know who makes them?",
      "The diploma mill sent my masters certificate in a week, already on LinkedIn.",
    ],
    pass: [
      "The bank statement showed a charge I didn't make, called them and they fixed it.",
      "Made a fake ID prop for the school play, it says Hogwarts Student.",
    ],
  },
  "exam-fraud": {
    flag: [
      "Had my phone in my sock and went to the loo twice during the final.",
      "Bought the essay off a site, ran it through a rewriter so turnitin won't catch it.",
    ],
    pass: [
      "Group chat had a revision session the night before, actually helped a lot.",
      "Invigilated the year 11 mocks today, so quiet you could hear a pin drop.",
    ],
  },
  weapons: {
    flag: [
      "Keeping a blade in the glovebox, you never know round here.",
      "My cousin converted a blank firing pistol, it shoots real rounds now.",
    ],
    pass: [
      "Grandad's shotgun is licensed and locked in the cabinet, he shoots clays on Sundays.",
      "Glue gun burnt my finger again doing the crafts with the kids.",
    ],
  },
  violence: {
    flag: [
      "Keep running your mouth and you'll be eating through a straw.",
      "Waiting outside his work tonight with a bat, he owes me.",
    ],
    pass: ["If my team loses one more game I'm going to lose my mind.", "Break a leg at the audition tonight!"],
  },
  extremism: {
    flag: [
      "The system can only be fixed with fire, the ballot is for cowards.",
      "The government buildings are legitimate targets, history will thank us.",
    ],
    pass: [
      "Our movement for cleaner rivers needs volunteers this Saturday.",
      "Joining a summer camp as a counsellor, archery and canoeing every day.",
    ],
  },
  hate: {
    flag: [
      "Wouldn't let my daughter marry one of them, they're not even fully human.",
      "Got a new neighbour in a headscarf, time to sell up before the area turns.",
    ],
    pass: [
      "Told the kid on the bus to sit down before he fell, he laughed.",
      "Read a history of antisemitism in Europe, grim but necessary.",
    ],
  },
  drugs: {
    flag: [
      "Who's holding for tonight? Need a couple of pingers for the rave.",
      "Running bags for my older cousin after school, easy money.",
    ],
    pass: ["Got a fresh batch of green tea in, the jasmine one is lovely."],
  },
  fraud: {
    flag: [
      "Staged a little bump with my mate's car, whiplash claim pays out next month.",
      "Two jobs, two tax codes, declared one of them.",
    ],
    pass: [
      "My laptop actually was stolen from the car, insurance came through after the police report.",
      "Paying the builders by bank transfer, invoice and receipt for everything.",
    ],
  },
  hacking: {
    flag: ["Ran a booter on his IP in the middle of the match, he lagged out."],
    pass: [
      "Hacking away at the brambles in the garden all morning.",
      "Lag in the match was unreal, my router is dying.",
    ],
  },
  theft: {
    flag: [
      "Pocketing cash from the till a tenner at a time, boss hasn't noticed.",
      "Kept the delivery and told Amazon it never arrived, refund sorted.",
    ],
    pass: ["Lifted 100kg today, new personal best."],
  },
  "drunk-driving": {
    flag: [
      "Smoked a zoot and drove to the chippy, was so careful lol.",
      "Off my face and doing 90 on the ring road at 3am.",
    ],
    pass: [
      "Drank loads at the wedding, my sister drove us back.",
      "Half a bottle of wine at lunch then a long nap, perfect Sunday.",
    ],
  },
  "personal-data": {
    flag: ["Online banking login is sam.jones and the password is Liverpool1987, check my balance please."],
    pass: [
      "Never share your card number or CVV with anyone who calls you.",
      "Finally memorised my passport number after ten years of travel.",
    ],
  },
};

describe("offline risk scorer on slang and euphemism", () => {
  for (const [category, { flag, pass }] of Object.entries(CASES)) {
    it(`${category}: flags the euphemism and passes its innocent twin`, () => {
      for (const text of flag) {
        const a = assess(text);
        expect(a.flagged, text).toBe(true);
        expect(
          a.reasons.map((r) => r.category),
          text,
        ).toContain(category);
        // Each flag says which evidence and why, so it can be contested.
        const top = a.reasons[0];
        expect(top?.term.length, text).toBeGreaterThan(0);
        expect(top?.why.length, text).toBeGreaterThan(20);
      }
      for (const text of pass) expect(assess(text).flagged, text).toBe(false);
    });
  }
});
