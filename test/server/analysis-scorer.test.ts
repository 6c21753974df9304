import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import { aggregate, explain, gradeOf, overall } from "../../server/services/analysis/scorer.ts";
import { createOwner, createTestApp, dbId, executor, ok } from "../kit.ts";
import { analysisConfig, chatCompletion, RUN, seedContent, startRun, waitFinished } from "../support/analysis.ts";

describe("lexicon scorer", () => {
  // The per-category behaviour is pinned in risk-rules.test.ts; these cover the interface.
  const rules = (text: string) => explain(text).map((r) => r.rule);

  it("explains each flag with its rule, the matched term and why", () => {
    const [r] = explain("Honestly I overstayed my visa in 2019");
    expect(r).toMatchObject({ rule: "immigration.overstay", category: "immigration", term: "overstayed" });
    expect(r?.why).toMatch(/visa/);
    expect(rules("Lovely sunset at the beach")).toEqual([]);
  });

  it("weighs a negated or reported mention less than an admission", () => {
    const admitted = explain("I did cocaine at the party")[0]?.severity ?? 0;
    const negated = explain("I never did cocaine at the party")[0];
    const reported = explain("Police say he sold cocaine at the party")[0];
    expect(admitted).toBe(4);
    expect(negated?.severity).toBeLessThan(admitted);
    expect(negated?.why).toMatch(/Negated/);
    expect(reported?.severity).toBeLessThan(admitted);
    expect(reported?.why).toMatch(/reporting/);
  });

  it("matches whole words only, and finds personal data", () => {
    expect(rules("Scunthorpe shitake mushrooms")).toEqual([]);
    // The patterns' own reasons; the combiner may add its own flag for the post beside them.
    const published = rules("call me on +44 7700 900123 or mail a.b@example.com");
    expect(published.filter((r) => r.startsWith("personal-data.")).sort()).toEqual([
      "personal-data.email",
      "personal-data.phone",
    ]);
    expect(rules("my ssn is 078-05-1120")).toContain("personal-data.ssn");
  });

  it("grades sources 0..100 and A..F: one threat outweighs many swear words; the run leans on its worst source", () => {
    const items = (texts: string[]) => texts.map((text, i) => ({ id: `i${i}`, text }));
    const score = (texts: string[]) => {
      const it = items(texts);
      return aggregate(
        "twitter",
        it,
        it.map((i) => ({ id: i.id, reasons: explain(i.text) })),
      );
    };
    const clean = score(["Lovely day", "Great talk"]);
    expect(clean).toMatchObject({ riskScore: 0, grade: "A", itemCount: 2, flaggedItems: [] });
    const swearing = score(["wtf", "shit happens"]);
    const threat = score(["I will kill you"]);
    expect(threat.riskScore).toBeGreaterThan(swearing.riskScore);
    expect(score(["I overstayed", "I did cocaine", "paid in cash, under the table", "I will kill you"]).grade).toMatch(
      /[DF]/,
    );
    for (const r of [clean, swearing, threat]) expect(r.grade).toBe(gradeOf(r.riskScore));
    expect(threat.flaggedItems[0]).toMatchObject({ contentItemId: "i0", excerpt: "I will kill you" });
    expect(
      overall([
        { riskScore: 90, itemCount: 1 },
        { riskScore: 0, itemCount: 99 },
      ]).score,
    ).toBeGreaterThanOrEqual(63);
    expect(overall([])).toEqual({ score: 0, grade: "A" });
  });
});

describe("OpenAI-compatible scorer", () => {
  let server: Server;
  let url: string;
  const requests: { auth: string | undefined; body: any }[] = [];
  let failNext = false;

  /** A real HTTP server speaking the chat completions API: flags items that mention "overstay". */
  async function handle(req: IncomingMessage) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString());
    requests.push({ auth: req.headers.authorization, body });
    if (failNext) return { status: 503, json: { error: { message: "overloaded" } } };
    const { items } = JSON.parse(body.messages.at(-1).content) as { items: { id: string; text: string }[] };
    const flagged = items
      .filter((i) => /overstay/i.test(i.text))
      .map((i) => ({
        id: i.id,
        flags: [{ category: "immigration", term: "overstay", severity: 5, why: "Overstaying a visa." }],
      }));
    return { status: 200, json: chatCompletion(body.model, { items: flagged }, 42) };
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
        res.writeHead(404).end();
        return;
      }
      handle(req).then(({ status, json }) => {
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(json));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  async function appWith(overrides: Record<string, string> = {}): Promise<App> {
    const app = await createTestApp({
      config: analysisConfig({
        SCORER_PROVIDER: "openai",
        SCORER_URL: url,
        SCORER_MODEL: "test-model",
        SCORER_API_KEY: "sk-test",
        SCORER_COST_PER_1K_TOKENS: "2",
        ...overrides,
      }),
    });
    await app.start();
    return app;
  }

  it("scores runs through the provider's chat completions with a JSON response, and bills its tokens", async () => {
    const app = await appWith();
    try {
      const exec = executor(app);
      const me = await createOwner(exec);
      await seedContent(exec, me, ["twitter"]);
      requests.length = 0;
      const run = await startRun(exec, me);
      const finished = await waitFinished(app, run.id);
      expect(finished).toMatchObject({ status: "complete", scorer: "openai:test-model" });
      expect(requests).toHaveLength(3); // batches of one item
      expect(requests[0]?.auth).toBe("Bearer sk-test");
      expect(requests[0]?.body).toMatchObject({ model: "test-model", response_format: { type: "json_object" } });
      expect(finished.tokensUsed).toBe(3 * 42);

      const d = (await ok(exec, RUN, { id: run.id }, me.token)).analysisRun;
      const [twitter] = d.results;
      expect(twitter.flaggedItems).toHaveLength(1);
      expect(twitter.flaggedItems[0].reasons[0]).toMatchObject({ rule: "llm.immigration", term: "overstay" });
      const log = await app.db.prisma.usageLog.findUniqueOrThrow({ where: { analysisRunId: dbId(run.id) } });
      expect(log).toMatchObject({ provider: "openai", model: "test-model", tokensUsed: 126 });
      expect(Number(log.cost)).toBeCloseTo(0.252, 6);
    } finally {
      await app.stop();
    }
  });

  it("fails the run with SCORER_ERROR when the provider keeps failing", async () => {
    const app = await appWith({ ANALYSIS_MAX_ATTEMPTS: "1" });
    failNext = true;
    try {
      const exec = executor(app);
      const me = await createOwner(exec);
      await seedContent(exec, me, ["linkedin"]);
      const run = await startRun(exec, me);
      const finished = await waitFinished(app, run.id);
      expect(finished).toMatchObject({ status: "failed", errorCode: "SCORER_ERROR" });
      expect(finished.errorMessage).toMatch(/503/);
    } finally {
      failNext = false;
      await app.stop();
    }
  });
});
