// The server as a process (`npm start`): it refuses bad configuration and drains on SIGTERM. Both
// spawn a real server on its own embedded data directory, whatever database the server projects
// test, so they run once, here.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "../support/services.ts";

describe("process", () => {
  const root = path.resolve(import.meta.dirname, "../..");
  // node with tsx's loader, not the tsx CLI: the CLI relays a signal and kills the server when it
  // does not answer within 30 ms, which a server still starting its workers may not.
  const node = path.join(root, "node_modules/.bin/node");
  const server = ["--import", "tsx", "server/main.ts"];

  it("refuses to start on bad configuration and names the variable", async () => {
    const child = spawn(node, server, {
      cwd: root,
      env: { ...process.env, PORT: "not-a-port", DATABASE_URL: "mysql://x" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect(code).toBe(78);
    expect(stderr).toMatch(/PORT/);
    expect(stderr).toMatch(/DATABASE_URL/);
  });

  it("drains in-flight requests on SIGTERM, then exits 0", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "userplane-drain-"));
    const port = await freePort();
    const child = spawn(node, server, {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: "127.0.0.1",
        DATA_DIR: dataDir,
        SERVE_CLIENT: "false",
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    child.stdout.on("data", (d) => {
      log += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    while (!log.includes("userplane listening")) await new Promise((r) => setTimeout(r, 100));

    // A request whose body is still arriving when the signal comes: it must still be answered.
    const body = JSON.stringify({ query: "{ __typename }" });
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          path: "/graphql",
          method: "POST",
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          let text = "";
          res.on("data", (c) => {
            text += c;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on("error", reject);
      req.write(body.slice(0, 5));
      setTimeout(() => {
        child.kill("SIGTERM");
        setTimeout(() => req.end(body.slice(5)), 300);
      }, 100);
    });
    const res = await response;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ data: { __typename: "Query" } });
    expect(await exited).toBe(0);
    expect(log).toMatch(/userplane stopped/);
    rmSync(dataDir, { recursive: true, force: true });
  });
});
