// Upload and download throughput of the local storage backend, and the server's memory while a
// large file streams in (it must stay flat: the file is never held whole). The server runs in this
// process; the client writes the multipart body from a small reused buffer, so the process's RSS is
// the server's working set plus a constant.
// RSS is printed at every eighth of the upload, so "flat" can be read off the line, not only the peak.
// SIZE_MB (1024: the 1 GB), DATA_DIR (a throwaway folder).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { buildApp } from "../server/app.ts";
import { loadConfig } from "../server/config.ts";

const SIZE = Number(process.env.SIZE_MB ?? 1024) * 1024 * 1024;
const dataDir = process.env.DATA_DIR ?? mkdtempSync(path.join(tmpdir(), "userplane-bench-files-"));
const app = await buildApp(
  loadConfig({
    ...process.env,
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    RUN_WORKER: "false",
    SERVE_CLIENT: "false",
    PORT: "0",
  }),
  { memoryDatabase: true },
);
const { port } = await app.start();
const base = `http://127.0.0.1:${port}`;
const gql = async (query: string, variables: Record<string, unknown> = {}, token?: string) => {
  const r = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await r.json()) as { data: any; errors?: unknown[] };
};
const signUp = await gql(
  `mutation($e: String!) { signUp(email: $e, password: "correct horse battery staple", displayName: "Bench") { token } }`,
  { e: `bench-${Date.now()}@example.test` },
);
const token = signUp.data.signUp.token as string;
await gql(`mutation { setStoragePolicy(plan: unlimited, fileMaxBytes: ${SIZE * 2}) }`, {}, token);

const boundary = `----bench${Date.now()}`;
const ops = JSON.stringify({
  query: `mutation($file: Upload!) { uploadFile(file: $file) { id size checksum } }`,
  variables: { file: null },
});
const head = Buffer.from(
  `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${ops}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n`,
);
const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
const chunk = Buffer.from(
  randomBytes(512 * 1024)
    .toString("base64")
    .slice(0, 512 * 1024),
); // text, so it is accepted

const rssBefore = process.memoryUsage().rss;
/** RSS when each eighth of the file had been sent. */
const rssAlong: number[] = [];
let rssPeak = rssBefore;
const sampler = setInterval(() => {
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
}, 50);
const t0 = performance.now();
const uploaded = await new Promise<any>((resolve, reject) => {
  const req = request(
    `${base}/graphql`,
    {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": `multipart/form-data; boundary=${boundary}`,
        "content-length": head.length + SIZE + tail.length,
      },
    },
    (res) => {
      let body = "";
      res.on("data", (d) => {
        body += d;
      });
      res.on("end", () => resolve(JSON.parse(body)));
    },
  );
  req.on("error", reject);
  req.write(head);
  let sent = 0;
  const pump = () => {
    while (sent < SIZE) {
      const part = chunk.subarray(0, Math.min(chunk.length, SIZE - sent));
      sent += part.length;
      if (sent >= ((rssAlong.length + 1) * SIZE) / 8) rssAlong.push(process.memoryUsage().rss);
      if (!req.write(part)) return void req.once("drain", pump);
    }
    req.end(tail);
  };
  pump();
});
const upSeconds = (performance.now() - t0) / 1000;
if (uploaded.errors) throw new Error(JSON.stringify(uploaded.errors));
const file = uploaded.data.uploadFile;

const url = (await gql(`query($id: ID!) { node(id: $id) { ... on File { downloadUrl } } }`, { id: file.id }, token))
  .data.node.downloadUrl;
const t1 = performance.now();
const res = await fetch(base + url);
let got = 0;
for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) got += c.length;
const downSeconds = (performance.now() - t1) / 1000;
clearInterval(sampler);

const mb = SIZE / 1024 / 1024;
console.log(`file ${mb} MB (stored ${file.size} bytes, downloaded ${got})`);
console.log(`upload   ${(mb / upSeconds).toFixed(1)} MB/s (${upSeconds.toFixed(1)} s)`);
console.log(`download ${(mb / downSeconds).toFixed(1)} MB/s (${downSeconds.toFixed(1)} s)`);
console.log(
  `RSS before ${(rssBefore / 1e6).toFixed(0)} MB, peak ${(rssPeak / 1e6).toFixed(0)} MB (+${((rssPeak - rssBefore) / 1e6).toFixed(0)} MB for a ${mb} MB file)`,
);
console.log(`RSS along the upload (each 1/8): ${rssAlong.map((r) => (r / 1e6).toFixed(0)).join(", ")} MB`);
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
await app.stop();
if (!process.env.DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
