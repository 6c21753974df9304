import { z } from "zod";
import { builder } from "../builder.ts";
import { isUuid } from "../ids.ts";
import type { AnalysisEvent } from "../pubsub.ts";
import { MAX_ITEMS_PER_IMPORT, MAX_TEXT_LENGTH } from "../services/analysis/content.ts";
import { CONTENT_SOURCES, type RunEvent } from "../services/analysis/index.ts";
import type { FlaggedItem, FlagReason } from "../services/analysis/scorer.ts";
import { isTenantAdmin } from "../viewer.ts";
import { access, ownerOnly } from "./access.ts";
import { UserAgentRef } from "./agent.ts";

builder.subscriptionType({});

export const ContentSourceEnum = builder.enumType("ContentSource", { values: CONTENT_SOURCES });
export const AnalysisStatusEnum = builder.enumType("AnalysisStatus", {
  values: ["queued", "running", "complete", "failed", "cancelled"] as const,
});

/** Imported content is its owner's alone. */
export const ContentItemRef = builder.prismaNode("ContentItem", {
  id: { field: "id" },
  authScopes: access.ContentItem.type,
  fields: (t) => ({
    source: t.expose("source", { type: ContentSourceEnum }),
    text: t.exposeString("text"),
    contentHash: t.exposeString("contentHash", {
      description: "SHA-256 of the normalised text; the de-duplication key.",
    }),
    externalId: t.exposeString("externalId", { nullable: true }),
    postedAt: t.expose("postedAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const FlagReasonRef = builder.objectRef<FlagReason>("FlagReason").implement({
  description: "One rule an item triggered, and why it matters.",
  authScopes: { signedIn: true },
  fields: (t) => ({
    rule: t.exposeString("rule", {
      description: 'The offline rule, e.g. "drugs.use" or "weapons.concealed", or "llm.<category>" for a model.',
    }),
    category: t.exposeString("category"),
    term: t.exposeString("term", { description: "What matched." }),
    severity: t.exposeFloat("severity", {
      description: "The rule's 1..5, x0.3 when negated, reported or marked as a joke; 3 or more flags the item.",
    }),
    why: t.exposeString("why"),
  }),
});

const FlaggedItemRef = builder.objectRef<FlaggedItem>("FlaggedItem").implement({
  authScopes: { signedIn: true },
  fields: (t) => ({
    contentItemId: t.globalID({ resolve: (f) => ({ type: "ContentItem", id: f.contentItemId }) }),
    excerpt: t.exposeString("excerpt"),
    score: t.exposeFloat("score"),
    reasons: t.field({ type: [FlagReasonRef], resolve: (f) => f.reasons }),
  }),
});

/** A run's progress fields, as its events carry them (declared once, in pubsub.ts). */
type Progress = Omit<AnalysisEvent, "runId" | "userId">;

/**
 * Progress as numbers, the same on a run and on its events. What a run found is only in the
 * owner-only result fields, so a tenant admin who may follow a run learns nothing of its results.
 */
const AnalysisProgressRef = builder.interfaceRef<Progress>("AnalysisProgress").implement({
  fields: (t) => ({
    seq: t.exposeInt("seq", {
      description: "Version of this state: one more per change, the same on a run and its events.",
    }),
    status: t.field({ type: AnalysisStatusEnum, resolve: (r) => r.status as "queued" }),
    done: t.boolean({
      description: "The run is finished; no event follows.",
      resolve: (r) => r.status !== "queued" && r.status !== "running",
    }),
    stage: t.exposeString("stage", {
      description: "queued, collecting, analyzing:<source>, aggregating, complete, failed or cancelled.",
    }),
    percent: t.exposeInt("percent", { description: "0..100, never decreasing." }),
    source: t.field({
      type: ContentSourceEnum,
      nullable: true,
      description: "The source being analysed, while the stage is analyzing:<source>.",
      resolve: (r) => {
        const source = r.stage.startsWith("analyzing:") ? r.stage.slice("analyzing:".length) : "";
        return CONTENT_SOURCES.find((s) => s === source) ?? null;
      },
    }),
    itemsDone: t.exposeInt("itemsDone", {
      description: "Items done in this stage: of the source being analysed, else of the whole run.",
    }),
    itemsTotal: t.exposeInt("itemsTotal", {
      description: "Items in this stage: of the source being analysed, else of the whole run (0 until collected).",
    }),
    message: t.exposeString("message", {
      nullable: true,
      description: "A note on the run's state (waiting, retrying); never a result.",
      deprecationReason: "Render progress from stage, source, itemsDone, itemsTotal and percent.",
    }),
  }),
});

/** Results are the owner's only: tenant admins see that a run exists and how it went, not what it found. */
builder.prismaObject("AnalysisResult", {
  authScopes: access.AnalysisResult.type,
  fields: (t) => ({
    source: t.expose("source", { type: ContentSourceEnum }),
    riskScore: t.exposeInt("riskScore", { description: "0 (nothing found) .. 100." }),
    grade: t.exposeString("grade", { description: "A (best) .. F." }),
    itemCount: t.exposeInt("itemCount"),
    flaggedItems: t.field({
      type: [FlaggedItemRef],
      description: "Worst first.",
      resolve: (r) => r.flaggedItems as unknown as FlaggedItem[],
    }),
    summary: t.exposeString("summary"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

export const AnalysisRunRef = builder.prismaNode("AnalysisRun", {
  id: { field: "id" },
  interfaces: [AnalysisProgressRef],
  authScopes: access.AnalysisRun.type,
  fields: (t) => {
    const owner = ownerOnly;
    return {
      sources: t.field({ type: [ContentSourceEnum], resolve: (r) => r.sources }),
      user: t.relation("user"),
      userAgent: t.relation("userAgent", { nullable: true }),
      scorer: t.exposeString("scorer", { nullable: true }),
      tokensUsed: t.exposeInt("tokensUsed"),
      errorCode: t.exposeString("errorCode", {
        nullable: true,
        description: "QUOTA_EXCEEDED, SCORER_ERROR or INTERNAL when the run failed.",
      }),
      errorMessage: t.exposeString("errorMessage", { nullable: true }),
      attempts: t.exposeInt("attempts", {
        description: "Workers that have taken this run; more than 1 after a crash.",
      }),
      cancelRequested: t.boolean({ resolve: (r) => r.cancelRequestedAt !== null }),
      startedAt: t.expose("startedAt", { type: "DateTime", nullable: true }),
      finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
      createdAt: t.expose("createdAt", { type: "DateTime" }),
      updatedAt: t.expose("updatedAt", { type: "DateTime" }),
      overallScore: t.exposeInt("overallScore", { nullable: true, authScopes: owner }),
      overallGrade: t.exposeString("overallGrade", { nullable: true, authScopes: owner }),
      results: t.relation("results", {
        nullable: true,
        authScopes: owner,
        description: "Per source; the owner's only.",
        query: { orderBy: { source: "asc" } },
      }),
    };
  },
});

const AnalysisProgressEventRef = builder.objectRef<RunEvent>("AnalysisProgressEvent").implement({
  interfaces: [AnalysisProgressRef],
  description: "A state of a run. `seq` increases by one per change, so a gap or a repeat is visible.",
  authScopes: access.AnalysisRun.type,
  fields: (t) => ({
    runId: t.globalID({ resolve: (e) => ({ type: "AnalysisRun", id: e.runId }) }),
  }),
});

const ImportContentPayload = builder
  .objectRef<{ imported: number; duplicates: number; ids: string[] }>("ImportContentPayload")
  .implement({
    authScopes: { signedIn: true },
    fields: (t) => ({
      imported: t.exposeInt("imported"),
      duplicates: t.exposeInt("duplicates", { description: "Items already stored (or repeated in this import)." }),
      items: t.prismaField({
        type: ["ContentItem"],
        description: "The items stored by this import.",
        resolve: (query, p, _a, ctx) =>
          ctx.prisma.contentItem.findMany({ ...query, where: { id: { in: p.ids } }, orderBy: { createdAt: "asc" } }),
      }),
    }),
  });

const ContentItemInput = builder.inputType("ContentItemInput", {
  fields: (t) => ({
    text: t.string({
      required: true,
      validate: z
        .string()
        .trim()
        .min(1, "must not be empty")
        .max(MAX_TEXT_LENGTH, `must be at most ${MAX_TEXT_LENGTH} characters`),
    }),
    externalId: t.string({ required: false, validate: z.string().max(200, "must be at most 200 characters") }),
    postedAt: t.field({ type: "DateTime", required: false }),
  }),
});

builder.queryFields((t) => ({
  contentItems: t.withAuth({ apiScope: "analysis:read" }).prismaConnection({
    type: "ContentItem",
    cursor: "id",
    description: "My imported content, newest first.",
    args: { source: t.arg({ type: ContentSourceEnum, required: false }) },
    resolve: (query, _r, args, ctx) => {
      return ctx.prisma.contentItem.findMany({
        ...query,
        where: { userId: ctx.viewer.userId, ...(args.source ? { source: args.source } : {}) },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      });
    },
  }),
  analysisRun: t.prismaField({
    type: "AnalysisRun",
    nullable: true,
    authScopes: { apiScope: "analysis:read" },
    args: { id: t.arg.globalID({ required: true, for: AnalysisRunRef }) },
    resolve: (query, _r, { id }, ctx) =>
      isUuid(id.id) ? ctx.prisma.analysisRun.findUnique({ ...query, where: { id: id.id } }) : null,
  }),
  analysisRuns: t.withAuth({ apiScope: "analysis:read" }).prismaConnection({
    type: "AnalysisRun",
    cursor: "id",
    description: "My runs, newest first; tenant admins may list the whole tenant's (status only).",
    args: {
      wholeTenant: t.arg.boolean({ required: false }),
      status: t.arg({ type: AnalysisStatusEnum, required: false }),
    },
    resolve: (query, _r, args, ctx) => {
      const scope =
        args.wholeTenant && isTenantAdmin(ctx.viewer)
          ? { tenantId: ctx.viewer.tenantId }
          : { userId: ctx.viewer.userId };
      return ctx.prisma.analysisRun.findMany({
        ...query,
        where: { ...scope, ...(args.status ? { status: args.status } : {}) },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      });
    },
  }),
}));

builder.mutationFields((t) => ({
  importContent: t.withAuth({ apiScope: "analysis:run" }).field({
    type: ImportContentPayload,
    description: `Stores posts or texts of one source; the same text is stored once. At most ${MAX_ITEMS_PER_IMPORT} items per call.`,
    args: {
      source: t.arg({ type: ContentSourceEnum, required: true }),
      items: t.arg({
        type: [ContentItemInput],
        required: true,
        validate: z
          .array(z.unknown())
          .min(1, "give at least one item")
          .max(MAX_ITEMS_PER_IMPORT, `at most ${MAX_ITEMS_PER_IMPORT} items per import`),
      }),
    },
    resolve: (_r, args, ctx) => {
      return ctx.services.analysis.importContent(ctx.viewer, args.source, args.items);
    },
  }),
  deleteContent: t.withAuth({ apiScope: "analysis:run" }).int({
    description: "Deletes my items by id, or all of a source; returns how many were deleted.",
    args: {
      ids: t.arg.globalIDList({
        required: false,
        for: ContentItemRef,
        validate: z.array(z.unknown()).max(1000, "at most 1000 ids"),
      }),
      source: t.arg({ type: ContentSourceEnum, required: false }),
    },
    resolve: (_r, args, ctx) => {
      return ctx.services.analysis.deleteContent(ctx.viewer, {
        ids: args.ids?.map((g) => g.id),
        source: args.source,
      });
    },
  }),
  startAnalysis: t.withAuth({ apiScope: "analysis:run" }).prismaField({
    type: "AnalysisRun",
    description: "Queues an analysis of my content and returns at once; follow it with analysisProgress.",
    args: {
      userAgentId: t.arg.globalID({ required: false, for: UserAgentRef }),
      sources: t.arg({
        type: [ContentSourceEnum],
        required: false,
        description: "Default: every source I have content for.",
        validate: z.array(z.unknown()).max(CONTENT_SOURCES.length),
      }),
    },
    resolve: async (query, _r, args, ctx) => {
      const run = await ctx.services.analysis.startAnalysis(ctx.viewer, {
        userAgentId: args.userAgentId?.id,
        sources: args.sources,
      });
      return ctx.prisma.analysisRun.findUniqueOrThrow({ ...query, where: { id: run.id } });
    },
  }),
  cancelAnalysis: t.withAuth({ apiScope: "analysis:run" }).prismaField({
    type: "AnalysisRun",
    description: "Stops my run within a second; the final state arrives on analysisProgress.",
    args: { id: t.arg.globalID({ required: true, for: AnalysisRunRef }) },
    resolve: async (query, _r, { id }, ctx) => {
      await ctx.services.analysis.cancelAnalysis(ctx.viewer, id.id);
      return ctx.prisma.analysisRun.findUniqueOrThrow({ ...query, where: { id: id.id } });
    },
  }),
}));

builder.subscriptionFields((t) => ({
  analysisProgress: t.field({
    type: AnalysisProgressEventRef,
    authScopes: { apiScope: "analysis:read" },
    description: "The run's current state, then every change in seq order; completes when the run is finished.",
    args: { runId: t.arg.globalID({ required: true, for: AnalysisRunRef }) },
    subscribe: (_r, { runId }, ctx) => ctx.services.analysis.progress(ctx.viewer, runId.id),
    resolve: (event) => event,
  }),
  myAnalysisEvents: t.withAuth({ apiScope: "analysis:read" }).field({
    type: AnalysisProgressEventRef,
    description: "Every change of any of my runs from now on.",
    subscribe: (_r, _a, ctx) => {
      return ctx.services.analysis.myEvents(ctx.viewer);
    },
    resolve: (event) => event,
  }),
}));
