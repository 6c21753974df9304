// Starts Userplane as `npm start` does, on a free port with a fresh embedded database, and stops the
// whole process group afterwards. `npm start`'s prestart (build the client if stale, make the
// migrated template) ran once for the run in test/e2e/global-setup.ts; each start here runs only
// what `npm start` runs after it, without an npm and two tsx processes per start.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RunningServer {
  url: string;
  port: number;
  dataDir: string;
  output(): string;
  /** `keepData` leaves the database folder, to start again on it (an outage, not a reset). */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export interface StartOptions {
  /** Reuse a port and database folder, e.g. to bring a stopped server back as it was. */
  port?: number;
  dataDir?: string;
}

/** `npm start`'s command, read from package.json so the browser tests run what a user runs, by the
 * node running the tests (npm's node@24). */
const START = (() => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  const [node, ...args] = String(pkg.scripts.start).split(" ");
  if (node !== "node") throw new Error(`npm start must run node directly, not: ${pkg.scripts.start}`);
  return args;
})();

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startProduct(
  env: Record<string, string> = {},
  timeoutMs = 240_000,
  options: StartOptions = {},
): Promise<RunningServer> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "userplane-e2e-"));
  let log = "";
  const child: ChildProcess = spawn(process.execPath, START, {
    cwd: new URL("../../", import.meta.url).pathname,
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group: the server and anything it starts stop together
  });
  child.stdout?.on("data", (d) => {
    log += d;
  });
  child.stderr?.on("data", (d) => {
    log += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const url = `http://127.0.0.1:${port}`;
  const stop = async ({ keepData = false }: { keepData?: boolean } = {}) => {
    if (child.exitCode === null && child.pid) {
      process.kill(-child.pid, "SIGTERM");
      const timer = setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    if (!keepData) rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${log}`);
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) return { url, port, dataDir, output: () => log, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`Userplane was not ready within ${timeoutMs} ms:\n${log}`);
}
