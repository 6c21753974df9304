// Prints the schema the server builds into schema.graphql, which the client's codegen reads.
import { writeFileSync } from "node:fs";
import { printSchema } from "graphql";
import { schema } from "../schema/index.ts";

const target = new URL("../../client/schema.graphql", import.meta.url);
writeFileSync(target, `${printSchema(schema)}\n`);
console.log(`wrote ${target.pathname}`);
