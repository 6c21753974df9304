// "Export my data" over GraphQL: exportMyData starts (or returns the running) export, myDataExports
// lists them; both and every field are their owner's alone (access.DataExport). Progress moves
// with `@live`: the job announces each page it writes.
import { builder } from "../builder.ts";
import { badInput } from "../errors.ts";
import { watchRows } from "../live/queries.ts";
import { access } from "./access.ts";

const DataExportStatusEnum = builder.enumType("DataExportStatus", {
  values: ["queued", "running", "ready", "failed"] as const,
});

builder.prismaNode("DataExport", {
  id: { field: "id" },
  authScopes: access.DataExport.type,
  description: "One JSON document of everything the user owns; downloadable by its owner until it expires.",
  fields: (t) => ({
    status: t.expose("status", { type: DataExportStatusEnum }),
    done: t.exposeInt("done", { description: "Rows written so far." }),
    total: t.exposeInt("total", { description: "Rows in all (0 until counted)." }),
    percent: t.exposeInt("percent", { description: "0..100; 100 once ready." }),
    size: t.float({
      nullable: true,
      description: "Bytes of the document, once ready.",
      resolve: (e) => (e.size === null ? null : Number(e.size)),
    }),
    errorMessage: t.exposeString("errorMessage", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
    expiresAt: t.expose("expiresAt", {
      type: "DateTime",
      nullable: true,
      description: "After this the document can no longer be downloaded and is removed (EXPORT_TTL_HOURS).",
    }),
    downloadUrl: t.string({
      nullable: true,
      description:
        "A signed path (/exports/…) that downloads the document, relative to the API's origin; null unless ready and unexpired. It lives `expiresIn` seconds, never past expiresAt.",
      args: { expiresIn: t.arg.int({ required: false, description: "Seconds; default FILE_URL_DEFAULT_SECONDS." }) },
      resolve: (e, args, ctx) => {
        const seconds = args.expiresIn ?? ctx.config.FILE_URL_DEFAULT_SECONDS;
        if (!Number.isInteger(seconds) || seconds < 1 || seconds > ctx.config.FILE_URL_MAX_SECONDS)
          throw badInput("expiresIn", `expiresIn must be between 1 and ${ctx.config.FILE_URL_MAX_SECONDS} seconds`);
        return ctx.services.exports.downloadPath(e, seconds);
      },
    }),
  }),
});

builder.queryFields((t) => ({
  myDataExports: t.withAuth(access.DataExport.door).prismaConnection({
    type: "DataExport",
    cursor: "id",
    description: "My data exports, newest first (live with @live).",
    resolve: (query, _r, _a, ctx) => {
      watchRows(ctx, "DataExport", { userId: ctx.viewer.userId });
      return ctx.prisma.dataExport.findMany({
        ...query,
        where: { userId: ctx.viewer.userId },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      });
    },
  }),
}));

builder.mutationFields((t) => ({
  exportMyData: t.withAuth(access.DataExport.door).prismaField({
    type: "DataExport",
    description:
      "Starts writing everything I own into one JSON document, or returns the export already running (one at a time). RATE_LIMITED past EXPORT_MAX_PER_DAY in 24 hours.",
    resolve: async (query, _r, _a, ctx) => {
      const started = await ctx.services.exports.start(ctx.viewer, ctx.request);
      return ctx.prisma.dataExport.findUniqueOrThrow({ ...query, where: { id: started.id } });
    },
  }),
}));
