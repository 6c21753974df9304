// Alerts that reach people: a quota crossing its alert threshold, charged concurrently, is one
// notification per admin, one mail through a real SMTP server and one signed webhook delivery to a
// real local HTTP server, which refuses the first attempt and takes the retry; the unread count is
// live; and every new type, field and mutation refuses other users and tenants.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { App } from "../../server/app.ts";
import { transact } from "../../server/live/changes.ts";
import { postJson } from "../../server/services/notifications/http-post.ts";
import { verify } from "../../server/services/notifications/signing.ts";
import { checkUrl } from "../../server/services/notifications/webhooks.ts";
import { consumeQuota } from "../../server/services/quota.ts";
import {
  codeOf,
  createApiKey,
  createMember,
  createOwner,
  createTestApp,
  dbKind,
  type Execute,
  executor,
  ok,
} from "../kit.ts";
import { connect } from "../support/analysis.ts";
import { fakePng, upload } from "../support/files.ts";
import { live } from "../support/live.ts";
import { startSmtp, type TestSmtp } from "../support/smtp.ts";

interface Hit {
  body: string;
  headers: IncomingMessage["headers"];
  status: number;
}

let app: App;
let exec: Execute;
let url: string;
let smtp: TestSmtp;
let hooks: Server;
let hookUrl: string;
const hits: Hit[] = [];

