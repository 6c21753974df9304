import { type Config, ConfigError, loadConfig } from "./config.ts";
import { startupMark, startupReport } from "./startup-trace.ts";

/** Configuration the server cannot run with ends the process with its reason and EX_CONFIG. */
function exitOnConfigError(err: unknown): never {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78); // EX_CONFIG
  }
  throw err;
}

// The configuration before the rest of the server: a bad variable is reported at once, without
// loading the server's modules first (seconds of CPU for nothing).
let config: Config;
try {
  config = loadConfig();
} catch (err) {
  exitOnConfigError(err);
}
const { buildApp } = await import("./app.ts");
startupMark("modules");

try {
  const app = await buildApp(config);
  let stopping = false;
  const shutdown = (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, "shutting down");
    app.stop().then(
      () => process.exit(code),
      (err: unknown) => {
        app.logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  await app.serve();
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  // The job queue and workers start after the server answers: a request that enqueues waits for
  // the queue's start itself (Jobs.queue()), and nothing else needs them to serve.
  app.startWorkers().then(startupReport, (err: unknown) => {
    if (stopping) return;
    app.logger.error({ err }, "workers failed to start");
    shutdown("workers failed", 1);
  });
} catch (err) {
  exitOnConfigError(err);
}
