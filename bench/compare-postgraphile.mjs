// PostGraphile v5 (amber preset) over the same database, as a user would run it instead of
// Userplane: started as a child process by bench/compare.ts with DATABASE_URL and PORT. Plain
// JavaScript, outside the TypeScript program: grafast augments graphql-js' types globally
// (ExecutionResult), which would change the types the server is checked against.
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error("DATABASE_URL is required");

const pgl = postgraphile({
  extends: [PostGraphileAmberPreset],
  // Amber offers conditions and orderings on indexed columns only; Userplane's shape filters on
  // deleted_at and orders on added_at, which its indexes do not cover either.
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [makePgService({ connectionString, schemas: ["public"], poolConfig: { max: 10 } })],
  grafserv: { graphiql: false, watch: false },
  grafast: { explain: false },
});
const serv = pgl.createServ(grafserv);
const server = createServer();
Promise.resolve(serv.addTo(server)).catch((e) => {
  console.error(e);
  process.exit(1);
});
server.listen(Number(process.env.PORT), "127.0.0.1");
const stop = () => server.close(() => void Promise.resolve(pgl.release()).then(() => process.exit(0)));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
