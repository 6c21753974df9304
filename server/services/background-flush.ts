// Buffers written in the background (API meter, access log, memory access counts) share one way
// of writing: flushes run one after another, so a batch is never taken twice; the timer keeps no
// process alive; and stopping writes what is left, once more on failure, so a connection dropped
// mid-flush does not cost the last seconds.
export interface BackgroundFlush {
  flush(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export function backgroundFlush(
  flushOnce: () => Promise<void>,
  options: { flushMs: number; enabled?: boolean },
): BackgroundFlush {
  let chain: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  const self: BackgroundFlush = {
    flush() {
      const next = chain.then(flushOnce);
      chain = next.catch(() => undefined);
      return next;
    },
    start() {
      if (options.enabled === false || timer) return;
      timer = setInterval(() => void self.flush().catch(() => undefined), options.flushMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await self.flush().catch(() => self.flush());
    },
  };
  return self;
}
