import { z } from "zod";
import { builder } from "../builder.ts";
import type * as agentUsage from "../services/agent-usage.ts";
import { access } from "./access.ts";
import { UserAgentRef } from "./agent.ts";

/**
 * The answer to recordAgentUsage: figures of the one call, readable by whoever recorded it with
 * the `write:usage` door, so a backend's key needs no read scope to learn what was charged.
 */
const AgentUsageRecord = builder.objectRef<agentUsage.AgentUsageRecord>("AgentUsageRecord").implement({
  authScopes: access.AgentUsageRecord.type,
  fields: (t) => ({
    usageLogId: t.globalID({
      description: "The UsageLog row of this call (readable with `read:usage`).",
      resolve: (r) => ({ type: "UsageLog", id: r.usageLog.id }),
    }),
    replayed: t.exposeBoolean("replayed", {
      description: "The idempotency key was recorded before: nothing new was written or charged.",
    }),
    tokensUsed: t.int({ resolve: (r) => r.usageLog.tokensUsed }),
    cost: t.float({ resolve: (r) => Number(r.usageLog.cost) }),
    model: t.string({ resolve: (r) => r.usageLog.model }),
    createdAt: t.field({ type: "DateTime", resolve: (r) => r.usageLog.createdAt }),
    userAgent: t.field({
      type: UserAgentRef,
      nullable: true,
      description: "The agent copy with its counters; its own rule applies (`read:agents` for keys).",
      resolve: (r, _a, ctx) =>
        r.usageLog.userAgentId ? ctx.prisma.userAgent.findUnique({ where: { id: r.usageLog.userAgentId } }) : null,
    }),
  }),
});

/** A client's key for one write, retried as often as needed (a UUID fits). */
export const IDEMPOTENCY_KEY = z
  .string()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .regex(/^[\x21-\x7e]+$/, "must be visible ASCII characters");

const count = (max: number) => z.number().int("must be a whole number").min(0).max(max);

builder.mutationField("recordAgentUsage", (t) =>
  t.withAuth({ apiScope: "write:usage" }).field({
    type: AgentUsageRecord,
    description:
      "Records one call of my agent made by an external backend: counters, a usage row and the tenant's tokens quota, at once. Repeating an idempotency key charges once.",
    args: {
      userAgentId: t.arg.globalID({ required: true, for: UserAgentRef }),
      success: t.arg.boolean({ required: true }),
      tokens: t.arg.int({ required: true, validate: count(10_000_000) }),
      cost: t.arg.float({ required: true, description: "USD.", validate: z.number().min(0).max(100_000) }),
      model: t.arg.string({
        required: true,
        validate: z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters"),
      }),
      messages: t.arg.int({ required: false, validate: count(10_000) }),
      responseTimeMs: t.arg.int({ required: false, validate: count(3_600_000) }),
      idempotencyKey: t.arg.string({
        required: true,
        description: "The caller's unique key for this call (1-200 visible ASCII characters), e.g. a UUID.",
        validate: IDEMPOTENCY_KEY,
      }),
    },
    resolve: (_r, args, ctx) => {
      return ctx.services.agentUsage.record(ctx.viewer, { ...args, userAgentId: args.userAgentId.id });
    },
  }),
);