beforeAll(async () => {
  smtp = await startSmtp();
  // The receiver fails every first attempt of a delivery, then takes it.
  const seen = new Set<string>();
  hooks = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const id = String(req.headers["userplane-delivery"]);
      const status = seen.has(id) ? 200 : 503;
      seen.add(id);
      hits.push({ body: Buffer.concat(chunks).toString("utf8"), headers: req.headers, status });
      res.writeHead(status).end(status === 200 ? "ok" : "busy");
    });
  });
  await new Promise<void>((r) => hooks.listen(0, "127.0.0.1", r));
  hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hooks`;
  app = await createTestApp({
    config: {
      SMTP_URL: smtp.url,
      APP_URL: "http://app.test",
      LIVE_THROTTLE_MS: "10",
      // The retry waits what the queue needs and no more: 1 s, seen within one poll.
      WEBHOOK_RETRY_DELAY_SECONDS: "1",
      JOB_POLL_SECONDS: "0.5",
      WEBHOOK_ALLOW_PRIVATE: "true",
    },
  });
  exec = executor(app);
  url = (await app.start()).url;
});
afterAll(async () => {
  await app?.stop();
  await smtp?.stop();
  await new Promise((r) => hooks?.close(r));
});

const nodesOf = (d: { notifications: { edges: { node: any }[] } }) => d.notifications.edges.map((e) => e.node);
const NOTIFICATIONS = `{ notifications(first: 20) { edges { node { id kind title read data } } } unreadNotificationCount }`;

describe(`notifications and webhooks (${dbKind})`, () => {
  it("a threshold crossing, charged concurrently, is one notification, one mail and one signed delivery retried once", async () => {
    const admin = await createOwner(exec, "Admin");
    const member = await createMember(exec, admin, "Member");
    const created = await ok(
      exec,
      `mutation($u: String!) { createWebhookEndpoint(url: $u, eventTypes: [quota_threshold]) { secret endpoint { id url active } } }`,
      { u: hookUrl },
      admin.token,
    );
    const { secret, endpoint } = created.createWebhookEndpoint;
    expect(secret).toMatch(/^whsec_/);
    await ok(
      exec,
      `mutation { setQuota(quotaType: tokens, quotaLimit: 100, alertThresholdPercentage: 80) { id } }`,
      {},
      admin.token,
    );

    const bell = live(connect(url, admin.token), `query Bell @live { unreadNotificationCount }`);
    await bell.until((d) => d.unreadNotificationCount === 0);

    // Nine charges of 9 at once: 81 of 100, past 80% once, and never used up.
    await Promise.all(
      Array.from({ length: 9 }, () =>
        transact(app.db.prisma, async (tx, note) => note(...(await consumeQuota(tx, admin.tenantId, "tokens", 9)))),
      ),
    );
    await bell.until((d) => d.unreadNotificationCount === 1);

    const mine = await ok(exec, NOTIFICATIONS, {}, admin.token);
    expect(mine.unreadNotificationCount).toBe(1);
    const [note] = mine.notifications.edges.map((e: { node: unknown }) => e.node);
    expect(note).toMatchObject({ kind: "quota_threshold", read: false, data: { usage: 81, limit: 100 } });
    expect((await ok(exec, NOTIFICATIONS, {}, member.token)).unreadNotificationCount).toBe(0);

    const mail = await smtp.next(admin.email, /tokens quota passed 80%/);
    expect(mail.links).toContain("http://app.test/notifications");

    const delivered = await vi.waitFor(
      async () => {
        const d = await ok(
          exec,
          `query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { deliveries(first: 5) { edges { node { id status attempts lastStatusCode event } } } } } }`,
          { id: endpoint.id },
          admin.token,
        );
        const edges = d.node.deliveries.edges;
        expect(edges).toHaveLength(1);
        expect(edges[0].node.status).toBe("delivered");
        return edges[0].node;
      },
      { timeout: 60_000, interval: 200 },
    );
    expect(delivered).toMatchObject({ attempts: 2, lastStatusCode: 200, event: "quota_threshold" });
    const mineHits = hits.filter((h) => JSON.parse(h.body).data?.usage === 81);
    expect(mineHits.map((h) => h.status)).toEqual([503, 200]);
    for (const h of mineHits) {
      const header = String(h.headers["userplane-signature"]);
      expect(verify(secret, h.body, header, Math.floor(Date.now() / 1000))).toBe(true);
      expect(verify("whsec_wrong", h.body, header, Math.floor(Date.now() / 1000))).toBe(false);
      expect(verify(secret, `${h.body} `, header, Math.floor(Date.now() / 1000))).toBe(false);
    }
    expect(JSON.parse(mineHits[0]?.body ?? "{}")).toMatchObject({
      type: "quota_threshold",
      data: { quotaType: "tokens" },
    });

    // Still exactly one of each once the queue is idle: the mail job ran once.
    await app.services.mailer.settled();
    // Sign-up mailed a verification link too; only quota mail counts here.
    expect(smtp.received.filter((m) => m.to.includes(admin.email) && /quota/.test(m.subject))).toHaveLength(1);
    expect(await app.db.prisma.notification.count({ where: { tenantId: admin.tenantId } })).toBe(1);

    // Read: the live count follows.
    await ok(exec, `mutation($id: ID!) { markNotificationRead(id: $id) { id read } }`, { id: note.id }, admin.token);
    await bell.until((d) => d.unreadNotificationCount === 0);
    bell.stop();
  }, 120_000);

  it("every meter alerts the same way: api_calls flushed, storage bytes uploaded, seats taken", async () => {
    const admin = await createOwner(exec, "Meters");
    const set = (type: string, limit: number) =>
      ok(
        exec,
        `mutation { setQuota(quotaType: ${type}, quotaLimit: ${limit}, alertThresholdPercentage: 50) { id } }`,
        {},
        admin.token,
      );
    await set("api_calls", 10);
    await set("storage_gb", 10_000);
    await set("users", 2);
    const kinds = async () =>
      nodesOf(await ok(exec, NOTIFICATIONS, {}, admin.token))
        .map((n) => `${n.kind}:${n.data.quotaType}`)
        .sort();

    // Six calls of a key are counted in memory; the flush carries the level past 50% once.
    const key = await createApiKey(exec, admin, ["READ_PROFILE"]);
    for (let i = 0; i < 6; i++) await ok(exec, `{ me { id } }`, {}, key);
    await app.services.apiMeter.flush();
    await app.services.apiMeter.flush();
    // 6,000 of 10,000 bytes: past the threshold, not used up.
    const stored = await upload(url.replace(/\/graphql$/, ""), fakePng(6_000), "half.png", { token: admin.token });
    expect(stored.errors).toBeUndefined();
    // The second member takes the second of two seats: the quota is used up.
    await createMember(exec, admin, "Second");

    expect(await kinds()).toEqual(["quota_exceeded:users", "quota_threshold:api_calls", "quota_threshold:storage_gb"]);
  });

  it("a finished analysis tells its owner alone, in the list and on the notifications subscription", async () => {
    const admin = await createOwner(exec, "Boss");
    const owner = await createMember(exec, admin, "Analyst");
    const ownerWs = connect(url, owner.token);
    const adminWs = connect(url, admin.token);
    const mineLive = live(ownerWs, `subscription { notifications { id kind title data } }`);
    const adminLive = live(adminWs, `subscription { notifications { id kind } }`);
    // A live query sent after each subscription on the same socket: once it answers, the
    // subscription before it is in place.
    for (const ws of [ownerWs, adminWs])
      await live(ws, `query @live { unreadNotificationCount }`).until((d) => d.unreadNotificationCount === 0);
    await ok(
      exec,
      `mutation { importContent(source: text, items: [{ text: "A quiet day at the lab." }]) { __typename } }`,
      {},
      owner.token,
    );
    const run = (await ok(exec, `mutation { startAnalysis { id } }`, {}, owner.token)).startAnalysis.id;
    const [event] = await mineLive.until((d) => d.notifications.length > 0).then((d) => d.notifications);
    expect(event).toMatchObject({ kind: "analysis_finished", title: "Your analysis is ready", data: { runId: run } });
    const list = await ok(exec, NOTIFICATIONS, {}, owner.token);
    expect(list.notifications.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([event.id]);
    expect(adminLive.results).toEqual([]);
    expect((await ok(exec, NOTIFICATIONS, {}, admin.token)).notifications.edges).toEqual([]);
    mineLive.stop();
    adminLive.stop();
  }, 120_000);

  it("the user's notification settings turn mail off; the app still shows it", async () => {
    const admin = await createOwner(exec, "Quiet");
    await app.db.prisma.profile.update({
      where: { userId: admin.userId },
      data: { notificationSettings: { email: false, in_app: true } },
    });
    await ok(exec, `mutation { setQuota(quotaType: tokens, quotaLimit: 10) { id } }`, {}, admin.token);
    await transact(app.db.prisma, async (tx, note) => note(...(await consumeQuota(tx, admin.tenantId, "tokens", 10))));
    const notification = () =>
      app.db.prisma.notification.findFirst({ where: { userId: admin.userId, kind: "quota_exceeded" } });
    await expect.poll(async () => (await notification())?.mailedAt).toBeTruthy();
    expect((await notification())?.title).toMatch(/used up/);
    await app.services.mailer.settled();
    expect(smtp.received.filter((m) => m.to.includes(admin.email) && /quota/.test(m.subject))).toHaveLength(0);
  });

  it("refuses other users, other tenants and non-admins at every door", async () => {
    const admin = await createOwner(exec, "A");
    const member = await createMember(exec, admin, "M");
    const other = await createOwner(exec, "O");
    const note = await app.db.prisma.notification.create({
      data: {
        userId: admin.userId,
        tenantId: admin.tenantId,
        kind: "analysis_finished",
        title: "t",
        body: "b",
        dedupeKey: "x",
      },
    });
    const noteId = Buffer.from(`Notification:${note.id}`).toString("base64");
    const ep = (
      await ok(
        exec,
        `mutation { createWebhookEndpoint(url: "https://hooks.example.test/a", eventTypes: [analysis_finished]) { endpoint { id } } }`,
        {},
        admin.token,
      )
    ).createWebhookEndpoint.endpoint.id;
    const epRow = await app.db.prisma.webhookEndpoint.findFirstOrThrow({ where: { tenantId: admin.tenantId } });
    const d = await app.db.prisma.webhookDelivery.create({
      data: { endpointId: epRow.id, tenantId: admin.tenantId, event: "analysis_finished", eventId: "x", payload: {} },
    });
    const deliveryId = Buffer.from(`WebhookDelivery:${d.id}`).toString("base64");

    for (const token of [member.token, other.token, null]) {
      const byNode = await exec(`query($id: ID!) { node(id: $id) { id } }`, { id: noteId }, token);
      expect(byNode.data?.node ?? null).toBeNull();
      const list = await exec(NOTIFICATIONS, {}, token);
      expect(JSON.stringify(list.data ?? {})).not.toContain(noteId);
      const mark = await exec(`mutation($id: ID!) { markNotificationRead(id: $id) { id } }`, { id: noteId }, token);
      expect(codeOf(mark)).toBe(token ? "NOT_FOUND" : "UNAUTHENTICATED");
      for (const id of [ep, deliveryId]) {
        const r = await exec(`query($id: ID!) { node(id: $id) { id } }`, { id }, token);
        expect(r.data?.node ?? null).toBeNull();
      }
    }
    // Marking all read touches only mine.
    expect((await ok(exec, `mutation { markAllNotificationsRead }`, {}, member.token)).markAllNotificationsRead).toBe(
      0,
    );
    expect((await app.db.prisma.notification.findUniqueOrThrow({ where: { id: note.id } })).readAt).toBeNull();

    // Non-admins: no endpoints, no log, no changes.
    expect(codeOf(await exec(`{ webhookEndpoints { edges { node { id } } } }`, {}, member.token))).toBe("FORBIDDEN");
    expect(
      codeOf(
        await exec(
          `mutation { createWebhookEndpoint(url: "https://x.example.test", eventTypes: [quota_exceeded]) { secret } }`,
          {},
          member.token,
        ),
      ),
    ).toBe("FORBIDDEN");
    for (const m of [
      `mutation($id: ID!) { updateWebhookEndpoint(id: $id, active: false) { id } }`,
      `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`,
    ]) {
      expect(codeOf(await exec(m, { id: ep }, member.token))).toBe("FORBIDDEN");
      // Another tenant's admin is told it does not exist.
      expect(codeOf(await exec(m, { id: ep }, other.token))).toBe("NOT_FOUND");
    }
    expect(
      (await ok(exec, `{ webhookEndpoints { edges { node { id } } } }`, {}, other.token)).webhookEndpoints.edges,
    ).toEqual([]);
    expect(await app.db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: epRow.id } })).toMatchObject({
      active: true,
    });
  });

  it("refuses URLs that are not http(s), and private addresses when they are not allowed", async () => {
    const admin = await createOwner(exec, "U");
    for (const u of ["ftp://example.test/x", "javascript:alert(1)", "not a url", "https://user:pw@example.test/"]) {
      const r = await exec(
        `mutation($u: String!) { createWebhookEndpoint(url: $u, eventTypes: [quota_exceeded]) { secret } }`,
        { u },
        admin.token,
      );
      expect(codeOf(r), u).toBe("BAD_USER_INPUT");
    }
    for (const u of [
      "http://127.0.0.1/",
      "http://localhost:8080/",
      "http://10.1.2.3/",
      "http://[::1]/",
      "http://169.254.169.254/",
    ])
      expect(() => checkUrl(u, false), u).toThrow(/Private/);
    expect(checkUrl("https://hooks.example.com/in", false)).toBe("https://hooks.example.com/in");
    // A name that resolves to loopback is refused when dialled, not only when saved.
    const r = await postJson(
      hookUrl.replace("127.0.0.1", "localhost"),
      "{}",
      {},
      {
        timeoutMs: 2000,
        maxResponseBytes: 100,
        allowPrivate: false,
      },
    );
    expect(r.status).toBeNull();
    expect(r.error).toMatch(/private address/);
  });
});
