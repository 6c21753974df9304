// The server of bench:files, in its own process so that its memory is measured alone (the bench's
// client, which writes and reads the gigabyte, lives in the parent). It samples its own memory
// every 20 ms and answers the parent over IPC: "baseline" (after a full GC, and restarts the peaks),
// "sample" (now), "peak" (the highest of each figure since the baseline), "stop".
import { buildApp } from "../server/app.ts";
import { loadConfig } from "../server/config.ts";

type Figures = Pick<NodeJS.MemoryUsage, "rss" | "heapUsed" | "external" | "arrayBuffers">;

const app = await buildApp(
  loadConfig({ ...process.env, LOG_LEVEL: "warn", RUN_WORKER: "false", SERVE_CLIENT: "false", PORT: "0" }),
  { memoryDatabase: true },
);
const { port } = await app.start();

const figures = (): Figures => {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
};
let peak = figures();
const sample = () => {
  const m = figures();
  for (const k of Object.keys(m) as (keyof Figures)[]) peak[k] = Math.max(peak[k], m[k]);
  return m;
};
setInterval(sample, 20);

const send = (message: unknown) => process.send?.(message);
process.on("message", async (msg) => {
  if (msg === "baseline") {
    (globalThis as { gc?: () => void }).gc?.();
    peak = figures();
    send({ kind: "baseline", figures: { ...peak } });
  } else if (msg === "sample") send({ kind: "sample", figures: sample() });
  else if (msg === "peak") {
    sample();
    send({ kind: "peak", figures: { ...peak } });
  } else if (msg === "stop") {
    await app.stop();
    process.exit(0);
  }
});
send({ kind: "ready", port });
