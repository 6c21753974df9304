// Names for the SQL texts Prisma sends to PostgreSQL, so that each pool connection prepares a
// statement once and then only binds and executes it. Sent unnamed, the agents list's one joined
// statement (LATERAL subqueries building JSONB) is parsed and planned on every call: about
// 800–1,200 µs of the database's CPU against 350 µs prepared, and the server's own CPU per call
// halves too (bench:statement-cost). PostgreSQL runs beside the server on the same cores, so that
// planning was throughput lost.
//
// Bounded, because each prepared statement holds memory in every connection that ran it (about
// 170 KB for that joined read, 12 KB for a one-row read, in pg_backend_memory_contexts) until the
// connection closes, and neither pg nor the adapter ever deallocates one. The texts vary with the
// shape of a GraphQL selection and with the length of IN lists, so clients can make any number of
// them: only the first `limit` texts seen twice get a name (one-off texts such as a bulk insert of
// 37 rows never take a place); the others are sent unnamed, as before. A name is a digest of its
// text, so it never stands for two texts on one connection, even when two adapters (each with its
// own generator) share a pool: pg refuses a name it has prepared for another text.
import { createHash } from "node:crypto";

/** The SQL Prisma's adapter hands the generator (`SqlQuery` of @prisma/driver-adapter-utils). */
interface Sql {
  sql: string;
}

/**
 * A `statementNameGenerator` for @prisma/adapter-pg naming at most `limit` texts (0: none); it
 * answers "" (pg's unnamed statement) for the others.
 */
export function statementNames(limit: number): (query: Sql) => string {
  const names = new Map<string, string>();
  /** Texts seen once and not named yet; forgotten together when the set grows past its bound. */
  let seenOnce = new Set<string>();
  return ({ sql }) => {
    const name = names.get(sql);
    if (name !== undefined) return name;
    if (names.size >= limit) return "";
    if (!seenOnce.has(sql)) {
      if (seenOnce.size >= limit * 10) seenOnce = new Set();
      seenOnce.add(sql);
      return "";
    }
    seenOnce.delete(sql);
    // 192 bits of SHA-256 in base64url: 42 characters with the prefix, within PostgreSQL's 63.
    const given = `userplane_${createHash("sha256").update(sql).digest("base64url").slice(0, 32)}`;
    names.set(sql, given);
    return given;
  };
}
