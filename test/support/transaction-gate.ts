// For tests that order a transaction's statements against other callers' within one turn of the
// event loop, where Prisma gathers the statements asked for and sends them from one callback.

/** Lets a chain of microtasks run out: a hundred awaits still end before that callback runs. */
export async function afterMicrotasks(): Promise<void> {
  for (let i = 0; i < 100; i++) await null;
}

/**
 * A gate for a transaction's callback: the callback calls `wait()` and stays there until `open()`;
 * `ready` resolves once it is there, `gate` when it is let through.
 */
export function atGate() {
  let open!: () => void;
  let arrived!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const ready = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  return {
    gate,
    ready,
    open,
    wait: () => {
      arrived();
      return gate;
    },
  };
}
