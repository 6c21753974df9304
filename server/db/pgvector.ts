import type { PGlite } from "@electric-sql/pglite";

/**
 * pgvector is optional: PGlite bundles it, a plain PostgreSQL may not have it installed. Asked on
 * the driver, not through Prisma: Prisma's first query loads its query compiler (WebAssembly,
 * tens of MB and a few tenths of a second), which need not delay the server's listening.
 */
export async function enablePgvector(db: Pick<PGlite, "query">): Promise<boolean> {
  // Installed by an earlier start: one catalog lookup (~1 ms on PGlite). Listing the available
  // extensions reads every extension's control file, and with CREATE EXTENSION it cost ~15-20 ms
  // of every start.
  const installed = await db.query("SELECT 1 FROM pg_extension WHERE extname = 'vector'");
  if (installed.rows.length > 0) return true;
  const { rows } = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_available_extensions WHERE name = 'vector'",
  );
  if (!rows[0]?.n) return false;
  try {
    await db.query("CREATE EXTENSION IF NOT EXISTS vector");
    return true;
  } catch {
    // Present but not creatable by this role: fall back to the portable path.
    return false;
  }
}
