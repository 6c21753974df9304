import { lexicographicSortSchema } from "graphql";
import { builder } from "../builder.ts";
import "./user.ts";
import "./auth.ts";
import "./account.ts";
import "./agent.ts";
import "./rating.ts";
import "./memory.ts";
import "./usage.ts";
import "./agent-usage.ts";
import "./audit.ts";
import "./analysis.ts";

export const schema = lexicographicSortSchema(builder.toSchema());
