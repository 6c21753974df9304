// The web client as a browser gets it: the real Vite build (precompression included) served over
// real HTTP by the production handler, checked for encoding, caching and security headers. The build
// is the run's client/dist, as `npm start` serves it (made by the project's global setup, which the
// browser tests share): a second build of the same sources here cost about 10 s of CPU.
import { readdirSync, readFileSync } from "node:fs";
import { createServer, get, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClientHandler, IMMUTABLE, REVALIDATE } from "../../server/http/static.ts";

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** node:http rather than fetch, which would ask for and undo compression itself. */
function raw(url: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on("error", reject);
  });
}

async function serve(dir: string, nodeEnv: "production" | "development"): Promise<{ server: Server; base: string }> {
  const handle = createClientHandler(dir, { NODE_ENV: nodeEnv });
  const server = createServer((req, res) =>
    handle(req, res, () => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end('{"error":"not found"}');
    }),
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe("static client", () => {
  const dist = join(import.meta.dirname, "../../client/dist");
  let prod: { server: Server; base: string };
  let js: string;
  let css: string;

  beforeAll(async () => {
    const assets = readdirSync(join(dist, "assets"));
    js = assets.find((f) => /^index-[\w-]+\.js$/.test(f)) as string;
    css = assets.find((f) => /^index-[\w-]+\.css$/.test(f)) as string;
    prod = await serve(dist, "production");
  });
  afterAll(() => {
    prod?.server.close();
  });

  it("is precompressed at build: brotli and gzip beside every file, maps written but not referenced", () => {
    const assets = readdirSync(join(dist, "assets"));
    for (const f of [js, css]) expect(assets).toEqual(expect.arrayContaining([`${f}.br`, `${f}.gz`]));
    expect(readdirSync(dist)).toEqual(expect.arrayContaining(["index.html.br", "index.html.gz"]));
    expect(assets).toContain(`${js}.map`);
    expect(readFileSync(join(dist, "assets", js), "utf8")).not.toContain("sourceMappingURL");
  });

  it("sends the HTML shell brotli-compressed, always revalidated, with the security headers", async () => {
    const r = await raw(`${prod.base}/`, { "accept-encoding": "gzip, deflate, br" });
    expect(r.status).toBe(200);
    expect(r.headers["content-encoding"]).toBe("br");
    expect(r.headers.vary).toBe("Accept-Encoding");
    expect(r.headers["content-type"]).toBe("text/html;charset=utf-8");
    expect(r.headers["cache-control"]).toBe(REVALIDATE);
    expect(brotliDecompressSync(r.body).toString()).toBe(readFileSync(join(dist, "index.html"), "utf8"));

    const csp = String(r.headers["content-security-policy"]);
    for (const d of ["default-src 'self'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"])
      expect(csp).toContain(d);
    // Scripts never inline; styles may be (the toast library injects its own <style>).
    const scriptSrc = csp.split(";").find((d) => d.trim().startsWith("script-src "));
    expect(scriptSrc).toBeDefined();
    expect(scriptSrc).not.toContain("unsafe-inline");
    expect(csp).not.toContain("upgrade-insecure-requests");
    expect(r.headers["x-content-type-options"]).toBe("nosniff");
    expect(r.headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
    expect(r.headers["x-frame-options"]).toBe("DENY");
  });

  it("answers client routes with the shell, never cached", async () => {
    const r = await raw(`${prod.base}/memories?tab=recent`);
    expect(r.status).toBe(200);
    expect(r.headers["content-encoding"]).toBeUndefined();
    expect(r.headers["cache-control"]).toBe(REVALIDATE);
    expect(r.body.toString()).toContain('<div id="root">');
  });

  it("sends hashed assets gzip-compressed or plain, cached for a year as immutable", async () => {
    const gz = await raw(`${prod.base}/assets/${js}`, { "accept-encoding": "gzip" });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gz.headers["content-type"]).toBe("text/javascript");
    expect(gz.headers["cache-control"]).toBe(IMMUTABLE);
    expect(gunzipSync(gz.body).equals(readFileSync(join(dist, "assets", js)))).toBe(true);

    const plain = await raw(`${prod.base}/assets/${css}`);
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.headers["cache-control"]).toBe(IMMUTABLE);
    expect(plain.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("does not cache a missing asset, and revalidates the shell with its ETag", async () => {
    const missing = await raw(`${prod.base}/assets/index-missing.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers["cache-control"]).toBe(REVALIDATE);

    const first = await raw(`${prod.base}/`, { "accept-encoding": "br" });
    const again = await raw(`${prod.base}/`, { "accept-encoding": "br", "if-none-match": String(first.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.headers["cache-control"]).toBe(REVALIDATE);
  });

  it("keeps source maps private in production and serves them in development", async () => {
    expect((await raw(`${prod.base}/assets/${js}.map`)).status).toBe(404);
    const dev = await serve(dist, "development");
    try {
      const r = await raw(`${dev.base}/assets/${js}.map`);
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body.toString()).version).toBe(3);
    } finally {
      dev.server.close();
    }
  });
});
