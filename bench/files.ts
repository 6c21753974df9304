// Upload and download throughput of each storage backend, and the server's memory while a large
// file streams in (it must stay flat: the file is never held whole). The server runs in its own
// process (bench/files-server.ts) and reports its own memory, so the figures are the server's alone;
// this process is the client and writes the multipart body from one small reused buffer.
// For S3 the bench starts a real S3-compatible server process (s3rver, as the tests do).
// Memory is printed at every eighth of the upload, so "flat" is read off the line, not only the peak.
// SIZE_MB (1024: the 1 GB), BACKENDS (local,s3).
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startS3 } from "../test/support/s3.ts";

const SIZE = Number(process.env.SIZE_MB ?? 1024) * 1024 * 1024;
const BACKENDS = (process.env.BACKENDS ?? "local,s3").split(",").map((b) => b.trim());

type Figures = { rss: number; heapUsed: number; external: number; arrayBuffers: number };
type Reply = { kind: "ready"; port: number } | { kind: "baseline" | "sample" | "peak"; figures: Figures };

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
const mb = (n: number) => (n / 1e6).toFixed(0);

/** One request to the server process and its answer (they come back in order). */
function asker(child: ChildProcess) {
  const waiting: ((r: Reply) => void)[] = [];
  child.on("message", (m) => waiting.shift()?.(m as Reply));
  const next = () => new Promise<Reply>((resolve) => waiting.push(resolve));
  return {
    next,
    ask: async (what: "baseline" | "sample" | "peak") => {
      const answer = next();
      child.send(what);
      return ((await answer) as { figures: Figures }).figures;
    },
  };
}

async function run(backend: string) {
  const dataDir = mkdtempSync(path.join(tmpdir(), "userplane-bench-files-"));
  const s3 = backend === "s3" ? await startS3("bench-files") : null;
  const child = fork(fileURLToPath(new URL("./files-server.ts", import.meta.url)), {
    execArgv: ["--import", "tsx", "--expose-gc"],
    env: { ...process.env, DATA_DIR: dataDir, STORAGE_BACKEND: backend, ...(s3?.env ?? {}) },
  });
  const server = asker(child);
  const ready = (await server.next()) as { kind: "ready"; port: number };
  const base = `http://127.0.0.1:${ready.port}`;
  try {
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
    // Text, so the type check accepts it.
    const chunk = Buffer.from(
      randomBytes(512 * 1024)
        .toString("base64")
        .slice(0, 512 * 1024),
    );

    const loadBefore = load();
    const before = await server.ask("baseline");
    const along: Promise<Figures>[] = [];
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
          if (sent >= ((along.length + 1) * SIZE) / 8) along.push(server.ask("sample"));
          if (!req.write(part)) return void req.once("drain", pump);
        }
        req.end(tail);
      };
      pump();
    });
    const upSeconds = (performance.now() - t0) / 1000;
    const peak = await server.ask("peak");
    const samples = await Promise.all(along);
    if (uploaded.errors) throw new Error(JSON.stringify(uploaded.errors));
    const file = uploaded.data.uploadFile;

    const url = (await gql(`query($id: ID!) { node(id: $id) { ... on File { downloadUrl } } }`, { id: file.id }, token))
      .data.node.downloadUrl;
    const t1 = performance.now();
    const res = await fetch(base + url);
    let got = 0;
    for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) got += c.length;
    const downSeconds = (performance.now() - t1) / 1000;

    const size = SIZE / 1024 / 1024;
    const growth = (k: keyof Figures) => `${k} +${mb(peak[k] - before[k])}`;
    console.log(`\n[${backend}] file ${size} MB (stored ${file.size} bytes, downloaded ${got})`);
    console.log(`  upload   ${(size / upSeconds).toFixed(1)} MB/s (${upSeconds.toFixed(1)} s)`);
    console.log(`  download ${(size / downSeconds).toFixed(1)} MB/s (${downSeconds.toFixed(1)} s)`);
    console.log(
      `  server memory before: RSS ${mb(before.rss)} MB, heap ${mb(before.heapUsed)} MB, external ${mb(before.external)} MB (array buffers ${mb(before.arrayBuffers)} MB)`,
    );
    console.log(
      `  peak growth during the upload (MB): ${growth("rss")}, ${growth("heapUsed")}, ${growth("external")}, ${growth("arrayBuffers")}`,
    );
    console.log(`  RSS at each 1/8 of the upload: ${samples.map((s) => mb(s.rss)).join(", ")} MB`);
    console.log(`  array buffers at each 1/8: ${samples.map((s) => mb(s.arrayBuffers)).join(", ")} MB`);
    console.log(`  load average before ${loadBefore}, after ${load()}`);
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    child.send("stop");
    await exited;
    await s3?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(`bench:files, ${process.env.SIZE_MB ?? 1024} MB per backend, ${BACKENDS.join(" and ")}`);
for (const backend of BACKENDS) await run(backend);
