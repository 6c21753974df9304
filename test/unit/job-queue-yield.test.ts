// The job queue on PGlite (server/jobs/queue.ts pgliteDb) is background work on the server's one
// thread: PGlite runs a statement synchronously and settles it as a microtask, so pg-boss's runs of
// statements (its start right after the server listens, a worker's start, a maintenance pass) held
// the event loop until they ended, and a request already waiting on its socket was read only then.
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, expect, it } from "vitest";
import { pgliteDb } from "../../server/jobs/queue.ts";

let pglite: PGlite;
beforeAll(async () => {
  pglite = await PGlite.create();
});
afterAll(() => pglite?.close());

it("lets what the event loop has ready run before each of the queue's statements", async () => {
  const db = pgliteDb(pglite);
  const order: string[] = [];
  setImmediate(() => order.push("ready before"));
  for (let i = 0; i < 3; i++) {
    await db.executeSql(`SELECT ${i}`);
    order.push(`statement ${i}`);
    if (i === 0) setImmediate(() => order.push("ready between"));
  }
  expect(order).toEqual(["ready before", "statement 0", "ready between", "statement 1", "statement 2"]);
});
