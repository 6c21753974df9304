import type { RiskCategory } from "../lexicon.ts";

// Personal data is found in the raw text (numbers and their labels), not in the normalised form.
export interface PiiHit {
  rule: string;
  category: RiskCategory;
  severity: number;
  term: string;
  why: string;
}

/** Luhn's checksum: a 13-19 digit run that passes it is very likely a real card number. */
function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const CARD = /(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)/g;
const SSN = /(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)/;
const PASSPORT = /\b(?:passport|visa)\s*(?:no\.?|number|num|#)?\s*(?:is|:|=)?\s*([A-Z]{0,2}\d[A-Z0-9]{5,9})\b/i;
const LABELLED_NUMBER =
  /\b(?:national id|id (?:no|number)|id|ssn|social security(?: number)?|account(?: number)?|acct|sort code|iban|routing(?: number)?|pin(?: code)?)\s*(?:is|:|=|#)?\s*\S*\d[\d -]{2,}\d/i;
const CARD_CODE = /\b(?:cvv|cvc|cv2|security code)\s*(?:is|:|=)?\s*\d{3,4}\b/i;
const LABELLED_PASSWORD = /\b(?:password|passcode|login)\s*(?:is|:|=)\s*(?:\S+\s*\/\s*)?\S*\d\S*/i;
const PHONE = /(?<![\d.])\+?\d[\d\s().-]{7,}\d(?![\d.])/;
const EMAIL = /[\w.+-]+@[\w-]+\.[\w.-]+/;
const STREET =
  /\b\d{1,5}\s+\w+(?:\s\w+)?\s+(?:street|st|lane|ln|avenue|ave|road|rd|drive|dr|boulevard|blvd|court|ct|way)\b/i;
const ADDRESS_WORDS =
  /\b(?:home address|address of|(?:his|her|their) (?:home )?address|where (?:he|she|they|my ex) lives?(?: now)?|lives at)\b/i;
/** Posting data so that others act on it: the mark of doxxing. */
const DOXX =
  /\b(?:doxx\w*|for anyone who wants to tell|parents call (?:her|him)|call (?:her|him) anytime|go say hi|pay (?:him|her|them) a visit|spread (?:it|this)|so everyone knows|make (?:him|her|them) regret|blow (?:it|him|her) up|spam (?:him|her|them)|tell (?:him|her|them) what you think|let's|since (?:he|she|they)|posting|leaked|call this number|harass|go get)\b/i;
const ID_IMAGE =
  /\b(?:(?:photo|pic|picture|scan|copy|image) of my (?:driver'?s? )?(?:license|licence|passport|id|boarding pass)|(?:here'?s|here is|posting|sharing) my (?:drivers? )?(?:license|licence|passport|id|boarding pass)|(?:boarding pass|license|licence) with the barcode|mother'?s maiden name|one-time code is \d+|(?:bank )?card to the fridge in the photo|(?:application|reference) number|(?:card|permit|passport|licen[cs]e|id)(?: card)? (?:front and back|both sides))\b/i;

export function findPii(text: string): PiiHit[] {
  const hits: PiiHit[] = [];
  const push = (rule: string, severity: number, term: string, why: string) =>
    hits.push({ rule, category: "personal-data", severity, term: term.trim(), why });
  for (const m of text.matchAll(CARD)) {
    const digits = m[0].replace(/\D/g, "");
    if (digits.length >= 13 && luhn(digits)) {
      push("personal-data.card-number", 5, m[0], "Publishes a payment card number that passes the card checksum.");
      break;
    }
  }
  const ssn = SSN.exec(text);
  if (ssn) push("personal-data.ssn", 5, ssn[0], "Publishes what looks like a social security number.");
  const passport = PASSPORT.exec(text);
  if (passport) push("personal-data.document-number", 4, passport[0], "Publishes an identity document number.");
  const secret = LABELLED_NUMBER.exec(text) ?? LABELLED_PASSWORD.exec(text) ?? CARD_CODE.exec(text);
  if (secret && !ssn)
    push("personal-data.secret", 4, secret[0], "Publishes an ID, account number, PIN or password under its label.");
  const idImage = ID_IMAGE.exec(text);
  if (idImage)
    push("personal-data.id-image", 4, idImage[0], "Shares an identity document or the answers to security questions.");
  const doxx = DOXX.exec(text);
  const address = STREET.exec(text) ?? ADDRESS_WORDS.exec(text);
  const phone = PHONE.exec(text);
  const email = EMAIL.exec(text);
  if (doxx && (address || phone || email || /\b(?:phone|email|address)\b/i.test(text))) {
    const what = address?.[0] ?? phone?.[0] ?? email?.[0] ?? doxx[0];
    push("personal-data.doxxing", 5, what, "Publishes someone's address or contact details for others to act on.");
  } else {
    // The writer's own contact details: worth knowing, not a reason to flag on their own.
    if (phone && !passport && !ssn) push("personal-data.phone", 2, phone[0], "Publishes a phone number.");
    if (email) push("personal-data.email", 2, email[0], "Publishes an email address.");
  }
  return hits;
}
