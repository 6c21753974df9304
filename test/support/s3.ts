// A real S3-compatible server in its own process for the S3 backend's tests: @20minutes/s3rver,
// the maintained fork of s3rver (stores objects on disk, speaks S3's REST API with SigV4
// signatures, multipart uploads included). Its package ships no `bin`, so the CLI module is run.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

export interface S3Server {
  url: string;
  bucket: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

export async function startS3(bucket = "userplane-test"): Promise<S3Server> {
  const dir = await mkdtemp(path.join(tmpdir(), "userplane-s3-"));
  const cli = require.resolve("@20minutes/s3rver/lib/cli.js");
  const child = spawn(
    process.execPath,
    [
      "-e",
      `require(${JSON.stringify(cli)}).parseAsync(["node", ...process.argv.slice(1)]).catch((e) => { console.error(e); process.exit(1) })`,
      "s3rver",
      "-d",
      dir,
      "-a",
      "127.0.0.1",
      "-p",
      "0",
      "--silent",
      // s3rver's canonical URI for bucket-level requests (ListObjects) differs from what the current
      // AWS SDK signs, so those would all fail: signatures are checked for form only, not value.
      "--allow-mismatched-signatures",
      "--configure-bucket",
      bucket,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on [^:]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`s3rver exited (${code}):\n${out}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    bucket,
    env: {
      STORAGE_BACKEND: "s3",
      S3_URL: url,
      S3_BUCKET: bucket,
      // s3rver's fixed credentials.
      S3_ACCESS_KEY_ID: "S3RVER",
      S3_SECRET_ACCESS_KEY: "S3RVER",
    },
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
