// The one home of the client's cache rules: urql's normalized cache (graphcache) built with the
// schema, so an object returned by a mutation, a query or a live push updates every screen showing
// it. What normalization cannot know by itself is declared here and nowhere else:
//  - keys: types without an `id` (connections, edges, page info, summaries, reports) are embedded
//    in their parent, read from the schema so a new connection type needs no line here;
//  - updates: mutations that add rows to lists or remove them. A created row is not in any list
//    the cache holds, so the lists of its kind are marked stale and re-read; a removed row is
//    dropped from every list at once, no round trip. Live screens get the same from the server's
//    push; these rules keep the screen right the moment the mutation answers, and on screens that
//    are not live.
import { type Cache, cacheExchange, type KeyingConfig, type UpdatesConfig } from "@urql/exchange-graphcache";
import schema from "../../gql/introspection.ts";

type IntrospectedType = { kind: string; name: string; fields?: readonly { name: string }[] | null };

/** Every object type without an `id` field is embedded data (keyed by its parent and path). */
export const keys: KeyingConfig = Object.fromEntries(
  (schema.__schema.types as readonly IntrospectedType[])
    .filter((t) => t.kind === "OBJECT" && !t.name.startsWith("__") && !t.fields?.some((f) => f.name === "id"))
    .filter((t) => !["Query", "Mutation", "Subscription"].includes(t.name))
    .map((t) => [t.name, () => null]),
);

/** The arguments-specific instances of a root list field, e.g. every `sessions(...)` page held. */
function listFields(cache: Cache, fieldName: string) {
  return cache.inspectFields("Query").filter((f) => f.fieldName === fieldName);
}

/** Marks every held instance of the root fields (lists, counts) stale: screens showing them re-read them. */
export function refreshLists(cache: Cache, ...fieldNames: string[]) {
  for (const name of fieldNames) for (const f of listFields(cache, name)) cache.invalidate("Query", f.fieldKey);
}

/** Drops the row from every held page of the connection fields (and from the cache itself). */
export function dropFromLists(cache: Cache, typename: string, id: string, ...fieldNames: string[]) {
  const key = cache.keyOfEntity({ __typename: typename, id });
  for (const name of fieldNames) {
    for (const f of listFields(cache, name)) {
      const connection = cache.resolve("Query", f.fieldKey);
      if (typeof connection !== "string") continue;
      const edges = cache.resolve(connection, "edges");
      if (!Array.isArray(edges)) continue;
      const kept = edges.filter((edge) => typeof edge !== "string" || cache.resolve(edge, "node") !== key);
      if (kept.length !== edges.length) cache.link(connection, "edges", kept as string[]);
    }
  }
  if (key) cache.invalidate(key);
}

/** Marks fields of the signed-in user stale, for answers that do not carry them. */
function refreshViewer(cache: Cache, ...fields: string[]) {
  const me = cache.resolve("Query", "me");
  if (typeof me === "string") for (const field of fields) cache.invalidate(me, field);
}

/** The id of a mutation's argument, for mutations that answer with a boolean. */
const idArg = (args: Record<string, unknown>) => (typeof args.id === "string" ? args.id : null);

