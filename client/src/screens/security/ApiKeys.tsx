// API keys for external tools: create one (its secret shown once), see and revoke them.
import { type FormEvent, useState } from "react";
import { toast } from "sonner";
import { useMutation, useQuery } from "urql";
import type { ApiScope } from "../../../gql/graphql.ts";
import { type FragmentType, getFragmentData, graphql } from "../../../gql/index.ts";
import { useConfirm } from "../../components/ConfirmDialog.tsx";
import { CopyButton } from "../../components/CopyButton.tsx";
import { ACTIONS_COLUMN, DataTable } from "../../components/DataTable.tsx";
import { CheckboxField, TextField } from "../../components/Field.tsx";
import { ErrorNotice, FormStatus, QueryState } from "../../components/status.tsx";
import { fieldErrors, formErrorMessage } from "../../lib/errors.ts";
import { useFormat } from "../../lib/preferences.tsx";

/** What the key list shows of a key; the list and a newly created key read the same. */
const ApiKeyFields = graphql(`
  fragment ApiKeyFields on ApiKey {
    id
    name
    prefix
    scopes
    createdAt
    lastUsedAt
    expiresAt
    revokedAt
  }
`);

const ApiKeysQuery = graphql(`
  query ApiKeys($first: Int) @live {
    apiKeys(first: $first) {
      edges {
        node {
          ...ApiKeyFields
        }
      }
    }
  }
`);

const CreateApiKeyMutation = graphql(`
  mutation CreateApiKey($name: String!, $scopes: [ApiScope!]!, $expiresAt: DateTime) {
    createApiKey(name: $name, scopes: $scopes, expiresAt: $expiresAt) {
      secret
      apiKey {
        ...ApiKeyFields
      }
    }
  }
`);

const RevokeApiKeyMutation = graphql(`
  mutation RevokeApiKey($id: ID!) {
    revokeApiKey(id: $id) {
      id
      revokedAt
    }
  }
`);

export const API_SCOPES: { scope: ApiScope; label: string }[] = [
  { scope: "READ_PROFILE", label: "Read profile" },
  { scope: "WRITE_PROFILE", label: "Write profile" },
  { scope: "READ_AGENTS", label: "Read agents" },
  { scope: "WRITE_AGENTS", label: "Write agents" },
  { scope: "READ_MEMORIES", label: "Read memories" },
  { scope: "WRITE_MEMORIES", label: "Write memories" },
  { scope: "READ_RATINGS", label: "Read ratings" },
  { scope: "WRITE_RATINGS", label: "Write ratings" },
  { scope: "READ_USAGE", label: "Read usage" },
  { scope: "WRITE_USAGE", label: "Record agent usage" },
  { scope: "ANALYSIS_READ", label: "Read analyses" },
  { scope: "ANALYSIS_RUN", label: "Run analyses" },
  { scope: "READ_CONVERSATIONS", label: "Read conversations" },
  { scope: "WRITE_CONVERSATIONS", label: "Post to conversations" },
  { scope: "ADMIN", label: "Admin" },
];

