import { z } from "zod";

/** A trimmed text input of at most `max` characters, with the message every field gives. */
export const text = (max: number) => z.string().trim().max(max, `must be at most ${max} characters`);
