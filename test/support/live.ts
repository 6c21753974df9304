// Live queries in tests: real graphql-ws clients, and a count of each viewer's re-executions on
// the server, so a test can show that a change did not run someone's query at all.
import type { Context } from "../../server/context.ts";
import { isSignedIn } from "../../server/viewer.ts";
import { type Execute, ok, type TestUser } from "../kit.ts";

/** Executions of live queries per user id (the first execution included). */
export function executionCounter() {
  const counts = new Map<string, number>();
  return {
    onLiveExecute: (ctx: Context) => {
      if (isSignedIn(ctx.viewer)) counts.set(ctx.viewer.userId, (counts.get(ctx.viewer.userId) ?? 0) + 1);
    },
    of: (user: TestUser) => counts.get(user.userId) ?? 0,
  };
}

export const addMemory = (exec: Execute, token: string, key: string) =>
  ok(
    exec,
    `mutation($input: MemoryInput!) { createMemory(input: $input) { id } }`,
    { input: { memoryType: "fact", memoryKey: key, content: `about ${key}` } },
    token,
  );
