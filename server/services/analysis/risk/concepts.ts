// Word classes the phrase rules are written with: each lists the inflections, spellings and
// street slang of one idea, so a rule says {sell} ~3 {drug} once instead of listing every way
// to say it. Regular-expression alternations over the normalised text (text.ts).

const _alt = (...words: string[]) => words.join("|");

import { PEOPLE_WORDS } from "./words-people.ts";
import { THING_WORDS } from "./words-things.ts";

export { CUES } from "./cues.ts";

export const CONCEPTS: Record<string, string> = { ...PEOPLE_WORDS, ...THING_WORDS };
