// /metrics over real HTTP: the token, the series an operator alerts on, and request ids that tie an
// error a client saw to the log lines of its request.
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import { loadConfig } from "../../server/config.ts";
import { createOwner, createTestApp, dbKind, type Execute, executor, ok, PRODUCTION_SECRETS } from "../kit.ts";
import { analysisConfig, connect, PROGRESS, seedContent, startRun, waitFinished, watch } from "../support/analysis.ts";

const TOKEN = "metrics-test-token-0123456789";

/** The value of one series (exact name and labels as Prometheus prints them), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("metrics and request ids", () => {
  let app: App;
  let exec: Execute;
  let base: string;
  let queue: string;
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split("\n")) if (line) logs.push(JSON.parse(line));
        done();
      },
    });
    app = await createTestApp({
      config: analysisConfig({ RUN_WORKER: "false", METRICS_TOKEN: TOKEN }),
      logger: pino({ level: "info" }, sink),
    });
    queue = app.config.ANALYSIS_QUEUE;
    exec = executor(app);
    const { url } = await app.start();
    base = url.replace(/\/graphql$/, "");
  });
  afterAll(async () => {
    await app?.stop();
  });

  const scrape = async () => {
    const r = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return r.text();
  };

  it("refuses /metrics without the token, and logs the refusal as a security event", async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${base}/metrics`, { headers: { authorization: "Bearer not-the-token-at-all" } });
    expect(wrong.status).toBe(401);
    expect(logs.filter((l) => l.event === "security" && l.kind === "metrics_unauthorized")).toHaveLength(2);
  });

  it("counts operations by name with durations, errors by code; the error carries the request id of its log lines", async () => {
    const res = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `mutation NewKey { createApiKey(name: "k", scopes: [READ_PROFILE]) { secret } }` }),
    });
    const body = (await res.json()) as { errors: { extensions: Record<string, unknown> }[] };
    const requestId = res.headers.get("x-request-id");
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.errors[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", requestId });
    const security = logs.find((l) => l.reqId === requestId && l.event === "security");
    expect(security).toMatchObject({ kind: "unauthenticated", operation: "NewKey", ip: "127.0.0.1" });

    // Errors raised before execution carry it too.
    const bad = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ nope" }),
    });
    const badBody = (await bad.json()) as { errors: { extensions: Record<string, unknown> }[] };
    expect(badBody.errors[0]?.extensions.requestId).toBe(bad.headers.get("x-request-id"));

    const text = await scrape();
    const op = 'operationName="NewKey",operationType="mutation"';
    expect(sample(text, `graphql_envelop_request{${op}}`)).toBe(1);
    expect(sample(text, `graphql_envelop_request_duration_count{${op}}`)).toBe(1);
    expect(sample(text, `graphql_envelop_error_result{${op},phase="execute",code="UNAUTHENTICATED"}`)).toBe(1);
    expect(text).toMatch(/^graphql_yoga_http_duration_bucket\{.*operationName="NewKey"/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
  });

  it("logs a client's bad input as the client's, not as an unexpected error", async () => {
    const res = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: `mutation NewKey($s: [ApiScope!]!) { createApiKey(name: "k", scopes: $s) { secret } }`,
        variables: { s: ["NOT_A_SCOPE"] },
      }),
    });
    const body = (await res.json()) as { errors: { extensions: Record<string, unknown> }[] };
    expect(body.errors[0]?.extensions.code).toBe("BAD_USER_INPUT");
    const requestId = res.headers.get("x-request-id");
    expect(logs.filter((l) => l.reqId === requestId && l.msg === "unexpected error")).toEqual([]);
  });

  it("reports live events, subscribers, the job queue and the database pool", async () => {
    const me = await createOwner(exec);
    await seedContent(exec, me);
    const ws = connect(`${base}/graphql`, me.token);
    const run = await startRun(exec, me);
    const w = watch(ws, PROGRESS, { runId: run.id });
    await w.until((e) => e.seq === 0);

    // pg-boss counts jobs on its supervise pass; run one now instead of waiting for the timer.
    await app.services.jobs.started()?.boss.supervise(queue);
    let text = await scrape();
    expect(sample(text, "userplane_websocket_connections")).toBe(1);
    expect(sample(text, 'userplane_pubsub_subscribers{topic="analysis:run"}')).toBe(1);
    expect(sample(text, "userplane_subscription_messages_sent_total")).toBe(1); // the initial state
    expect(sample(text, `userplane_job_queue_jobs{queue="${queue}",state="ready"}`)).toBe(1);
    expect(sample(text, `userplane_job_queue_oldest_ready_seconds{queue="${queue}"}`)).toBeGreaterThanOrEqual(0);
    if (dbKind === "postgres") {
      expect(sample(text, 'userplane_db_pool_connections{state="max"}')).toBe(10);
      expect(sample(text, 'userplane_db_pool_connections{state="total"}')).toBeGreaterThanOrEqual(1);
    } else expect(text).not.toContain("userplane_db_pool_connections{");

    await app.services.analysis.startWorker();
    const events = await w.done;
    await waitFinished(app, run.id);
    await ws.dispose();
    await ws.closed;

    text = await scrape();
    // The first state came from the database; every later one was published and delivered.
    const published = sample(text, 'userplane_events_published_total{topic="analysis:run"}') ?? 0;
    const delivered = sample(text, 'userplane_events_delivered_total{topic="analysis:run"}') ?? 0;
    expect(delivered).toBeGreaterThanOrEqual(events.length - 1);
    expect(published).toBeGreaterThanOrEqual(delivered);
    expect(sample(text, "userplane_subscription_messages_sent_total")).toBe(events.length);
    expect(sample(text, 'userplane_pubsub_subscribers{topic="analysis:run"}')).toBe(0);
    expect(sample(text, "userplane_websocket_connections")).toBe(0);
    await ok(exec, "{ __typename }");
  });
});

describe("where /metrics is served", () => {
  it("is off by default in production, on with a token or a port", () => {
    expect(loadConfig({ NODE_ENV: "production", ...PRODUCTION_SECRETS }).metrics).toBe(false);
    expect(loadConfig({ NODE_ENV: "production", ...PRODUCTION_SECRETS, METRICS_TOKEN: TOKEN }).metrics).toBe(true);
    expect(loadConfig({ NODE_ENV: "production", ...PRODUCTION_SECRETS, METRICS_PORT: "9464" }).metrics).toBe(true);
    expect(loadConfig({ NODE_ENV: "development" }).metrics).toBe(true);
    expect(() => loadConfig({ METRICS_TOKEN: "short" })).toThrow(/METRICS_TOKEN/);
  });

  it("moves to METRICS_PORT, away from the public port", async () => {
    const app = await createTestApp({ config: { METRICS_PORT: "0", RUN_WORKER: "false" } });
    try {
      const { url } = await app.start();
      expect((await fetch(url.replace(/\/graphql$/, "/metrics"))).status).toBe(404);
      const port = app.metrics.port();
      expect(port).toBeGreaterThan(0);
      const r = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(r.status).toBe(200);
      expect(await r.text()).toContain("userplane_websocket_connections 0");
    } finally {
      await app.stop();
    }
  });
});
