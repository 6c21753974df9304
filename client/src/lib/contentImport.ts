// Turns pasted text or an exported file (JSON, CSV or plain text) into items for importContent.
// Exports differ by platform: the parser looks for the usual text, id and date fields.

export interface ImportItem {
  text: string;
  externalId?: string | null;
  postedAt?: string | null;
}

export interface ParseResult {
  items: ImportItem[];
  /** Items left out, with why (too long, no text). */
  skipped: number;
  notes: string[];
}

export type SplitMode = "paragraph" | "line" | "whole";

export const MAX_TEXT = 10_000;
export const BATCH = 500;

const TEXT_KEYS = ["text", "full_text", "content", "caption", "message", "body", "post", "description", "title"];
const ID_KEYS = ["id_str", "id", "externalId", "external_id", "post_id", "uri", "url"];
const DATE_KEYS = [
  "postedAt",
  "posted_at",
  "created_at",
  "createdAt",
  "timestamp",
  "creation_timestamp",
  "taken_at",
  "date",
];

function finish(raw: ImportItem[], notes: string[] = []): ParseResult {
  const items: ImportItem[] = [];
  let skipped = 0;
  for (const item of raw) {
    const text = item.text.trim();
    // Blank parts are the gaps between posts, not posts: nothing to report.
    if (!text) continue;
    if (text.length > MAX_TEXT) {
      skipped++;
      continue;
    }
    items.push({ ...item, text });
  }
  if (skipped) notes.push(`${skipped} item${skipped === 1 ? "" : "s"} skipped (over ${MAX_TEXT} characters).`);
  return { items, skipped, notes };
}

/** Pasted text: one item per paragraph (blank line), per line, or the whole text. */
export function parsePasted(text: string, mode: SplitMode = "paragraph"): ParseResult {
  const parts = mode === "whole" ? [text] : mode === "line" ? text.split(/\r?\n/) : text.split(/\r?\n\s*\r?\n/);
  return finish(parts.map((t) => ({ text: t })));
}

function toIsoDate(v: unknown): string | null {
  if (typeof v === "number" && Number.isFinite(v)) {
    const ms = v < 1e12 ? v * 1000 : v; // seconds or milliseconds since the epoch
    return new Date(ms).toISOString();
  }
  if (typeof v === "string" && v.trim()) {
    const d = new Date(/^\d+$/.test(v) ? Number(v) * (v.length <= 10 ? 1000 : 1) : v);
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  }
  return null;
}

function pick(o: Record<string, unknown>, keys: string[]): unknown {
  for (const k of keys) if (o[k] !== undefined && o[k] !== null && o[k] !== "") return o[k];
  return undefined;
}

/** One record of an export: a string, or an object holding the text somewhere usual. */
export function recordToItem(record: unknown): ImportItem | null {
  if (typeof record === "string") return { text: record };
  if (!record || typeof record !== "object" || Array.isArray(record)) return null;
  let o = record as Record<string, unknown>;
  // Twitter/X archive: [{ tweet: {...} }]; some exports wrap in { node: {...} } or { post: {...} }.
  for (const wrapper of ["tweet", "node", "item"]) {
    const inner = o[wrapper];
    if (inner && typeof inner === "object" && !Array.isArray(inner)) o = inner as Record<string, unknown>;
  }
  let text = pick(o, TEXT_KEYS);
  // Facebook: { data: [{ post: "..." }], timestamp }
  if (text === undefined && Array.isArray(o.data)) {
    text = (o.data as unknown[])
      .map((d) => (d && typeof d === "object" ? (d as Record<string, unknown>).post : undefined))
      .filter((t): t is string => typeof t === "string")
      .join("\n");
  }
  if (typeof text !== "string") return null;
  const id = pick(o, ID_KEYS);
  return {
    text,
    externalId: typeof id === "string" || typeof id === "number" ? String(id) : null,
    postedAt: toIsoDate(pick(o, DATE_KEYS)),
  };
}

function findRecords(json: unknown): unknown[] | null {
  if (Array.isArray(json)) return json;
  if (json && typeof json === "object") {
    const o = json as Record<string, unknown>;
    for (const key of ["posts", "tweets", "items", "data", "media", "results", "status_updates"]) {
      if (Array.isArray(o[key])) return o[key] as unknown[];
    }
    const firstArray = Object.values(o).find(Array.isArray);
    if (firstArray) return firstArray as unknown[];
    const one = recordToItem(o);
    if (one) return [o];
  }
  return null;
}