export const updates: UpdatesConfig = {
  Mutation: {
    // Sessions and keys
    revokeSession: (result, args, cache) => {
      // The lists show active sessions only: a revoked one leaves them.
      const id = idArg(args);
      if (id && result.revokeSession) dropFromLists(cache, "Session", id, "sessions");
    },
    createApiKey: (_r, _a, cache) => refreshLists(cache, "apiKeys"),
    // A new password ends every other session.
    changePassword: (_r, _a, cache) => refreshLists(cache, "sessions"),
    // Two-factor state is a field of the viewer, which these answers do not return.
    confirmTotp: (_r, _a, cache) => refreshViewer(cache, "totpEnabled", "recoveryCodesLeft"),
    disableTotp: (_r, _a, cache) => refreshViewer(cache, "totpEnabled", "recoveryCodesLeft"),
    // Admin
    createInvite: (_r, _a, cache) => refreshLists(cache, "invites"),
    // A new role row belongs to its member's `roles`, which the cache cannot extend by itself.
    assignRole: (_r, args, cache) => {
      if (typeof args.userId === "string") cache.invalidate({ __typename: "User", id: args.userId }, "roles");
    },
    createAgent: (_r, _a, cache) => refreshLists(cache, "agents"),
    // Deactivating an agent takes it out of the catalogue (lists filter on it).
    updateAgent: (_r, _a, cache) => refreshLists(cache, "agents"),
    // A quota set for a new type adds a row; one already held is updated by its id.
    setQuota: (_r, _a, cache) => refreshLists(cache, "quotas"),
    // A new limit adds a row; a changed one is updated by its id, a deleted one leaves the list.
    setRateLimit: (_r, _a, cache) => refreshLists(cache, "rateLimits"),
    deleteRateLimit: (result, args, cache) => {
      const id = idArg(args);
      if (id && result.deleteRateLimit) dropFromLists(cache, "RateLimitConfig", id, "rateLimits");
    },
    // Agents
    addAgent: (_r, _a, cache) => refreshLists(cache, "myAgents"),
    // Archiving, favouriting or moving to a folder changes which filtered lists hold the agent.
    updateUserAgent: (_r, _a, cache) => refreshLists(cache, "myAgents"),
    removeUserAgent: (result, args, cache) => {
      const id = idArg(args);
      if (id && result.removeUserAgent) dropFromLists(cache, "UserAgent", id, "myAgents", "sharedAgents");
    },
    // A rating changes its item's summary, which has no id of its own: re-read it.
    rate: (_r, _a, cache) => refreshLists(cache, "ratings", "ratingSummary", "agents"),
    // Memories
    createMemory: (_r, _a, cache) => refreshLists(cache, "memories", "searchMemories"),
    deleteMemory: (result, args, cache) => {
      const id = idArg(args);
      if (id && result.deleteMemory) dropFromLists(cache, "Memory", id, "memories");
      refreshLists(cache, "searchMemories");
    },
    // Analyses
    importContent: (_r, _a, cache) => refreshLists(cache, "contentItems"),
    deleteContent: (result, args, cache) => {
      if (!result.deleteContent) return;
      // Without ids every item of the viewer is gone.
      if (!Array.isArray(args.ids)) return refreshLists(cache, "contentItems");
      for (const id of args.ids) if (typeof id === "string") dropFromLists(cache, "ContentItem", id, "contentItems");
    },
    startAnalysis: (_r, _a, cache) => refreshLists(cache, "analysisRuns"),
    // Files: uploads come through urql too (lib/uploadProgress.ts), so they land here like the rest.
    uploadFile: (_r, _a, cache) => refreshLists(cache, "files", "storageStats"),
    deleteFile: (result, args, cache) => {
      const id = idArg(args);
      if (id && result.deleteFile) dropFromLists(cache, "File", id, "files");
      refreshLists(cache, "storageStats");
    },
    createWorkspace: (_r, _a, cache) => refreshLists(cache, "workspaces"),
    // Conversations: a new message belongs to its thread, which the cache cannot extend by itself.
    startConversation: (_r, _a, cache) => refreshLists(cache, "conversations"),
    postMessage: (_r, args, cache) => {
      if (typeof args.conversationId === "string")
        cache.invalidate({ __typename: "Conversation", id: args.conversationId }, "messages");
      refreshLists(cache, "conversations");
    },
    // Archiving moves it between the archived and the recent lists.
    archiveConversation: (_r, _a, cache) => refreshLists(cache, "conversations"),
    deleteConversation: (result, args, cache) => {
      const id = idArg(args);
      if (id && result.deleteConversation) dropFromLists(cache, "Conversation", id, "conversations");
    },
  },
  Subscription: {
    // Progress events carry numbers only: a run the lists do not hold yet, or one that finished
    // (status, grades and results are stored fields), is re-read from the server once.
    myAnalysisEvents: (result, _a, cache) => followRun(cache, result.myAnalysisEvents),
    analysisProgress: (result, _a, cache) => followRun(cache, result.analysisProgress),
  },
};

function followRun(cache: Cache, event: unknown) {
  const e = event as { runId?: unknown; done?: unknown } | null;
  if (!e || typeof e.runId !== "string") return;
  const key = cache.keyOfEntity({ __typename: "AnalysisRun", id: e.runId });
  if (!key) return;
  if (cache.resolve(key, "id") == null) refreshLists(cache, "analysisRuns");
  else if (e.done === true) cache.invalidate(key);
}

export function createCacheExchange() {
  return cacheExchange({ schema, keys, updates });
}
