// Deliveries nobody is retrying any more (their job was lost: an instance died mid-send, a change
// event was never heard) are queued again by the sweep, and every attempt claims its delivery, so
// the sweep, a duplicate job and concurrent attempts never POST one delivery twice. Checked against
// a real local HTTP receiver.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { App } from "../../server/app.ts";
import { createSecretBox, sealLegacyWebhookSecrets } from "../../server/services/account/secret-box.ts";
import { verify } from "../../server/services/notifications/signing.ts";
import { createOwner, createTestApp, dbKind, type Execute, executor, ok, type TestUser } from "../kit.ts";

interface Hit {
  body: string;
  headers: IncomingMessage["headers"];
}

let app: App;
let exec: Execute;
let hooks: Server;
let hookUrl: string;
const hits: Hit[] = [];
const hitsOf = (id: string) => hits.filter((h) => h.headers["userplane-delivery"] === id);

beforeAll(async () => {
  hooks = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      hits.push({ body: Buffer.concat(chunks).toString("utf8"), headers: req.headers });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => hooks.listen(0, "127.0.0.1", r));
  hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hooks`;
  app = await createTestApp({
    config: { WEBHOOK_ALLOW_PRIVATE: "true", JOB_POLL_SECONDS: "0.5", WEBHOOK_SWEEP_CRON: "off" },
  });
  exec = executor(app);
  await app.start();
});
afterAll(async () => {
  await app?.stop();
  await new Promise((r) => hooks?.close(r));
});

async function endpointOf(admin: TestUser): Promise<{ id: string; secret: string }> {
  const d = await ok(
    exec,
    `mutation($u: String!) { createWebhookEndpoint(url: $u, eventTypes: [quota_exceeded]) { secret endpoint { id } } }`,
    { u: hookUrl },
    admin.token,
  );
  const row = await app.db.prisma.webhookEndpoint.findFirstOrThrow({ where: { tenantId: admin.tenantId } });
  return { id: row.id, secret: d.createWebhookEndpoint.secret };
}

/** A delivery as a lost job leaves it: pending, one attempt made, its next attempt `at`. */
const plant = (admin: TestUser, endpointId: string, at: Date, status: "pending" | "delivered" = "pending") =>
  app.db.prisma.webhookDelivery.create({
    data: {
      endpointId,
      tenantId: admin.tenantId,
      event: "quota_exceeded",
      eventId: `planted:${randomUUID()}`,
      payload: { type: "quota_exceeded", createdAt: new Date().toISOString(), data: { planted: true } },
      status,
      attempts: 1,
      nextAttemptAt: at,
    },
  });

describe(`the webhook delivery sweep (${dbKind})`, () => {
  it("queues overdue pending deliveries again, once; leaves live attempts and finished ones alone", async () => {
    const admin = await createOwner(exec, "Sweep");
    const endpoint = await endpointOf(admin);
    const hourAgo = new Date(Date.now() - 3_600_000);
    const lost = await plant(admin, endpoint.id, hourAgo);
    // Another instance is sending this one now: its claim put the next attempt a lease ahead.
    const inFlight = await plant(admin, endpoint.id, new Date(Date.now() + 60_000));
    const done = await plant(admin, endpoint.id, hourAgo, "delivered");

    const queued = await app.services.notifications.sweep();
    expect(queued).toContain(lost.id);
    expect(queued).not.toContain(inFlight.id);
    expect(queued).not.toContain(done.id);

    const delivered = await vi.waitFor(
      async () => {
        const row = await app.db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: lost.id } });
        expect(row.status).toBe("delivered");
        return row;
      },
      { timeout: 60_000, interval: 200 },
    );
    expect(delivered).toMatchObject({ attempts: 2, lastStatusCode: 200, nextAttemptAt: null });
    const [hit] = hitsOf(lost.id);
    expect(hitsOf(lost.id)).toHaveLength(1);
    expect(
      verify(endpoint.secret, hit?.body ?? "", String(hit?.headers["userplane-signature"]), Date.now() / 1000),
    ).toBe(true);
    expect(JSON.parse(hit?.body ?? "{}")).toMatchObject({
      id: lost.id,
      type: "quota_exceeded",
      data: { planted: true },
    });

    // Idempotent: a second sweep finds nothing of these, and a late duplicate job posts nothing.
    const again = await app.services.notifications.sweep();
    expect(again).not.toContain(lost.id);
    await app.services.notifications.deliver(lost.id);
    await app.services.notifications.deliver(inFlight.id);
    expect(hitsOf(lost.id)).toHaveLength(1);
    expect(hitsOf(inFlight.id)).toHaveLength(0);
    expect((await app.db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: inFlight.id } })).attempts).toBe(1);
  }, 120_000);

  it("two attempts at one delivery at once post it once", async () => {
    const admin = await createOwner(exec, "Twice");
    const endpoint = await endpointOf(admin);
    const lost = await plant(admin, endpoint.id, new Date(Date.now() - 3_600_000));
    await Promise.all([
      app.services.notifications.deliver(lost.id),
      app.services.notifications.deliver(lost.id),
      app.services.notifications.deliver(lost.id),
    ]);
    expect(hitsOf(lost.id)).toHaveLength(1);
    expect(await app.db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: lost.id } })).toMatchObject({
      status: "delivered",
      attempts: 2,
    });
  });
});

describe(`webhook signing secrets at rest (${dbKind})`, () => {
  const signedWith = (secret: string, id: string) => {
    const [hit] = hitsOf(id);
    return verify(secret, hit?.body ?? "", String(hit?.headers["userplane-signature"]), Date.now() / 1000);
  };

  it("are stored sealed, shown once at creation and rotation, and sign with what was shown", async () => {
    const admin = await createOwner(exec, "Sealed");
    const endpoint = await endpointOf(admin);
    const stored = await app.db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
    expect(stored.secret.startsWith("enc1:")).toBe(true);
    expect(stored.secret).not.toContain(endpoint.secret);

    const first = await plant(admin, endpoint.id, new Date(Date.now() - 3_600_000));
    await app.services.notifications.deliver(first.id);
    expect(signedWith(endpoint.secret, first.id)).toBe(true);

    const gid = (await ok(exec, `{ webhookEndpoints(first: 5) { edges { node { id } } } }`, {}, admin.token))
      .webhookEndpoints.edges[0].node.id;
    const rotated = await ok(
      exec,
      `mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { id } } }`,
      { id: gid },
      admin.token,
    );
    const fresh = rotated.rotateWebhookSecret.secret as string;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(endpoint.secret);
    const second = await plant(admin, endpoint.id, new Date(Date.now() - 3_600_000));
    await app.services.notifications.deliver(second.id);
    expect(signedWith(fresh, second.id)).toBe(true);
    expect(signedWith(endpoint.secret, second.id)).toBe(false);

    // Another tenant's admin cannot rotate it.
    const stranger = await createOwner(exec, "Stranger");
    const refused = await exec(
      `mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`,
      { id: gid },
      stranger.token,
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  it("a secret stored in plain text before sealing is sealed at start-up and still signs", async () => {
    const admin = await createOwner(exec, "Legacy");
    const endpoint = await endpointOf(admin);
    const plain = "whsec_stored_before_sealing_existed";
    await app.db.prisma.webhookEndpoint.update({ where: { id: endpoint.id }, data: { secret: plain } });
    const box = createSecretBox(app.config.totpKey);
    expect(await sealLegacyWebhookSecrets(app.db.prisma, box)).toBeGreaterThanOrEqual(1);
    const stored = await app.db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
    expect(stored.secret.startsWith("enc1:")).toBe(true);
    expect(box.open(stored.secret, `webhook:${endpoint.id}`)).toBe(plain);
    // Sealed to its own row: the same value on another endpoint does not open.
    expect(() => box.open(stored.secret, "webhook:00000000-0000-0000-0000-000000000000")).toThrow();

    const d = await plant(admin, endpoint.id, new Date(Date.now() - 3_600_000));
    await app.services.notifications.deliver(d.id);
    expect(signedWith(plain, d.id)).toBe(true);
  });
});
