// GET /dev/mail.json: the dev outbox, newest first. Only when mail goes to the outbox, which is
// never in production (see services/account/mail.ts); otherwise the path does not exist.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { listOutbox, type Mailer } from "../services/account/mail.ts";

export function createDevMailHandler(mailer: Mailer, prisma: PrismaClient) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/dev/mail.json" || !mailer.outbox) return false;
    if (req.method !== "GET") {
      res.writeHead(405, { allow: "GET" }).end();
      return true;
    }
    void listOutbox(prisma)
      .then((mail) => {
        res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
        res.end(JSON.stringify(mail));
      })
      .catch(() => {
        res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: "outbox unreadable" }));
      });
    return true;
  };
}
