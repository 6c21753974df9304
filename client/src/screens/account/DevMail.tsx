// /dev/mail: the dev outbox (mail kept instead of sent when the server has no SMTP_URL), so every
// mailed link can be followed offline. The server answers 404 when mail really goes out.
import { useEffect, useState } from "react";

interface OutboxMail {
  to: string;
  subject: string;
  text: string;
  links: string[];
  createdAt: string;
}

export function DevMailScreen() {
  const [mail, setMail] = useState<OutboxMail[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let live = true;
    fetch(`/dev/mail.json?r=${reload}`)
      .then(async (r) => {
        if (r.status === 404) throw new Error("This server sends mail through SMTP, so there is no dev outbox.");
        if (!r.ok) throw new Error(`The outbox could not be read (HTTP ${r.status}).`);
        return (await r.json()) as OutboxMail[];
      })
      .then((m) => {
        if (!live) return;
        setMail(m);
        setError(null);
      })
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [reload]);

  return (
    <main className="auth wide">
      <h1>Dev outbox</h1>
      <p>Mail the server would have sent, newest first. Follow a link to finish the flow.</p>
      <button type="button" onClick={() => setReload((n) => n + 1)}>
        Refresh
      </button>
      {error && (
        <div className="notice error" role="alert">
          {error}
        </div>
      )}
      {mail?.length === 0 && <p>No mail yet.</p>}
      <ol className="outbox">
        {mail?.map((m) => (
          <li key={`${m.createdAt}-${m.to}-${m.subject}`}>
            <article aria-label={`${m.subject} to ${m.to}`}>
              <h2>{m.subject}</h2>
              <p>
                To <strong>{m.to}</strong> ·{" "}
                <time dateTime={m.createdAt}>{new Date(m.createdAt).toLocaleString()}</time>
              </p>
              <pre>{m.text}</pre>
              {m.links.map((l) => (
                <p key={l}>
                  <a href={l}>{l}</a>
                </p>
              ))}
            </article>
          </li>
        ))}
      </ol>
    </main>
  );
}
