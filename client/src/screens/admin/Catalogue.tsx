import { type FormEvent, useState } from "react";
import { useMutation, useQuery } from "urql";
import { type FragmentType, getFragmentData, graphql } from "../../../gql/index.ts";
import { CheckboxField, TextArea, TextField } from "../../components/Field.tsx";
import { Empty, FormStatus, QueryState } from "../../components/status.tsx";
import { fieldErrors, formErrorMessage } from "../../lib/errors.ts";
import { AdminAgentsQueryDoc, CreateAgentMutation, UpdateAgentMutation } from "./queries.ts";

/** What the catalogue shows of an agent, and what its edit form starts from. */
const CatalogueAgentFields = graphql(`
  fragment CatalogueAgentFields on Agent {
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
`);

type CatalogueAgentRef = FragmentType<typeof CatalogueAgentFields>;

export function Catalogue() {
  const [result, refetch] = useQuery({ query: AdminAgentsQueryDoc });
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <div className="card" id="catalogue">
      <h2>Agent catalogue</h2>
      <QueryState result={result} retry={refetch}>
        {(data) =>
          data.agents.edges.length === 0 ? (
            <Empty>The catalogue is empty. Add the first agent below.</Empty>
          ) : (
            <ul className="list">
              {data.agents.edges.map(({ node }) => (
                <CatalogueItem
                  key={node.id}
                  agent={node}
                  editing={editing === node.id}
                  onEdit={() => setEditing(node.id)}
                  onDone={() => setEditing(null)}
                />
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

function CatalogueItem({
  agent,
  editing,
  onEdit,
  onDone,
}: {
  agent: CatalogueAgentRef;
  editing: boolean;
  onEdit: () => void;
  onDone: () => void;
}) {
  const a = getFragmentData(CatalogueAgentFields, agent);
  return (
    <li>
      {editing ? (
        <AgentForm agent={agent} onDone={onDone} />
      ) : (
        <div className="row">
          <strong>{a.name}</strong>
          <span className="muted small">
            {a.model} · {a.category ?? "uncategorised"} · t={a.temperature}
          </span>
          {!a.isActive && <span className="badge">Inactive</span>}
          <span className="spacer" />
          <button type="button" onClick={onEdit} aria-label={`Edit agent ${a.name}`}>
            Edit
          </button>
        </div>
      )}
    </li>
  );
}

/** The server's limits (server/schema/agent.ts), so a long value is stopped while typing. */
const AGENT_LIMITS = { name: 100, description: 2000, category: 100, model: 100, color: 7 } as const;

function AgentForm({ agent: ref, onDone }: { agent?: CatalogueAgentRef; onDone?: () => void }) {
  const agent = ref ? getFragmentData(CatalogueAgentFields, ref) : undefined;
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
    const r = agent ? await update({ id: agent.id, input }) : await create({ input });
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
      maxLength={AGENT_LIMITS[key]}
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
        maxLength={20000}
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
