// Conversations over two instances and Redis: a reply an agent backend posts through instance A
// reaches the owner's subscription and live thread held by instance B.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { App } from "../../server/app.ts";
import { createApiKey, createOwner, createTestApp, executor, instancesSkipReason } from "../kit.ts";
import { connect, watch } from "../support/analysis.ts";
import { EVENTS, type PostedMessage, post, startConversation, untilSubscribed } from "../support/conversations.ts";
import { live, nodes } from "../support/live.ts";

const redisUrl = inject("redisUrl");
const why = instancesSkipReason("conversation-instances");

describe.skipIf(why !== "")(`conversations over two instances and Redis ${why}`, () => {
  let a: App;
  let b: App;
  let urlB: string;

  beforeAll(async () => {
    const config = { REDIS_URL: redisUrl as string, RUN_WORKER: "false", LIVE_THROTTLE_MS: "10" };
    [a, b] = await Promise.all([createTestApp({ config }), createTestApp({ config })]);
    await a.start();
    ({ url: urlB } = await b.start());
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("a key's reply posted through A reaches the subscription and the @live thread on B", async () => {
    const exec = executor(a);
    const owner = await createOwner(exec, "Owner");
    const key = await createApiKey(exec, owner, ["READ_CONVERSATIONS", "WRITE_CONVERSATIONS"]);
    const id = await startConversation(exec, owner.token);
    const ws = connect(urlB, owner.token);
    const events = watch<PostedMessage>(ws, EVENTS, { id });
    await untilSubscribed(exec, owner.token, id, events);
    const thread = live(
      ws,
      `query($id: ID!) @live { conversation(id: $id) { messages(last: 50) { edges { node { id content } } } } }`,
      {
        id,
      },
    );
    await thread.until((d) => d.conversation.messages.edges.length > 0);
    const reply = await post(exec, key, id, "answer from the backend", { role: "assistant", tokens: 3 });
    expect(await events.until((e) => e.id === reply.id)).toMatchObject({ role: "assistant" });
    await thread.until((d) => nodes(d.conversation.messages).some((m: { id: string }) => m.id === reply.id));
    // Each message arrives once.
    expect(events.events.filter((e) => e.id === reply.id)).toHaveLength(1);
    thread.stop();
    await ws.dispose();
  }, 120_000);
});
