import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.ts";
import { createLocalEmbedder } from "../../server/services/embeddings.ts";
import { createOwner, createTestApp, dbKind, executor, ok } from "../kit.ts";

// A real HTTP server speaking the OpenAI embeddings API. It embeds with the local model, so the
// ranking it produces is meaningful, and it records what it was sent.
let server: Server;
let url: string;
const calls: { model: string; input: string[]; auth: string | undefined }[] = [];

beforeAll(async () => {
  const local = createLocalEmbedder();
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", async () => {
      if (req.url !== "/v1/embeddings" || req.method !== "POST") {
        res.writeHead(404).end();
        return;
      }
      const { model, input } = JSON.parse(body) as { model: string; input: string[] };
      calls.push({ model, input, auth: req.headers.authorization });
      const vectors = await local.embed(input);
      res.writeHead(200, { "content-type": "application/json" });
      // Out of order on purpose: clients must use `index`.
      const data = vectors.map((embedding, index) => ({ object: "embedding", index, embedding })).reverse();
      res.end(JSON.stringify({ object: "list", data, model, usage: { prompt_tokens: 1, total_tokens: 1 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise((r) => server.close(r)));

describe(`OpenAI-compatible embeddings provider (${dbKind})`, () => {
  let app: App;
  afterAll(() => app?.stop());

  it("embeds through the configured endpoint and ranks by meaning", async () => {
    app = await createTestApp({
      config: {
        EMBEDDINGS_PROVIDER: "openai",
        EMBEDDINGS_URL: url,
        EMBEDDINGS_MODEL: "test-embed",
        EMBEDDINGS_API_KEY: "sk-test",
      },
    });
    const exec = executor(app);
    const owner = await createOwner(exec);
    for (const [memoryKey, content] of [
      ["pets", "Has two cats and a dog at home"],
      ["work", "Works as a tax accountant in Munich"],
    ]) {
      const d = await ok(
        exec,
        `mutation($input: MemoryInput!) { createMemory(input: $input) { embeddingModel } }`,
        { input: { memoryKey, memoryType: "fact", content } },
        owner.token,
      );
      expect(d.createMemory.embeddingModel).toBe("openai:test-embed");
    }
    const d = await ok(
      exec,
      `{ searchMemories(query: "animals the user keeps", first: 2) { memory { memoryKey } } }`,
      {},
      owner.token,
    );
    expect(d.searchMemories[0].memory.memoryKey).toBe("pets");
    expect(calls.at(-1)).toEqual({ model: "test-embed", input: ["animals the user keeps"], auth: "Bearer sk-test" });
  });
});

describe("configuration", () => {
  it("requires EMBEDDINGS_URL for the openai provider", async () => {
    await expect(createTestApp({ config: { EMBEDDINGS_PROVIDER: "openai" } })).rejects.toThrow(/EMBEDDINGS_URL/);
  });
});
