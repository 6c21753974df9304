import { setMaxListeners } from "node:events";
import { createPubSub } from "graphql-yoga";
import type { Change } from "./live/change.ts";
import { requireOnUse } from "./require-on-use.ts";

/**
 * What goes over the wire for a conversation: the new message's row with its dates as ISO text
 * (Redis carries JSON), so each subscriber is served without reading the database again.
 */
export type ConversationEvent =
  | {
      kind: "message";
      message: {
        id: string;
        conversationId: string;
        userId: string;
        tenantId: string;
        role: string;
        content: string;
        tokens: number;
        cost: string;
        model: string | null;
        createdAt: string;
      };
    }
  | { kind: "deleted"; conversationId: string; userId: string };

export interface AnalysisEvent {
  runId: string;
  userId: string;
  seq: number;
  status: string;
  stage: string;
  percent: number;
  itemsDone: number;
  itemsTotal: number;
  message: string | null;
}

export type PubSubTopics = {
  /** Every state change of one analysis run. */
  "analysis:run": [runId: string, event: AnalysisEvent];
  /** Every state change of any run of one user. */
  "analysis:user": [userId: string, event: AnalysisEvent];
  /**
   * Something that can change what a user may see (a session or key ended, a role given or
   * ended): their live operations resolve their viewer again (live-auth.ts).
   */
  "viewer:changed": [userId: string, payload: { userId: string; reason: string }];
  /** The same for every user on one topic, and tenant-wide changes: the viewer caches follow it. */
  "viewers:changed": [payload: { userId: string } | { tenantId: string }];
  /** The owner asked to cancel a run: whichever instance runs it stops at once. */
  "analysis:cancel": [runId: string, payload: { runId: string }];
  /** A message committed to a conversation, or the conversation deleted (conversations.ts). */
  "conversation:events": [conversationId: string, event: ConversationEvent];
  /** Rows committed: every instance invalidates the live queries that read them (live/). */
  "live:changes": [payload: { changes: Change[] }];
};

export type PubSub = ReturnType<typeof createPubSub<PubSubTopics>>;

/** In-process by default; Redis pub/sub when several instances share the work. */
export function createAppPubSub(redisUrl: string | undefined): { pubsub: PubSub; close(): Promise<void> } {
  if (!redisUrl) {
    // Thousands of subscribers may watch one run; Node would warn past 10 listeners per topic.
    const eventTarget = new EventTarget();
    setMaxListeners(0, eventTarget);
    return { pubsub: createPubSub<PubSubTopics>({ eventTarget }), close: async () => {} };
  }
  const { Redis } = requireOnUse("ioredis") as typeof import("ioredis");
  const { createRedisEventTarget } = requireOnUse(
    "@graphql-yoga/redis-event-target",
  ) as typeof import("@graphql-yoga/redis-event-target");
  const publishClient = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const eventTarget = createRedisEventTarget({ publishClient, subscribeClient });
  return {
    pubsub: createPubSub<PubSubTopics>({ eventTarget }),
    async close() {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}
