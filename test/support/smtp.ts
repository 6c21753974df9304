// A real SMTP server for tests (smtp-server, kept by nodemailer's authors) on a loopback port:
// the app's nodemailer speaks real SMTP to it, and each message is parsed with mailparser.
// Waiting for mail is event-driven, never a sleep.
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { freePort } from "./services.ts";

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  links: string[];
}

export interface TestSmtp {
  url: string;
  received: ReceivedMail[];
  /** The first mail to `to` whose subject matches, received already or later. */
  next(to: string, subject: RegExp): Promise<ReceivedMail>;
  stop(): Promise<void>;
}

export async function startSmtp(): Promise<TestSmtp> {
  const received: ReceivedMail[] = [];
  const waiters: { match: (m: ReceivedMail) => boolean; resolve: (m: ReceivedMail) => void }[] = [];
  const taken = new Set<ReceivedMail>();
  const take = (match: (m: ReceivedMail) => boolean) => {
    const m = received.find((r) => !taken.has(r) && match(r));
    if (m) taken.add(m);
    return m;
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const text = parsed.text ?? "";
          const to = Array.isArray(parsed.to) ? parsed.to[0]?.text : parsed.to?.text;
          const mail = {
            to: to ?? "",
            subject: parsed.subject ?? "",
            text,
            links: text.match(/https?:\/\/\S+/g) ?? [],
          };
          received.push(mail);
          for (const w of [...waiters]) {
            if (!w.match(mail) || taken.has(mail)) continue;
            taken.add(mail);
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(mail);
          }
          callback();
        })
        .catch(callback);
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  // A sink never keeps a process alive by itself (benches end when their work does).
  server.server.unref();
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    next(to, subject) {
      const match = (m: ReceivedMail) => m.to === to && subject.test(m.subject);
      const found = take(match);
      return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ match, resolve }));
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
