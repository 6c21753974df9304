// Webhook endpoints of the tenant: register a URL for some event kinds (the signing secret is shown
// once), turn it off or on, remove it, and read each endpoint's recent deliveries.
import { type FormEvent, useState } from "react";
import { useMutation, useQuery } from "urql";
import type { NotificationKind } from "../../../gql/graphql.ts";
import { useConfirm } from "../../components/ConfirmDialog.tsx";
import { CopyButton } from "../../components/CopyButton.tsx";
import { CheckboxField, TextField } from "../../components/Field.tsx";
import { Empty, ErrorNotice, FormStatus, QueryState } from "../../components/status.tsx";
import { TableScroll } from "../../components/TableScroll.tsx";
import { fieldErrors, formErrorMessage } from "../../lib/errors.ts";
import { useFormat } from "../../lib/preferences.tsx";
import {
  CreateWebhookEndpointMutation,
  DeleteWebhookEndpointMutation,
  UpdateWebhookEndpointMutation,
  WebhookEndpointsQuery,
} from "../notifications/queries.ts";

const KINDS: { kind: NotificationKind; label: string }[] = [
  { kind: "quota_threshold" as NotificationKind, label: "Quota passed its alert threshold" },
  { kind: "quota_exceeded" as NotificationKind, label: "Quota used up" },
  { kind: "analysis_finished" as NotificationKind, label: "Analysis finished" },
];

export function Webhooks() {
  const f = useFormat();
  const confirm = useConfirm();
  const [result, refetch] = useQuery({ query: WebhookEndpointsQuery });
  const [created, create] = useMutation(CreateWebhookEndpointMutation);
  const [updating, update] = useMutation(UpdateWebhookEndpointMutation);
  const [deleting, remove] = useMutation(DeleteWebhookEndpointMutation);
  const [url, setUrl] = useState("");
  const [kinds, setKinds] = useState<NotificationKind[]>(["quota_exceeded" as NotificationKind]);
  const [secret, setSecret] = useState<string | null>(null);
  const errors = fieldErrors(created.error);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await create({ url: url.trim(), eventTypes: kinds });
    if (r.data) {
      setSecret(r.data.createWebhookEndpoint.secret);
      setUrl("");
    }
  };
  return (
    <div className="card" id="webhooks">
      <h2>Webhooks</h2>
      <p className="muted">
        Events are POSTed as JSON and signed: verify the <code>Userplane-Signature</code> header (<code>t=…,v1=…</code>,
        HMAC-SHA256 of <code>t.body</code>) with the endpoint's secret. Failed deliveries are retried with growing
        waits.
      </p>
      {secret && (
        <div className="notice success" role="alert">
          <p>Endpoint added. Its signing secret is shown only now.</p>
          <code className="secret-value">{secret}</code> <CopyButton text={secret} label="Copy secret" />{" "}
          <button type="button" className="link" onClick={() => setSecret(null)}>
            Done
          </button>
        </div>
      )}
      <form onSubmit={submit} aria-label="Add a webhook endpoint">
        <TextField
          label="Endpoint URL"
          type="url"
          required
          maxLength={2048}
          placeholder="https://example.com/hooks/userplane"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          error={errors.url}
        />
        <fieldset className="row wrap">
          <legend>Events</legend>
          {KINDS.map((k) => (
            <CheckboxField
              key={k.kind}
              label={k.label}
              checked={kinds.includes(k.kind)}
              onChange={(e) => setKinds((s) => (e.target.checked ? [...s, k.kind] : s.filter((x) => x !== k.kind)))}
            />
          ))}
        </fieldset>
        <button type="submit" className="primary" disabled={created.fetching || kinds.length === 0}>
          Add endpoint
        </button>
      </form>
      <FormStatus error={formErrorMessage(created.error)} />
      {(updating.error || deleting.error) && <ErrorNotice error={(updating.error ?? deleting.error)!} />}
      <QueryState result={result} retry={refetch}>
        {(data) =>
          data.webhookEndpoints.edges.length === 0 ? (
            <Empty>No webhook endpoints yet.</Empty>
          ) : (
            data.webhookEndpoints.edges.map(({ node: ep }) => (
              <article key={ep.id} className="webhook" aria-label={ep.url}>
                <div className="row wrap">
                  <h3 className="webhook-url">{ep.url}</h3>
                  <span className="badge">{ep.active ? "On" : "Off"}</span>
                  <span className="spacer" />
                  <button type="button" onClick={() => update({ id: ep.id, active: !ep.active })}>
                    {ep.active ? "Turn off" : "Turn on"}
                  </button>
                  <button
                    type="button"
                    className="danger"
                    onClick={async () => {
                      const ok = await confirm({
                        title: "Remove this endpoint?",
                        description: `${ep.url} gets no more events, and its delivery log goes too.`,
                        confirmLabel: "Remove endpoint",
                        danger: true,
                      });
                      if (ok) await remove({ id: ep.id });
                    }}
                  >
                    Remove
                  </button>
                </div>
                <p className="muted">
                  {ep.eventTypes.map((k) => KINDS.find((x) => x.kind === k)?.label ?? k).join(", ")}
                </p>
                {ep.deliveries.edges.length === 0 ? (
                  <Empty>No deliveries yet.</Empty>
                ) : (
                  <TableScroll label={`Deliveries to ${ep.url}`}>
                    <table>
                      <thead>
                        <tr>
                          <th scope="col">Event</th>
                          <th scope="col">Created</th>
                          <th scope="col">Status</th>
                          <th scope="col">Attempts</th>
                          <th scope="col">Last answer</th>
                        </tr>
                      </thead>
                      <tbody>
                        {ep.deliveries.edges.map(({ node: d }) => (
                          <tr key={d.id}>
                            <td>{KINDS.find((x) => x.kind === d.event)?.label ?? d.event}</td>
                            <td>{f.dateTime(d.createdAt)}</td>
                            <td>
                              {d.status === "delivered" && d.deliveredAt
                                ? `Delivered ${f.dateTime(d.deliveredAt)}`
                                : d.status === "pending" && d.nextAttemptAt
                                  ? `Next try ${f.dateTime(d.nextAttemptAt)}`
                                  : d.status}
                            </td>
                            <td>{d.attempts}</td>
                            <td className="wrap-anywhere">
                              {d.lastStatusCode ?? ""} {d.lastError ?? ""}
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </TableScroll>
                )}
              </article>
            ))
          )
        }
      </QueryState>
    </div>
  );
}
