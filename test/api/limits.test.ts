// What one request may cost, and what the server refuses before it costs anything: each hostile
// request of the trust issue's battery is refused with a stable code, writes nothing, and a
// trivial query is still answered.
import { randomUUID } from "node:crypto";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { App } from "../../server/app.ts";
import { codeOf, createOwner, createTestApp, dbKind, type Execute, executor, ok, type TestUser } from "../kit.ts";

let app: App;
let exec: Execute;
let url: string;
let owner: TestUser;

beforeAll(async () => {
  app = await createTestApp({ config: { RUN_WORKER: "false", WS_MAX_SUBSCRIPTIONS: "5" } });
  exec = executor(app);
  url = (await app.start()).url.replace("localhost", "127.0.0.1");
  owner = await createOwner(exec);
});
afterAll(() => app?.stop());

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

const aliases = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(" ")} }`;

describe(`limits (${dbKind})`, () => {
  it("refuses nesting that multiplies rows, whatever the page sizes", async () => {
    const q = `{ me { myAgents(first: 100) { edges { node { owner { myAgents(first: 100) { edges { node { owner {
      myAgents(first: 100) { edges { node { owner { id } } } } } } } } } } } } } }`;
    const r = await exec(q, {}, owner.token);
    expect(codeOf(r)).toBe("QUERY_TOO_COMPLEX");
    expect(r.data?.me ?? null).toBeNull();
  });

  it("refuses too many aliases, tokens and directives before running anything", async () => {
    expect(codeOf(await exec(aliases(500, `searchMemories(query: "x") { score }`), {}, owner.token))).toBe(
      "QUERY_TOO_COMPLEX",
    );
    expect(codeOf(await exec(aliases(20_000, "__typename")))).toBe("QUERY_TOO_COMPLEX");
    expect(codeOf(await exec(aliases(1000, "__schema { types { name fields { name } } }")))).toBe("QUERY_TOO_COMPLEX");
    expect(codeOf(await exec(`{ __typename ${"@include(if: true) ".repeat(100)} }`))).toBe("QUERY_TOO_COMPLEX");
  });

  it("signs up at most a few accounts per request, and writes none of a refused request", async () => {
    // Addresses no other test can use, so the count below is this request's alone on a shared database.
    const mark = `alias-${randomUUID()}-`;
    const signUps = Array.from(
      { length: 25 },
      (_, i) =>
        `s${i}: signUp(email: "${mark}${i}@example.test", password: "long enough password", displayName: "A") { token }`,
    );
    const r = await exec(`mutation { ${signUps.join(" ")} }`);
    expect(codeOf(r)).toBe("QUERY_TOO_COMPLEX");
    expect(await app.db.prisma.user.count({ where: { email: { startsWith: mark } } })).toBe(0);
  });

  it("caps nodes(ids) and page sizes, and refuses bad paging arguments with BAD_USER_INPUT", async () => {
    const ids = Array.from({ length: 10_000 }, () => owner.id);
    const r = await exec(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids });
    expect(["BAD_USER_INPUT", "QUERY_TOO_COMPLEX"]).toContain(codeOf(r));
    const neg = await exec(`{ memories(first: -5) { edges { node { id } } } }`, {}, owner.token);
    expect(codeOf(neg)).toBe("BAD_USER_INPUT");
    const cursor = await exec(`{ memories(after: "garbage") { edges { node { id } } } }`, {}, owner.token);
    expect(codeOf(cursor)).toBe("BAD_USER_INPUT");
  });

  it("refuses a body over the limit, and one of unknown length, before reading it", async () => {
    const big = await post(JSON.stringify({ query: "{ __typename }", pad: "x".repeat(10 * 1024 * 1024) }));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe(
      "PAYLOAD_TOO_LARGE",
    );
    const trivial = await post(JSON.stringify({ query: "{ __typename }" }));
    expect(await trivial.json()).toEqual({ data: { __typename: "Query" } });
  });

  it("refuses forms and multipart without the CSRF header, and answers no foreign origin", async () => {
    const form = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `query=${encodeURIComponent(`mutation { signOut }`)}`,
    });
    expect(form.status).toBe(403);
    expect(codeOf((await form.json()) as never)).toBe("FORBIDDEN");
    const fd = new FormData();
    fd.set("operations", JSON.stringify({ query: "mutation { signOut }" }));
    fd.set("map", "{}");
    expect((await fetch(url, { method: "POST", body: fd })).status).toBe(403);
    const cross = await post(JSON.stringify({ query: "{ __typename }" }), { origin: "https://evil.example" });
    expect(cross.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("refuses NUL bytes and JSON nested or sized beyond its limit with BAD_USER_INPUT, writing nothing", async () => {
    const nul = await exec(
      `mutation($c: String!) { createMemory(input: { memoryType: fact, memoryKey: "nul", content: $c }) { id } }`,
      { c: "a\u0000b" },
      owner.token,
    );
    expect(codeOf(nul)).toBe("BAD_USER_INPUT");
    // In the document's own text, and again once the parsed document (and what was found in it) is cached.
    const literal = `mutation { createMemory(input: { memoryType: fact, memoryKey: "nul", content: "a\\u0000b" }) { id } }`;
    for (let i = 0; i < 2; i++) expect(codeOf(await exec(literal, {}, owner.token))).toBe("BAD_USER_INPUT");
    // Built as text: the test's own JSON.stringify could not nest this deep.
    const deep = `${'{"d":'.repeat(20_000)}1${"}".repeat(20_000)}`;
    const agent = await ok(exec, `mutation { createAgent(input: { name: "J" }) { id } }`, {}, owner.token);
    const ua = await ok(
      exec,
      `mutation($a: ID!) { addAgent(agentId: $a) { id } }`,
      { a: agent.createAgent.id },
      owner.token,
    );
    const update = `mutation($id: ID!, $s: JSON) { updateUserAgent(id: $id, input: { settings: $s }) { id } }`;
    const deepBody = `{"query":${JSON.stringify(update)},"variables":{"id":${JSON.stringify(ua.addAgent.id)},"s":${deep}}}`;
    const deepRes = await post(deepBody, { authorization: `Bearer ${owner.token}` });
    expect(codeOf((await deepRes.json()) as never)).toBe("BAD_USER_INPUT");
    const huge = { blob: "x".repeat(8 * 1024 * 1024) };
    expect(codeOf(await exec(update, { id: ua.addAgent.id, s: huge }, owner.token))).toBe("BAD_USER_INPUT");
    expect(await app.db.prisma.memory.count({ where: { userId: owner.userId, memoryKey: "nul" } })).toBe(0);
  });

  it("ends subscriptions past the per-socket limit with QUERY_TOO_COMPLEX", async () => {
    const client = createClient({
      url: url.replace("http", "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${owner.token}` },
      retryAttempts: 0,
    });
    // Eight at once on one socket with a limit of five: three are refused, five stay open.
    const codes = await new Promise<unknown[]>((resolve) => {
      const seen: unknown[] = [];
      for (let i = 0; i < 8; i++)
        client.subscribe(
          { query: "subscription { myAnalysisEvents { seq } }" },
          {
            next: () => {},
            error: (e) => {
              seen.push((e as { extensions?: { code?: string } }[])[0]?.extensions?.code);
              if (seen.length === 3) resolve(seen);
            },
            complete: () => {},
          },
        );
    });
    await client.dispose();
    expect(codes).toEqual(["QUERY_TOO_COMPLEX", "QUERY_TOO_COMPLEX", "QUERY_TOO_COMPLEX"]);
  });
});
