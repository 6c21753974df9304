// Names are for display only (storage keys never contain them): normalised, without control or
// format characters, without path separators, and bounded.
export const MAX_NAME_CHARS = 200;
export const MAX_FOLDER_CHARS = 100;

export function cleanName(raw: string, max = MAX_NAME_CHARS): string {
  const cleaned = raw
    .normalize("NFC")
    .replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}]/gu, "")
    .replace(/[/\\]/g, "_")
    .replace(/\s+/g, " ")
    .trim();
  return Array.from(cleaned).slice(0, max).join("").trim();
}
