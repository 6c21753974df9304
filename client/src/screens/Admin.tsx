import { type FormEvent, type ReactNode, useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import type { AdminAgentsQuery, QuotaType, Role } from "../../gql/graphql.ts";
import { graphql } from "../../gql/index.ts";
import { CopyButton } from "../components/CopyButton.tsx";
import { CheckboxField, SelectField, TextArea, TextField } from "../components/Field.tsx";
import { Empty, ErrorNotice, FormStatus, QueryState } from "../components/status.tsx";
import { TableScroll } from "../components/TableScroll.tsx";
import { fieldErrors, formErrorMessage } from "../lib/errors.ts";
import { useFormat } from "../lib/preferences.tsx";
import { Sessions } from "./Security.tsx";
import { QUOTA_LABELS, QuotasQuery } from "./Usage.tsx";

const MembersQuery = graphql(`
  query Members {
    me {
      id
      tenant {
        id
        name
        slug
        members(first: 100) {
          edges {
            node {
              id
              displayName
              email
              lastSignInAt
              roles {
                id
                role
                effectiveFrom
                effectiveTo
                inEffect
                isActing
                isPrimary
              }
            }
          }
        }
      }
    }
  }
`);

const AssignRoleMutation = graphql(`
  mutation AssignRole($userId: ID!, $role: Role!, $effectiveFrom: Date, $effectiveTo: Date, $isActing: Boolean) {
    assignRole(userId: $userId, role: $role, effectiveFrom: $effectiveFrom, effectiveTo: $effectiveTo, isActing: $isActing) {
      id
      role
      effectiveFrom
      effectiveTo
      inEffect
      isActing
      user {
        id
      }
    }
  }
`);

const InvitesQuery = graphql(`
  query Invites {
    invites(first: 50) {
      edges {
        node {
          id
          email
          role
          createdAt
          expiresAt
          acceptedAt
        }
      }
    }
  }
`);

const CreateInviteMutation = graphql(`
  mutation CreateInvite($email: String, $role: Role, $expiresInDays: Int) {
    createInvite(email: $email, role: $role, expiresInDays: $expiresInDays) {
      token
      invite {
        id
        email
        role
        createdAt
        expiresAt
        acceptedAt
      }
    }
  }
`);

const AdminAgentsQueryDoc = graphql(`
  query AdminAgents {
    agents(first: 100, includeInactive: true) {
      edges {
        node {
          id
          name
          description
          category
          model
          temperature
          maxTokens
          color
          systemPrompt
          isActive
        }
      }
    }
  }
`);

const CreateAgentMutation = graphql(`
  mutation CreateAgent($input: AgentInput!) {
    createAgent(input: $input) {
      id
      name
    }
  }
`);

// urql's document cache refetches every query holding the returned type, so the id is enough.
const UpdateAgentMutation = graphql(`
  mutation UpdateAgent($id: ID!, $input: AgentInput!) {
    updateAgent(id: $id, input: $input) {
      id
    }
  }
`);

const SetQuotaMutation = graphql(`
  mutation SetQuota($quotaType: QuotaType!, $quotaLimit: Float!, $alertThresholdPercentage: Float) {
    setQuota(quotaType: $quotaType, quotaLimit: $quotaLimit, alertThresholdPercentage: $alertThresholdPercentage) {
      id
      quotaType
      quotaLimit
      alertThresholdPercentage
      usagePercentage
      alert
      isExceeded
    }
  }
`);

const AuditLogQuery = graphql(`
  query AuditLog($action: String, $after: String) {
    auditLog(first: 25, after: $after, action: $action) {
      edges {
        node {
          id
          action
          resource
          resourceId
          ipAddress
          createdAt
          metadata
          actor {
            id
            displayName
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const ROLES: Role[] = ["member", "admin", "superadmin"];

export function inviteLink(token: string, origin = window.location.origin): string {
  return `${origin}/signup?invite=${encodeURIComponent(token)}`;
}

export function AdminScreen() {
  return (
    <section>
      <h1>Admin</h1>
      <nav aria-label="Admin sections" className="subnav">
        <a href="#members">Members</a> · <a href="#invites">Invites</a> · <a href="#catalogue">Agent catalogue</a> ·{" "}
        <a href="#sessions">Sessions</a> · <a href="#quotas">Quotas</a> · <a href="#audit">Audit log</a>
      </nav>
      <Members />
      <Invites />
      <div id="sessions">
        <Sessions allInTenant />
      </div>
      <Catalogue />
      <Quotas />
      <AuditLog />
    </section>
  );
}

function Members() {
  const f = useFormat();
  const [result, refetch] = useQuery({ query: MembersQuery });
  const [assigning, assign] = useMutation(AssignRoleMutation);
  const [form, setForm] = useState({
    userId: "",
    role: "member" as Role,
    effectiveFrom: "",
    effectiveTo: "",
    isActing: false,
  });
  const [done, setDone] = useState<string | null>(null);
  const errors = fieldErrors(assigning.error);
  const members = result.data?.me?.tenant?.members.edges.map((e) => e.node) ?? [];
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const r = await assign({
      userId: form.userId,
      role: form.role,
      effectiveFrom: form.effectiveFrom || null,
      effectiveTo: form.effectiveTo || null,
      isActing: form.isActing,
    });
    if (r.data) {
      setDone("Role assigned.");
      refetch({ requestPolicy: "network-only" });
    }
  };
  return (
    <div className="card" id="members">
      <h2>Members & roles</h2>
      <QueryState result={result} retry={() => refetch({ requestPolicy: "network-only" })}>
        {() =>
          members.length === 0 ? (
            <Empty>No members.</Empty>
          ) : (
            <TableScroll label="Members">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Member</th>
                    <th scope="col">Roles (effective dates)</th>
                    <th scope="col">Last sign-in</th>
                  </tr>
                </thead>
                <tbody>
                  {members.map((m) => (
                    <tr key={m.id}>
                      <td>
                        {m.displayName}
                        <br />
                        <span className="muted small">{m.email}</span>
                      </td>
                      <td>
                        <ul className="plain">
                          {(m.roles ?? []).map((r) => (
                            <li key={r.id} className={r.inEffect ? "" : "muted"}>
                              <strong>{r.role}</strong> {f.date(r.effectiveFrom)} –{" "}
                              {r.effectiveTo ? f.date(r.effectiveTo) : "open"}
                              {r.isActing && " · acting"}
                              {!r.inEffect && " · not in effect"}
                            </li>
                          ))}
                        </ul>
                      </td>
                      <td>{m.lastSignInAt ? f.dateTime(m.lastSignInAt) : "Never"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          )
        }
      </QueryState>
      <form onSubmit={submit} className="subform" aria-labelledby="assign-h">
        <h3 id="assign-h">Assign a role</h3>
        <div className="grid2">
          <SelectField
            label="Member"
            required
            value={form.userId}
            onChange={(e) => setForm((s) => ({ ...s, userId: e.target.value }))}
            error={errors.userId}
          >
            <option value="">Choose…</option>
            {members.map((m) => (
              <option key={m.id} value={m.id}>
                {m.displayName} ({m.email})
              </option>
            ))}
          </SelectField>
          <RoleSelect value={form.role} onChange={(role) => setForm((s) => ({ ...s, role }))} />
          <TextField
            label="Effective from"
            type="date"
            value={form.effectiveFrom}
            hint="Empty: today"
            onChange={(e) => setForm((s) => ({ ...s, effectiveFrom: e.target.value }))}
            error={errors.effectiveFrom}
          />
          <TextField
            label="Effective to"
            type="date"
            value={form.effectiveTo}
            hint="Empty: open-ended"
            onChange={(e) => setForm((s) => ({ ...s, effectiveTo: e.target.value }))}
            error={errors.effectiveTo}
          />
        </div>
        <CheckboxField
          label="Acting (temporary) role"
          checked={form.isActing}
          onChange={(e) => setForm((s) => ({ ...s, isActing: e.target.checked }))}
        />
        <FormStatus error={formErrorMessage(assigning.error)} success={done} />
        <button type="submit" className="primary" disabled={assigning.fetching || !form.userId}>
          Assign role
        </button>
      </form>
    </div>
  );
}

function Invites() {
  const f = useFormat();
  const ctx = useMemo(() => ({ additionalTypenames: ["Invite"] }), []);
  const [result, refetch] = useQuery({ query: InvitesQuery, context: ctx });
  const [created, create] = useMutation(CreateInviteMutation);
  const [form, setForm] = useState({ email: "", role: "member" as Role, expiresInDays: 7 });
  const [token, setToken] = useState<string | null>(null);
  const errors = fieldErrors(created.error);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await create(
      { email: form.email.trim() || null, role: form.role, expiresInDays: form.expiresInDays },
      ctx,
    );
    if (r.data) {
      setToken(r.data.createInvite.token);
      setForm((s) => ({ ...s, email: "" }));
    }
  };
  return (
    <div className="card" id="invites">
      <h2>Invites</h2>
      {token && (
        <div className="notice success" role="alert">
          <p>Invite created. Send this link; it is shown only now.</p>
          <code className="secret-value">{inviteLink(token)}</code>{" "}
          <CopyButton text={inviteLink(token)} label="Copy link" />{" "}
          <button type="button" className="link" onClick={() => setToken(null)}>
            Done
          </button>
        </div>
      )}
      <form onSubmit={submit} className="row wrap" aria-label="Create an invite">
        <TextField
          label="Email (optional)"
          type="email"
          value={form.email}
          onChange={(e) => setForm((s) => ({ ...s, email: e.target.value }))}
          error={errors.email}
        />
        <RoleSelect value={form.role} onChange={(role) => setForm((s) => ({ ...s, role }))} />
        <TextField
          label="Valid for (days)"
          type="number"
          min={1}
          max={90}
          value={form.expiresInDays}
          onChange={(e) => setForm((s) => ({ ...s, expiresInDays: Number(e.target.value) }))}
          error={errors.expiresInDays}
        />
        <button type="submit" className="primary" disabled={created.fetching}>
          Create invite
        </button>
      </form>
      <FormStatus error={formErrorMessage(created.error)} />
      <QueryState result={result} retry={() => refetch({ requestPolicy: "network-only" })}>
        {(data) =>
          data.invites.edges.length === 0 ? (
            <Empty>No invites yet.</Empty>
          ) : (
            <TableScroll label="Invites">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Email</th>
                    <th scope="col">Role</th>
                    <th scope="col">Created</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {data.invites.edges.map(({ node: i }) => (
                    <tr key={i.id}>
                      <td>{i.email ?? "Anyone with the link"}</td>
                      <td>{i.role}</td>
                      <td>{f.dateTime(i.createdAt)}</td>
                      <td>
                        {i.acceptedAt
                          ? `Accepted ${f.dateTime(i.acceptedAt)}`
                          : new Date(i.expiresAt) < new Date()
                            ? "Expired"
                            : `Open until ${f.dateTime(i.expiresAt)}`}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          )
        }
      </QueryState>
    </div>
  );
}

type CatalogueAgent = AdminAgentsQuery["agents"]["edges"][number]["node"];

function Catalogue() {
  const ctx = useMemo(() => ({ additionalTypenames: ["Agent"] }), []);
  const [result, refetch] = useQuery({ query: AdminAgentsQueryDoc, context: ctx });
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <div className="card" id="catalogue">
      <h2>Agent catalogue</h2>
      <QueryState result={result} retry={() => refetch({ requestPolicy: "network-only" })}>
        {(data) =>
          data.agents.edges.length === 0 ? (
            <Empty>The catalogue is empty. Add the first agent below.</Empty>
          ) : (
            <ul className="list">
              {data.agents.edges.map(({ node: a }) => (
                <li key={a.id}>
                  {editing === a.id ? (
                    <AgentForm agent={a} onDone={() => setEditing(null)} />
                  ) : (
                    <div className="row">
                      <strong>{a.name}</strong>
                      <span className="muted small">
                        {a.model} · {a.category ?? "uncategorised"} · t={a.temperature}
                      </span>
                      {!a.isActive && <span className="badge">Inactive</span>}
                      <span className="spacer" />
                      <button type="button" onClick={() => setEditing(a.id)} aria-label={`Edit agent ${a.name}`}>
                        Edit
                      </button>
                    </div>
                  )}
                </li>
              ))}
            </ul>
          )
        }
      </QueryState>
      <h3>Add an agent</h3>
      <AgentForm />
    </div>
  );
}

function AgentForm({ agent, onDone }: { agent?: CatalogueAgent; onDone?: () => void }) {
  const empty = {
    name: "",
    description: "",
    category: "",
    model: "gpt-4o-mini",
    temperature: 0.7,
    maxTokens: 2000,
    color: "",
    systemPrompt: "",
    isActive: true,
  };
  const [form, setForm] = useState(() =>
    agent
      ? {
          name: agent.name,
          description: agent.description ?? "",
          category: agent.category ?? "",
          model: agent.model,
          temperature: agent.temperature,
          maxTokens: agent.maxTokens,
          color: agent.color ?? "",
          systemPrompt: agent.systemPrompt ?? "",
          isActive: agent.isActive,
        }
      : empty,
  );
  const [createResult, create] = useMutation(CreateAgentMutation);
  const [updateResult, update] = useMutation(UpdateAgentMutation);
  const result = agent ? updateResult : createResult;
  const [done, setDone] = useState<string | null>(null);
  const errors = fieldErrors(result.error);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const input = {
      ...form,
      name: form.name.trim(),
      color: form.color.trim() || null,
      category: form.category.trim() || null,
      description: form.description.trim() || null,
      systemPrompt: form.systemPrompt.trim() || null,
    };
    const r = agent
      ? await update({ id: agent.id, input })
      : await create({ input }, { additionalTypenames: ["Agent"] });
    if (r.data) {
      if (agent) onDone?.();
      else {
        setForm(empty);
        setDone(`Agent ${input.name} added.`);
      }
    }
  };
  const text = (key: "name" | "description" | "category" | "model" | "color", label: string, required = false) => (
    <TextField
      label={label}
      required={required}
      value={form[key]}
      onChange={(e) => setForm((s) => ({ ...s, [key]: e.target.value }))}
      error={errors[key]}
    />
  );
  return (
    <form className="subform" onSubmit={submit} aria-label={agent ? `Edit agent ${agent.name}` : "Add an agent"}>
      <div className="grid2">
        {text("name", "Name", true)}
        {text("model", "Model", true)}
        {text("category", "Category")}
        {text("color", "Colour (#rrggbb)")}
        <TextField
          label={`Temperature: ${form.temperature.toFixed(1)}`}
          type="range"
          min={0}
          max={2}
          step={0.1}
          value={form.temperature}
          onChange={(e) => setForm((s) => ({ ...s, temperature: Number(e.target.value) }))}
          error={errors.temperature}
        />
        <TextField
          label="Max tokens"
          type="number"
          min={1}
          max={200000}
          value={form.maxTokens}
          onChange={(e) => setForm((s) => ({ ...s, maxTokens: Number(e.target.value) }))}
          error={errors.maxTokens}
        />
      </div>
      {text("description", "Description")}
      <TextArea
        label="System prompt (admins only)"
        rows={3}
        value={form.systemPrompt}
        onChange={(e) => setForm((s) => ({ ...s, systemPrompt: e.target.value }))}
        error={errors.systemPrompt}
      />
      <CheckboxField
        label="Active (visible in the catalogue)"
        checked={form.isActive}
        onChange={(e) => setForm((s) => ({ ...s, isActive: e.target.checked }))}
      />
      <FormStatus error={formErrorMessage(result.error)} success={done} />
      <div className="row">
        <button type="submit" className="primary" disabled={result.fetching}>
          {agent ? "Save agent" : "Add agent"}
        </button>
        {agent && (
          <button type="button" onClick={onDone}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

function Quotas() {
  const f = useFormat();
  const ctx = useMemo(() => ({ additionalTypenames: ["Quota"] }), []);
  const [result, refetch] = useQuery({ query: QuotasQuery, context: ctx });
  const [setting, setQuota] = useMutation(SetQuotaMutation);
  const [form, setForm] = useState({ quotaType: "tokens" as QuotaType, quotaLimit: "100000", alert: "80" });
  const [done, setDone] = useState<string | null>(null);
  const errors = fieldErrors(setting.error);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const r = await setQuota(
      {
        quotaType: form.quotaType,
        quotaLimit: Number(form.quotaLimit),
        alertThresholdPercentage: Number(form.alert),
      },
      ctx,
    );
    if (r.data) setDone(`${QUOTA_LABELS[form.quotaType]} quota saved.`);
  };
  return (
    <div className="card" id="quotas">
      <h2>Quotas</h2>
      <QueryState result={result} retry={() => refetch({ requestPolicy: "network-only" })}>
        {(data) =>
          data.quotas.edges.length === 0 ? (
            <Empty>No quotas set: usage is unlimited.</Empty>
          ) : (
            <TableScroll label="Quotas">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Quota</th>
                    <th scope="col">Used</th>
                    <th scope="col">Limit</th>
                    <th scope="col">Alert at</th>
                    <th scope="col">Period</th>
                  </tr>
                </thead>
                <tbody>
                  {data.quotas.edges.map(({ node: q }) => (
                    <tr key={q.id} className={q.isExceeded ? "exceeded" : q.alert ? "alert" : ""}>
                      <th scope="row">{QUOTA_LABELS[q.quotaType]}</th>
                      <td>
                        {f.number(q.currentUsage, 2)} ({f.percent(q.usagePercentage)})
                      </td>
                      <td>{f.number(q.quotaLimit, 2)}</td>
                      <td>{f.percent(q.alertThresholdPercentage)}</td>
                      <td>
                        {f.date(q.periodStart)} – {f.date(q.periodEnd)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          )
        }
      </QueryState>
      <form onSubmit={submit} className="row wrap" aria-label="Set a quota">
        <SelectField
          label="Quota"
          value={form.quotaType}
          onChange={(e) => setForm((s) => ({ ...s, quotaType: e.target.value as QuotaType }))}
        >
          {Object.entries(QUOTA_LABELS).map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </SelectField>
        <TextField
          label="Limit this month"
          type="number"
          min={0}
          step="any"
          required
          value={form.quotaLimit}
          onChange={(e) => setForm((s) => ({ ...s, quotaLimit: e.target.value }))}
          error={errors.quotaLimit}
        />
        <TextField
          label="Alert at (%)"
          type="number"
          min={1}
          max={100}
          value={form.alert}
          onChange={(e) => setForm((s) => ({ ...s, alert: e.target.value }))}
          error={errors.alertThresholdPercentage}
        />
        <button type="submit" className="primary" disabled={setting.fetching}>
          Save quota
        </button>
      </form>
      <FormStatus error={formErrorMessage(setting.error)} success={done} />
    </div>
  );
}

function AuditLog() {
  const [action, setAction] = useState("");
  const [applied, setApplied] = useState("");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return (
    <div className="card" id="audit">
      <h2>Audit log</h2>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(action.trim());
          setCursors([null]);
        }}
      >
        <TextField
          label="Action"
          placeholder="e.g. user.sign_in"
          value={action}
          onChange={(e) => setAction(e.target.value)}
        />
        <button type="submit">Filter</button>
      </form>
      <TableScroll label="Audit log">
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Resource</th>
              <th scope="col">IP</th>
            </tr>
          </thead>
          <tbody>
            {cursors.map((after, i) => (
              <AuditPage
                key={`${applied}:${after ?? ""}`}
                action={applied || null}
                after={after}
                isFirst={i === 0}
                isLast={i === cursors.length - 1}
                onMore={(c) => setCursors((cs) => [...cs, c])}
              />
            ))}
          </tbody>
        </table>
      </TableScroll>
    </div>
  );
}

function AuditPage({
  action,
  after,
  isFirst,
  isLast,
  onMore,
}: {
  action: string | null;
  after: string | null;
  isFirst: boolean;
  isLast: boolean;
  onMore: (cursor: string) => void;
}) {
  const f = useFormat();
  const [result, refetch] = useQuery({ query: AuditLogQuery, variables: { action, after } });
  const row = (content: ReactNode) => (
    <tr>
      <td colSpan={5}>{content}</td>
    </tr>
  );
  if (result.error && !result.data)
    return row(<ErrorNotice error={result.error} retry={() => refetch({ requestPolicy: "network-only" })} />);
  if (!result.data) return row(<span className="muted">Loading…</span>);
  const { edges, pageInfo } = result.data.auditLog;
  return (
    <>
      {isFirst && edges.length === 0 && row(<Empty>No entries{action ? ` for ${action}` : ""}.</Empty>)}
      {edges.map(({ node: e }) => (
        <tr key={e.id}>
          <td>{f.dateTime(e.createdAt)}</td>
          <td>{e.actor?.displayName ?? "—"}</td>
          <td>
            <code>{e.action}</code>
          </td>
          <td>{[e.resource, e.resourceId].filter(Boolean).join(" ") || "—"}</td>
          <td>{e.ipAddress ?? "—"}</td>
        </tr>
      ))}
      {isLast &&
        pageInfo.hasNextPage &&
        pageInfo.endCursor &&
        row(
          <button type="button" onClick={() => onMore(pageInfo.endCursor as string)}>
            Load more
          </button>,
        )}
    </>
  );
}

function RoleSelect({ value, onChange }: { value: Role; onChange: (role: Role) => void }) {
  return (
    <SelectField label="Role" value={value} onChange={(e) => onChange(e.target.value as Role)}>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </SelectField>
  );
}