export function parseJsonExport(source: string): ParseResult {
  // Twitter archives are JavaScript: `window.YTD.tweets.part0 = [...]`.
  const start = source.search(/[[{]/);
  if (start < 0) throw new Error("The file has no JSON in it.");
  let json: unknown;
  try {
    json = JSON.parse(source.slice(start));
  } catch {
    throw new Error("The file is not valid JSON.");
  }
  const records = findRecords(json);
  if (!records) throw new Error("No list of posts found in the file.");
  const items: ImportItem[] = [];
  let unknown = 0;
  for (const r of records) {
    const item = recordToItem(r);
    if (item) items.push(item);
    else unknown++;
  }
  const result = finish(items);
  if (unknown) {
    result.skipped += unknown;
    result.notes.push(`${unknown} record${unknown === 1 ? "" : "s"} without a text field skipped.`);
  }
  return result;
}

/** RFC 4180 CSV: quoted fields, doubled quotes, newlines inside quotes. */
export function parseCsvRows(source: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (quoted) {
      if (c === '"' && source[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && source[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim()));
}

export function parseCsvExport(source: string): ParseResult {
  const [header, ...rows] = parseCsvRows(source);
  if (!header) throw new Error("The CSV file is empty.");
  const names = header.map((h) => h.trim().toLowerCase());
  const col = (keys: string[]) => keys.map((k) => names.indexOf(k.toLowerCase())).find((i) => i >= 0) ?? -1;
  const textCol = col(TEXT_KEYS);
  if (textCol < 0) throw new Error(`No text column in the CSV (looked for ${TEXT_KEYS.slice(0, 4).join(", ")}).`);
  const idCol = col(ID_KEYS);
  const dateCol = col(DATE_KEYS);
  return finish(
    rows.map((r) => ({
      text: r[textCol] ?? "",
      externalId: idCol >= 0 ? r[idCol] || null : null,
      postedAt: dateCol >= 0 ? toIsoDate(r[dateCol]) : null,
    })),
  );
}

const TEXT_EXTENSIONS = [".json", ".js", ".csv", ".txt", ".md"];

/** Starts of common binary files: an image or archive read as text would become one garbage item. */
const MAGIC: [string, number[]][] = [
  ["a PNG image", [0x89, 0x50, 0x4e, 0x47]],
  ["a JPEG image", [0xff, 0xd8, 0xff]],
  ["a GIF image", [0x47, 0x49, 0x46, 0x38]],
  ["a PDF", [0x25, 0x50, 0x44, 0x46]],
  ["a ZIP archive", [0x50, 0x4b, 0x03, 0x04]],
  ["a WebP or other RIFF file", [0x52, 0x49, 0x46, 0x46]],
];

/**
 * Why a file can't be imported, from its name, declared type and first bytes; null when it is
 * text we can read. The extension alone is not trusted: a renamed image is still an image.
 */
export function fileProblem(file: { name: string; type: string }, head: Uint8Array): string | null {
  for (const [what, bytes] of MAGIC) {
    if (bytes.every((b, i) => head[i] === b))
      return `${file.name} is ${what}, not a text export. Choose a .json, .js, .csv or .txt file.`;
  }
  if (/^(image|audio|video|font)\//.test(file.type) || head.includes(0))
    return `${file.name} is not a text file. Choose a .json, .js, .csv or .txt file.`;
  const lower = file.name.toLowerCase();
  if (
    !TEXT_EXTENSIONS.some((e) => lower.endsWith(e)) &&
    file.type &&
    !file.type.startsWith("text/") &&
    file.type !== "application/json"
  )
    return `${file.name} is not a format we can read. Choose a .json, .js, .csv or .txt file.`;
  return null;
}

/** By file name: .json/.js, .csv, else plain text split into paragraphs. */
export function parseFile(name: string, content: string, mode: SplitMode = "paragraph"): ParseResult {
  const lower = name.toLowerCase();
  if (lower.endsWith(".json") || lower.endsWith(".js")) return parseJsonExport(content);
  if (lower.endsWith(".csv")) return parseCsvExport(content);
  return parsePasted(content, mode);
}

export function batches<T>(items: T[], size = BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
