import { resolveCursorConnection } from "@pothos/plugin-relay";
import { z } from "zod";
import { builder, MAX_PAGE_SIZE } from "../builder.ts";
import { badInput } from "../errors.ts";
import { parseTrailCursor, type TrailEntry, trailCursor } from "../services/access-trail.ts";
import { access } from "./access.ts";

const DataAccessKind = builder.enumType("DataAccessKind", {
  description: "`read`: someone else (or an API key) read the data; `change`: someone else changed it.",
  values: ["read", "change"] as const,
});

const AccessActorKind = builder.enumType("AccessActorKind", {
  description: "Who acted: a user (a tenant admin, another member), an API key (named), or the system (a job).",
  values: ["user", "api_key", "system"] as const,
});

const DataAccessEntryRef = builder.objectRef<TrailEntry>("DataAccessEntry");

builder.node(DataAccessEntryRef, {
  description:
    "One entry of a user's privacy transparency log: a read of their data by someone else or by an API key " +
    "(one per actor, subject and operation per request, listing the types read), or a change to it by someone " +
    "else (from the audit log). " +
    "Immutable; readable by that user alone.",
  id: { resolve: (e) => e.id },
  authScopes: access.DataAccessEntry.type,
  isTypeOf: (v) => typeof v === "object" && v !== null && "actorDisplay" in v && "subjectUserId" in v,
  loadMany: (ids, ctx) => ctx.services.accessTrail.load(ids),
  fields: (t) => ({
    kind: t.field({ type: DataAccessKind, resolve: (e) => e.kind }),
    actorKind: t.field({ type: AccessActorKind, resolve: (e) => e.actorKind }),
    actorName: t.exposeString("actorDisplay", {
      description: "The user's display name or the API key's name, as it was when the entry was written.",
    }),
    resources: t.exposeStringList("resources", {
      description:
        "The types read in that request (Session, Memory …; sorted, distinct), or the one changed (none when the " +
        "change named none).",
    }),
    resource: t.string({
      description: "The first of `resources` (empty when there is none).",
      deprecationReason: "An entry lists every type read in its request: use `resources`.",
      resolve: (e) => e.resources[0] ?? "",
    }),
    action: t.exposeString("action", {
      description:
        "For a read, the operation's root field (sessions, node …) of its first read; for a change, its audit action.",
    }),
    operationName: t.exposeString("operationName", { nullable: true }),
    ipAddress: t.exposeString("ipAddress", { nullable: true }),
    userAgent: t.exposeString("userAgent", { nullable: true }),
    at: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const cursorArg = (name: string, value: string | null | undefined) => {
  if (!value) return null;
  const c = parseTrailCursor(value);
  if (!c) throw badInput(name, `${name}: not a cursor of this list`);
  return c;
};

builder.queryField("myDataAccessLog", (t) =>
  t.withAuth(access.DataAccessEntry.door).connection({
    type: DataAccessEntryRef,
    description:
      "Who read or changed my data other than me, newest first: tenant admins, other members, API keys (my own " +
      "included). Mine alone: no admin, no API key reads it.",
    args: {
      kind: t.arg({ type: DataAccessKind, required: false }),
      since: t.arg({ type: "DateTime", required: false, description: "From this instant (inclusive)." }),
      until: t.arg({ type: "DateTime", required: false, description: "Before this instant." }),
    },
    // A loose object: the checked args pass on whole (first, after, kind …), not only the two dates.
    validate: z
      .looseObject({ since: z.date().nullish(), until: z.date().nullish() })
      .refine((a) => !a.since || !a.until || a.since < a.until, { message: "since must be before until" }),
    resolve: (_root, args, ctx) =>
      resolveCursorConnection<Promise<TrailEntry[]>>(
        { args, toCursor: trailCursor, defaultSize: 20, maxSize: MAX_PAGE_SIZE },
        ({ before, after, limit, inverted }) =>
          ctx.services.accessTrail.list(
            ctx.viewer.userId,
            { kind: args.kind, since: args.since, until: args.until },
            { after: cursorArg("after", after), before: cursorArg("before", before), limit, inverted },
          ),
      ),
  }),
);