export function ApiKeys() {
  const [result, refetch] = useQuery({ query: ApiKeysQuery, variables: { first: 50 } });
  const [created, create] = useMutation(CreateApiKeyMutation);
  const [revoking, revoke] = useMutation(RevokeApiKeyMutation);
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<ApiScope[]>(["READ_PROFILE"]);
  const [expiresAt, setExpiresAt] = useState("");
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const errors = fieldErrors(created.error);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await create({
      name: name.trim(),
      scopes,
      expiresAt: expiresAt ? new Date(`${expiresAt}T23:59:59`).toISOString() : null,
    });
    if (r.data) {
      setSecret({
        name: getFragmentData(ApiKeyFields, r.data.createApiKey.apiKey).name,
        secret: r.data.createApiKey.secret,
      });
      setName("");
    }
  };

  return (
    <div className="card">
      <h2>API keys</h2>
      <p className="muted">
        For external tools: send a key as <code>Authorization: Bearer &lt;key&gt;</code>.
      </p>
      {secret && (
        <div className="notice success secret" role="alert">
          <p>
            Key <strong>{secret.name}</strong> created. Copy it now: it is not stored and can't be shown again.
          </p>
          <code className="secret-value" data-testid="api-key-secret">
            {secret.secret}
          </code>{" "}
          <CopyButton text={secret.secret} label="Copy key" />{" "}
          <button type="button" className="link" onClick={() => setSecret(null)}>
            Done
          </button>
        </div>
      )}
      <form onSubmit={submit} aria-label="Create an API key">
        <div className="grid2">
          <TextField
            label="Name"
            required
            maxLength={100}
            value={name}
            onChange={(e) => setName(e.target.value)}
            error={errors.name}
          />
          <TextField
            label="Expires on (optional)"
            type="date"
            value={expiresAt}
            onChange={(e) => setExpiresAt(e.target.value)}
            error={errors.expiresAt}
          />
        </div>
        <fieldset className="scopes">
          <legend>Scopes</legend>
          {API_SCOPES.map(({ scope, label }) => (
            <CheckboxField
              key={scope}
              label={label}
              checked={scopes.includes(scope)}
              onChange={(e) => setScopes((s) => (e.target.checked ? [...s, scope] : s.filter((x) => x !== scope)))}
            />
          ))}
          {errors.scopes && <small className="field-error">{errors.scopes}</small>}
        </fieldset>
        <FormStatus error={formErrorMessage(created.error)} />
        <button type="submit" className="primary" disabled={created.fetching || scopes.length === 0}>
          Create key
        </button>
      </form>
      {revoking.error && <ErrorNotice error={revoking.error} />}
      <QueryState result={result} retry={refetch}>
        {(data) => (
          <DataTable
            label="API keys"
            columns={["Name", "Key", "Scopes", "Last used", "Status", ACTIONS_COLUMN]}
            rows={data.apiKeys.edges}
            empty="No API keys yet."
          >
            {({ node }) => (
              <ApiKeyRow
                key={getFragmentData(ApiKeyFields, node).id}
                apiKey={node}
                busy={revoking.fetching}
                revoke={revoke}
              />
            )}
          </DataTable>
        )}
      </QueryState>
    </div>
  );
}

function ApiKeyRow(props: {
  apiKey: FragmentType<typeof ApiKeyFields>;
  busy: boolean;
  revoke: (variables: { id: string }) => Promise<{ error?: unknown }>;
}) {
  const k = getFragmentData(ApiKeyFields, props.apiKey);
  const f = useFormat();
  const confirm = useConfirm();
  const { busy, revoke } = props;
  return (
    <tr>
      <td>{k.name}</td>
      <td>
        <code>{k.prefix}…</code>
      </td>
      <td>{k.scopes.map((s) => s.toLowerCase().replace("_", ":")).join(", ")}</td>
      <td>{k.lastUsedAt ? f.dateTime(k.lastUsedAt) : "Never"}</td>
      <td>
        {k.revokedAt
          ? `Revoked ${f.dateTime(k.revokedAt)}`
          : k.expiresAt && new Date(k.expiresAt) < new Date()
            ? "Expired"
            : k.expiresAt
              ? `Active until ${f.dateTime(k.expiresAt)}`
              : "Active"}
      </td>
      <td>
        {!k.revokedAt && (
          <button
            type="button"
            disabled={busy}
            onClick={async () => {
              const ok = await confirm({
                title: `Revoke the key "${k.name}"?`,
                description: "Tools using it stop working at once. This can't be undone.",
                confirmLabel: "Revoke key",
                danger: true,
              });
              if (!ok) return;
              const r = await revoke({ id: k.id });
              if (!r.error) toast.success(`Key "${k.name}" revoked.`);
            }}
            aria-label={`Revoke key ${k.name}`}
          >
            Revoke
          </button>
        )}
      </td>
    </tr>
  );
}
