// A published event is executed once for the subscribers who would get the same answer (same
// document, variables and viewer), never shared between viewers, never handed to a viewer whose
// access ended; the access log still has each subscriber's read, as when each executed its own.
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { App } from "../../server/app.ts";
import { sharedResultCounts } from "../../server/live/shared-results.ts";
import { createApiKey, createOwner, createTestApp, dbKind, type Execute, executor, ok } from "../kit.ts";
import { type WsClient, watch, wsUrl } from "../support/analysis.ts";
import { EVENTS, type PostedMessage, post, startConversation, untilSubscribed } from "../support/conversations.ts";

let app: App;
let exec: Execute;
let url: string;

beforeAll(async () => {
  app = await createTestApp();
  exec = executor(app);
  url = (await app.start()).url;
});
afterAll(() => app?.stop());

/** A graphql-ws client on its own socket, with a user agent of its own (it shows in the access log). */
function connectAs(token: string, userAgent: string): WsClient {
  let onClosed: (code: number) => void = () => {};
  const closed = new Promise<number>((r) => {
    onClosed = r;
  });
  const client = createClient({
    url: wsUrl(url),
    webSocketImpl: class extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers: { "user-agent": userAgent } });
      }
    },
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: true,
    on: { closed: (e) => onClosed((e as { code: number }).code) },
  });
  return { client, closed, dispose: () => client.dispose() as Promise<void> };
}

const counts = () => ({ ...sharedResultCounts });

describe(`shared subscription results (${dbKind})`, () => {
  it("shares one execution per viewer, none across viewers, and none with a viewer whose access ended", async () => {
    const owner = await createOwner(exec, "Sharer");
    const key = await createApiKey(exec, owner, ["READ_CONVERSATIONS", "WRITE_CONVERSATIONS"]);
    const id = await startConversation(exec, owner.token);
    const other = await createOwner(exec, "Outsider");

    const sockets = {
      session1: connectAs(owner.token, "session-1"),
      session2: connectAs(owner.token, "session-2"),
      key1: connectAs(key, "key-1"),
      key2: connectAs(key, "key-2"),
    };
    const streams = Object.fromEntries(
      Object.entries(sockets).map(([name, socket]) => [name, watch<PostedMessage>(socket, EVENTS, { id })]),
    ) as Record<keyof typeof sockets, ReturnType<typeof watch<PostedMessage>>>;
    for (const s of Object.values(streams)) await untilSubscribed(exec, owner.token, id, s);
    // Someone else's conversation: refused at the start, and never sent a message after.
    const outsider = connectAs(other.token, "outsider");
    const refused = watch<PostedMessage>(outsider, EVENTS, { id });
    await expect(refused.done).rejects.toThrow(/NOT_FOUND|FORBIDDEN/);

    // Everything posted so far has reached everyone: what follows is counted alone.
    await post(exec, owner.token, id, "in step");
    await Promise.all(Object.values(streams).map((s) => s.until((e) => e.content === "in step")));
    const before = counts();
    const sent = await post(exec, owner.token, id, "once per viewer");
    const got = await Promise.all(Object.values(streams).map((s) => s.until((e) => e.content === "once per viewer")));
    expect(got[0]?.id).toBe(sent.id);
    for (const g of got) expect(g).toEqual(got[0]);
    // Two viewers (the session, the key), two executions; each second socket of a viewer reused one.
    expect(sharedResultCounts.executed - before.executed).toBe(2);
    expect(sharedResultCounts.reused - before.reused).toBe(2);
    expect(refused.events).toEqual([]);

    // Each key subscription is a request of the key's: one entry each, as without sharing.
    await app.services.accessLog.flush();
    const entries = await app.db.prisma.dataAccessLog.findMany({
      where: { resources: { has: "Message" }, operationType: "subscription", actorKind: "api_key" },
    });
    expect(entries.map((e) => e.userAgent).sort()).toEqual(["key-1", "key-2"]);

    // The key is revoked: its sockets close, and the session's result is not handed to them.
    const keys = await ok(exec, `{ apiKeys { edges { node { id } } } }`, {}, owner.token);
    await ok(
      exec,
      `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
      { id: keys.apiKeys.edges[0].node.id },
      owner.token,
    );
    expect(await sockets.key1.closed).toBe(4401);
    expect(await sockets.key2.closed).toBe(4401);
    const afterRevoke = counts();
    await post(exec, owner.token, id, "after the key");
    await Promise.all([streams.session1, streams.session2].map((s) => s.until((e) => e.content === "after the key")));
    expect(sharedResultCounts.executed - afterRevoke.executed).toBe(1);
    expect(sharedResultCounts.reused - afterRevoke.reused).toBe(1);
    for (const s of [streams.key1, streams.key2])
      expect(s.events.some((e) => e.content === "after the key")).toBe(false);

    await Promise.all([sockets.session1.dispose(), sockets.session2.dispose(), outsider.dispose()]);
  });
});
