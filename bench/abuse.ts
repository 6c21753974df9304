// Sends the trust issue's hostile requests to a real server process (what `npm start` runs, the
// bundle `npm run build:server` makes, on a throwaway DATA_DIR, or SERVER_URL if given) and prints, for each: HTTP status, error code, time
// to the answer, the time a trivial query sent meanwhile took, and the server's resident memory.
// Usage: npm run bench:abuse   (SERVER_URL=http://host:port/graphql to aim at a running server)
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { ensureWordVectors, openWordVectors, type WordVectors } from "../server/services/word-vectors.ts";
import { loadAverage, productionEnv } from "./support.ts";

const port = 4700 + Math.floor(Math.random() * 200);
let server: ChildProcess | null = null;
let url = process.env.SERVER_URL ?? "";

async function startServer() {
  const dataDir = mkdtempSync(path.join(tmpdir(), "userplane-abuse-"));
  const { scripts } = JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> };
  const [bin, ...args] = scripts.start!.split(" ");
  if (bin !== "node") throw new Error(`start script does not run node: ${scripts.start}`);
  server = spawn(process.execPath, args, {
    env: {
      ...process.env,
      ...(await productionEnv()),
      LOG_LEVEL: "error",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      SERVE_CLIENT: "false",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  url = `http://127.0.0.1:${port}/graphql`;
  for (let i = 0; i < 600; i++) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
    if (ready?.ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("server did not become ready");
}

function rssMb(): string {
  if (!server?.pid) return "-";
  const status = readFileSync(`/proc/${server.pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return (kb / 1024).toFixed(0);
}

const gql = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

/**
 * A POST through node:http, which reads the answer while the body is still being sent: the server
 * refuses an oversized body from its headers and closes, which fetch reports only as EPIPE.
 */
function rawPost(body: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500 })));
      },
    );
    // EPIPE while writing means the server already answered and closed; the answer may still come.
    req.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE" && e.code !== "ECONNRESET") reject(e);
    });
    req.on("close", () => reject(new Error("closed by the server before its answer was read")));
    req.end(body);
  });
}

const aliases = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(" ")} }`;

interface Case {
  name: string;
  send: () => Promise<Response>;
}

const failure = (e: unknown) => {
  const cause = (e as { cause?: { code?: string } }).cause?.code;
  return `connection ${cause ?? (e as Error).message}`;
};

async function measure(c: Case) {
  const t0 = performance.now();
  const hostile = c
    .send()
    .then(async (res) => {
      const ms = performance.now() - t0;
      const text = await res.text();
      const code = /"code":"([A-Z_]+)"/.exec(text)?.[1] ?? (text.includes('"data"') ? "(data)" : "-");
      return { status: String(res.status), code, ms };
    })
    .catch((e: unknown) => ({ status: "-", code: failure(e), ms: performance.now() - t0 }));
  // A trivial query sent while the hostile one is being handled.
  await new Promise((r) => setTimeout(r, 5));
  const t1 = performance.now();
  const trivial = await gql({ query: "{ __typename }" })
    .then((res) => res.text())
    .then(() => (performance.now() - t1).toFixed(0))
    .catch(failure);
  return { ...(await hostile), trivial };
}

const createMemory = `mutation($k: String!, $c: String!) { createMemory(input: { memoryType: fact, memoryKey: $k, content: $c }) { id } }`;
const search = `query($q: String!) { searchMemories(query: $q, first: 5) { score } }`;
let nextRow = 0;
let table: WordVectors | undefined;

/** 10,000 characters of words the word-vector table has, none repeated across calls. */
function distinctWords(): string {
  const words: string[] = [];
  let length = 0;
  for (;;) {
    const word = table!.wordAt(nextRow);
    nextRow = (nextRow + 7919) % table!.size;
    if (length + word.length + 1 > 10_000) return words.join(" ");
    words.push(word);
    length += word.length + 1;
  }
}

/** Sends `n` requests one after another; the answer is the last one's, an error the first. */
async function repeat(n: number, send: (i: number) => Promise<Response>): Promise<Response> {
  let last: Response | undefined;
  for (let i = 0; i < n; i++) {
    last = await send(i);
    if (!last.ok || (await last.clone().text()).includes('"errors"')) return last;
  }
  return last!;
}

async function main() {
  await ensureWordVectors();
  table = await openWordVectors();
  if (!url) await startServer();
  const signUp = await (
    await gql({
      query: `mutation { signUp(email: "abuse-${Date.now()}@example.test", password: "long enough password", displayName: "A") { token } }`,
    })
  ).json();
  const token = (signUp as { data: { signUp: { token: string } } }).data.signUp.token;
  const auth = { authorization: `Bearer ${token}` };
  const deep = `{ me { myAgents(first: 100) { edges { node { owner { myAgents(first: 100) { edges { node { owner { myAgents(first: 100) { edges { node { owner { id } } } } } } } } } } } } } }`;
  const cases: Case[] = [
    { name: "nested myAgents→owner x3 (first: 100)", send: () => gql({ query: deep }, auth) },
    {
      name: "500 aliased searchMemories",
      send: () => gql({ query: aliases(500, `searchMemories(query: "x") { score }`) }, auth),
    },
    {
      name: "nodes(ids:) with 10,000 ids (anonymous)",
      send: () =>
        gql({ query: "query($i: [ID!]!) { nodes(ids: $i) { id } }", variables: { i: Array(10_000).fill("VXNlcjox") } }),
    },
    {
      name: "25 aliased signUp (anonymous)",
      send: () =>
        gql({
          query: `mutation { ${Array.from({ length: 25 }, (_, i) => `s${i}: signUp(email: "x${i}-${Date.now()}@e.test", password: "long enough password", displayName: "x") { token }`).join(" ")} }`,
        }),
    },
    { name: "20,000 aliases", send: () => gql({ query: aliases(20_000, "__typename") }) },
    {
      name: "introspection x1000 in one document",
      send: () => gql({ query: aliases(1000, "__schema { types { name } }") }),
    },
    {
      name: "10 MB body",
      send: () => rawPost(JSON.stringify({ query: "{ __typename }", pad: "x".repeat(10 * 1024 * 1024) })),
    },
    {
      name: "JSON nested 20,000 deep",
      send: () =>
        gql(
          `{"query":"mutation($v: JSON) { createMemory(input: { memoryType: fact, memoryKey: \\"deep\\", content: \\"c\\", value: $v }) { id } }","variables":{"v":${'{"d":'.repeat(20_000)}1${"}".repeat(20_000)}}}`,
          auth,
        ),
    },
    {
      name: "form-encoded mutation (CSRF)",
      send: () =>
        fetch(url, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: "query=mutation%7BsignOut%7D",
        }),
    },
    { name: "first: -5", send: () => gql({ query: "{ memories(first: -5) { edges { node { id } } } }" }, auth) },
    {
      name: "NUL byte in text",
      send: () =>
        gql(
          {
            query: `mutation($c: String!) { createMemory(input: { memoryType: fact, memoryKey: "n", content: $c }) { id } }`,
            variables: { c: "a\u0000b" },
          },
          auth,
        ),
    },
    // Texts as long as allowed, every word one the embedder has a vector for and no two alike:
    // its reads and the vectors it keeps decoded must stay bounded, not grow with the words seen.
    {
      name: "20 memories of 10,000 characters, all words different",
      send: () =>
        repeat(20, (i) =>
          gql({ query: createMemory, variables: { k: `long-${nextRow}-${i}`, c: distinctWords() } }, auth),
        ),
    },
    {
      name: "20 searches of 10,000 characters, all words different",
      send: () => repeat(20, () => gql({ query: search, variables: { q: distinctWords() } }, auth)),
    },
  ];
  console.log(`server RSS at start: ${rssMb()} MB`);
  // ROUNDS=n sends the whole battery n times to the same server: memory that grows round after
  // round is held per request (a leak), memory that stays is a bound.
  const rounds = Number(process.env.ROUNDS ?? 1);
  for (let round = 1; round <= rounds; round++) {
    await battery(cases, auth);
    console.log(`server RSS after round ${round} of ${rounds}: ${rssMb()} MB`);
  }
  if (server?.pid) {
    // The peak as well as the end: a battery that grew memory for a moment and gave it back counts.
    const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, "utf8"))?.[1] ?? 0);
    console.log(`server RSS after the battery: ${rssMb()} MB (peak ${(kb / 1024).toFixed(0)} MB)`);
  }
  console.log(`load average: ${loadAverage()}`);
  await table?.close();
}

async function battery(cases: Case[], auth: Record<string, string>) {
  console.log(["request", "status", "code", "ms", "trivial ms", "RSS MB"].join(" | "));
  for (const c of cases) {
    const r = await measure(c);
    console.log([c.name, r.status, r.code, r.ms.toFixed(0), r.trivial, rssMb()].join(" | "));
  }

  // 2,000 subscriptions on one socket: all but WS_MAX_SUBSCRIPTIONS are refused.
  const client = createClient({
    url: url.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: auth,
    retryAttempts: 0,
  });
  const t0 = performance.now();
  let refused = 0;
  await new Promise<void>((resolve) => {
    for (let i = 0; i < 2000; i++)
      client.subscribe(
        { query: "subscription { myAnalysisEvents { seq } }" },
        {
          next: () => {},
          error: () => {
            refused++;
            if (refused >= 1950) resolve();
          },
          complete: () => {},
        },
      );
    setTimeout(resolve, 20_000).unref();
  });
  console.log(
    [
      "2,000 subscriptions on one socket",
      "-",
      `${refused} refused`,
      (performance.now() - t0).toFixed(0),
      "-",
      rssMb(),
    ].join(" | "),
  );
  await client.dispose();
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => server?.kill("SIGTERM"));
