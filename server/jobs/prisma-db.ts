// pg-boss's insert run on the caller's Prisma transaction: a row and the job that works on it
// commit together, or neither does.
import type { Db } from "pg-boss";
import type { Prisma } from "../generated/prisma/client.ts";

export function transactionDb(tx: Prisma.TransactionClient): Db {
  return {
    async executeSql(text, values) {
      return { rows: await tx.$queryRawUnsafe<unknown[]>(text, ...(values ?? [])) };
    },
  };
}
