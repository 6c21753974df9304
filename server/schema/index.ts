import { GraphQLLiveDirective } from "@n1ru4l/graphql-live-query";
import { specifiedDirectives } from "graphql";
import { builder } from "../builder.ts";
import "./user.ts";
import "./auth.ts";
import "./account.ts";
import "./agent.ts";
import "./favorite.ts";
import "./rating.ts";
import "./memory.ts";
import "./usage.ts";
import "./agent-usage.ts";
import "./audit.ts";
import "./analysis.ts";
import "./rate-limits.ts";
import "./workspaces.ts";
import "./files.ts";
import "./retention.ts";
import "./avatars.ts";
import "./notifications.ts";
import "./webhooks.ts";
import "./conversations.ts";
import "./lifecycle.ts";
import "./exports.ts";
import "./access-log.ts";

// @live is in the schema (and the printed client/schema.graphql) so documents using it validate
// and the client's codegen and cache know it; live/queries.ts runs it. toSchema sorts the types
// and fields by name itself (Pothos's sortSchema, on by default): sorting again rebuilt the whole
// schema for nothing on every start.
export const schema = builder.toSchema({ directives: [...specifiedDirectives, GraphQLLiveDirective] });
