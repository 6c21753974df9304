// Services whose functions take the Prisma client first (they also run inside other services'
// transactions, given the transaction's client) are offered to the schema as factories like every
// other service: these are their functions with the client given once, at start-up.

// biome-ignore lint/suspicious/noExplicitAny: any function whose first parameter is the client.
type WithClient<C> = (client: C, ...args: any[]) => unknown;
type Bound<C, T extends Record<string, WithClient<C>>> = {
  [K in keyof T]: T[K] extends (client: C, ...args: infer A) => infer R ? (...args: A) => R : never;
};

export function bindClient<C, T extends Record<string, WithClient<C>>>(client: C, fns: T): Bound<C, T> {
  const bound: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(fns)) bound[name] = (...args: unknown[]) => fn(client, ...args);
  return bound as Bound<C, T>;
}
