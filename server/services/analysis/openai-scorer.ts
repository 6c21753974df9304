import type { ContentSource } from "../../generated/prisma/client.ts";
import { approxTokens, type FlagReason, type Scorer } from "./scorer.ts";

export interface OpenAiScorerOptions {
  /** Base URL of an OpenAI-compatible API, e.g. https://api.openai.com/v1 or a local server. */
  url: string;
  model: string;
  apiKey?: string;
  timeoutMs: number;
  /** Extra instructions, e.g. the system prompt of the user's agent. */
  instructions?: string | null;
}

const SYSTEM_PROMPT = `You review social media posts and texts of a person for risks in visa, immigration,
employment and background screening. For each item decide which risks it shows, if any.
Answer with JSON only, of the form:
{"items":[{"id":"<item id>","flags":[{"category":"<immigration|document-fraud|exam-fraud|weapons|violence|extremism|hate|drugs|fraud|hacking|theft|drunk-driving|personal-data|alcohol|profanity|tone>","term":"<the words that carry the risk>","severity":<1..5>,"why":"<one sentence for the person>"}]}]}
Include only items with at least one flag. Severity 1 is a matter of taste, 5 could sink an application alone.`;

interface ChatResponse {
  choices?: { message?: { content?: string | null } }[];
  usage?: { total_tokens?: number };
}

export class ScorerError extends Error {
  override name = "ScorerError";
}

/** Scores with any chat-completions API that honours `response_format: json_object`. */
export function createOpenAiScorer(opts: OpenAiScorerOptions): Scorer {
  const endpoint = `${opts.url.replace(/\/+$/, "")}/chat/completions`;
  return {
    name: `openai:${opts.model}`,
    provider: "openai",
    model: opts.model,
    // The prompt wraps every batch; 300 tokens covers it and the reply for a short batch.
    estimateTokens: (items) => 300 + items.reduce((n, i) => n + approxTokens(i.text) * 2, 0),
    async scoreBatch(source: ContentSource, items, signal) {
      const body = {
        model: opts.model,
        temperature: 0,
        response_format: { type: "json_object" },
        messages: [
          { role: "system", content: opts.instructions ? `${SYSTEM_PROMPT}\n\n${opts.instructions}` : SYSTEM_PROMPT },
          { role: "user", content: JSON.stringify({ source, items: items.map((i) => ({ id: i.id, text: i.text })) }) },
        ],
      };
      const res = await fetch(endpoint, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.any([signal, AbortSignal.timeout(opts.timeoutMs)]),
      });
      if (!res.ok) {
        const detail = (await res.text().catch(() => "")).slice(0, 300);
        throw new ScorerError(`scorer answered ${res.status} ${res.statusText}${detail ? `: ${detail}` : ""}`);
      }
      const json = (await res.json()) as ChatResponse;
      const content = json.choices?.[0]?.message?.content;
      if (!content) throw new ScorerError("scorer answered without content");
      let parsed: unknown;
      try {
        parsed = JSON.parse(content);
      } catch {
        throw new ScorerError("scorer answered with content that is not JSON");
      }
      const known = new Set(items.map((i) => i.id));
      const flags = parseFlags(parsed).filter((f) => known.has(f.id));
      const tokens = json.usage?.total_tokens ?? this.estimateTokens(items);
      return { flags, tokens };
    },
  };
}

/** Keeps what is well-formed in a model's answer; a model that invents fields does not break the run. */
function parseFlags(parsed: unknown): { id: string; reasons: FlagReason[] }[] {
  const items = (parsed as { items?: unknown })?.items;
  if (!Array.isArray(items)) throw new ScorerError('scorer JSON has no "items" array');
  const out: { id: string; reasons: FlagReason[] }[] = [];
  for (const item of items) {
    const id = (item as { id?: unknown })?.id;
    const flags = (item as { flags?: unknown })?.flags;
    if (typeof id !== "string" || !Array.isArray(flags)) continue;
    const reasons: FlagReason[] = [];
    for (const f of flags) {
      const { category, term, severity, why } = (f ?? {}) as Record<string, unknown>;
      const sev = typeof severity === "number" ? Math.min(5, Math.max(1, severity)) : 1;
      if (typeof category !== "string") continue;
      reasons.push({
        rule: `llm.${category}`,
        category,
        term: typeof term === "string" ? term.slice(0, 200) : "",
        severity: sev,
        why: typeof why === "string" ? why.slice(0, 500) : "Flagged by the model.",
      });
    }
    if (reasons.length > 0) out.push({ id, reasons });
  }
  return out;
}
