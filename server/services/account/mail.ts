// Outgoing mail. With SMTP_URL, through that server (nodemailer). Without it, outside production,
// into the dev outbox table (listed at /dev/mail), so every flow can be finished offline. In
// production without SMTP_URL the app refuses to start: mail that silently goes nowhere would
// lock users out of password resets.
import type * as Nodemailer from "nodemailer";
import type { Config } from "../../config.ts";
import { ConfigError } from "../../config.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { Logger } from "../../logger.ts";
import { requireOnUse } from "../../require-on-use.ts";

export interface Mail {
  to: string;
  subject: string;
  /** Plain text; every link in it is also listed in `links`. */
  text: string;
  links: string[];
}

export interface Mailer {
  /** Whether mail goes to the dev outbox rather than an SMTP server. */
  readonly outbox: boolean;
  /** Delivers; a failure is logged, not thrown (the user can ask again). */
  send(mail: Mail): Promise<void>;
  /**
   * Runs `work` (which may send) in the background: the caller answers at once, so how long a
   * request takes never tells whether mail went out (and so whether an account exists).
   */
  later(work: () => Promise<unknown>): void;
  /** Resolves when every send and background task begun so far has finished (tests, shutdown). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** Checked first at start-up, before the database is opened. */
export function assertMailConfigured(config: Pick<Config, "SMTP_URL" | "NODE_ENV">) {
  if (!config.SMTP_URL && config.NODE_ENV === "production")
    throw new ConfigError(
      "Invalid configuration:\n  SMTP_URL: is required in production (mail such as password resets must be delivered)",
    );
}

export function createMailer(config: Config, prisma: PrismaClient, logger: Logger): Mailer {
  assertMailConfigured(config);
  const smtpUrl = config.SMTP_URL;
  // Made with the first mail: most starts send none.
  let transport: Nodemailer.Transporter | null = null;
  const smtp = (url: string) => (transport ??= (requireOnUse("nodemailer") as typeof Nodemailer).createTransport(url));
  const pending = new Set<Promise<unknown>>();

  async function deliver(mail: Mail) {
    if (smtpUrl)
      await smtp(smtpUrl).sendMail({ from: config.MAIL_FROM, to: mail.to, subject: mail.subject, text: mail.text });
    else await prisma.outboxMail.create({ data: mail });
  }

  function track(work: () => Promise<unknown>): Promise<void> {
    const p: Promise<void> = work()
      .then(() => undefined)
      .catch((err: unknown) => logger.error({ err }, "mail task failed"))
      .finally(() => pending.delete(p));
    pending.add(p);
    return p;
  }

  return {
    outbox: !smtpUrl,
    send: (mail) => track(() => deliver(mail)),
    later: (work) => void track(work),
    async settled() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
    async close() {
      await this.settled();
      transport?.close();
    },
  };
}

/** The dev outbox, newest first. */
export async function listOutbox(prisma: PrismaClient, limit = 100) {
  const rows = await prisma.outboxMail.findMany({ orderBy: { createdAt: "desc" }, take: limit });
  return rows.map((r) => ({ to: r.to, subject: r.subject, text: r.text, links: r.links, createdAt: r.createdAt }));
}
