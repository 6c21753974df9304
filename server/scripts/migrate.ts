// Applies pending migrations to the configured database (PGlite in DATA_DIR, or DATABASE_URL).
import { loadConfig } from "../config.ts";
import { openDatabase } from "../db/client.ts";

const db = await openDatabase(loadConfig());
console.log(db.migrationsApplied.length ? `applied: ${db.migrationsApplied.join(", ")}` : "already up to date");
await db.close();
