// The embedded database gives way to the event loop before each statement (server/db/pglite-turns.ts):
// PGlite runs a statement synchronously and settles it as a microtask, so a chain of awaited
// statements held the server's one thread until it ended, whoever sent it. Each path to PGlite is
// checked the same way: a callback queued for the next turn before a statement runs before it.
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { yieldBeforeStatements } from "../../server/db/pglite-turns.ts";
import { PrismaClient } from "../../server/generated/prisma/client.ts";
import { pgliteDb } from "../../server/jobs/queue.ts";

let pglite: PGlite;
let prisma: PrismaClient;
beforeAll(async () => {
  pglite = yieldBeforeStatements(await PGlite.create());
  prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  await prisma.$queryRawUnsafe("SELECT 1"); // the client's own start is not what is measured
});
afterAll(async () => {
  await prisma?.$disconnect();
  await pglite?.close();
});

/** Runs the statements one after another, queueing a callback for the next turn before each. */
async function order(statements: (() => Promise<unknown>)[]): Promise<string[]> {
  const seen: string[] = [];
  for (const [i, statement] of statements.entries()) {
    setImmediate(() => seen.push(`turn ${i}`));
    await statement();
    seen.push(`statement ${i}`);
  }
  return seen;
}
const interleaved = (n: number) => Array.from({ length: n }, (_, i) => [`turn ${i}`, `statement ${i}`]).flat();

describe("each statement on the embedded database waits for the event loop's next turn", () => {
  it("through Prisma", async () => {
    expect(
      await order([
        () => prisma.$queryRawUnsafe("SELECT 1"),
        () => prisma.$executeRawUnsafe("SELECT 2"),
        () => prisma.$queryRawUnsafe("SELECT $1::int", 3),
      ]),
    ).toEqual(interleaved(3));
  });

  it("inside a Prisma transaction", async () => {
    const seen = await prisma.$transaction(async (tx) =>
      order([
        () => tx.$queryRawUnsafe("SELECT 1"),
        () => tx.$queryRawUnsafe("SELECT 2"),
        () => tx.$executeRawUnsafe("SELECT 3"),
      ]),
    );
    expect(seen).toEqual(interleaved(3));
  });

  it("through the app's own queries and PGlite's transactions", async () => {
    expect(
      await order([
        () => pglite.query("SELECT 1"),
        () => pglite.exec("SELECT 2"),
        () => pglite.sql`SELECT ${3}::int`,
        () => pglite.transaction(async (tx) => await tx.query("SELECT 4")),
      ]),
    ).toEqual(interleaved(4));
    const inside = await pglite.transaction((tx) =>
      order([() => tx.query("SELECT 1"), () => tx.exec("SELECT 2"), () => tx.sql`SELECT ${3}::int`]),
    );
    expect(inside).toEqual(interleaved(3));
  });

  it("through the job queue", async () => {
    const db = pgliteDb(pglite);
    expect(
      await order([
        () => db.executeSql("SELECT 1"),
        () => db.executeSql("SELECT $1::int", [2]),
        () => db.executeSql("BEGIN; SELECT 3; COMMIT"),
      ]),
    ).toEqual(interleaved(3));
  });

  it("and a transaction's statements still see its own writes and roll back together", async () => {
    await pglite.exec("CREATE TABLE turns (n int)");
    await expect(
      pglite.transaction(async (tx) => {
        await tx.query("INSERT INTO turns VALUES (1)");
        expect((await tx.query<{ n: number }>("SELECT n FROM turns")).rows).toEqual([{ n: 1 }]);
        throw new Error("undo");
      }),
    ).rejects.toThrow("undo");
    expect((await pglite.query("SELECT n FROM turns")).rows).toEqual([]);
  });
});
