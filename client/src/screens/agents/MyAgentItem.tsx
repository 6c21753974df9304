import { Pin, PinOff } from "lucide-react";
import { type FormEvent, useState } from "react";
import { toast } from "sonner";
import { useMutation } from "urql";
import type { MyAgentFieldsFragment, UserAgentInput } from "../../../gql/graphql.ts";
import { type FragmentType, getFragmentData } from "../../../gql/index.ts";
import { useConfirm } from "../../components/ConfirmDialog.tsx";
import { CheckboxField, TextArea, TextField } from "../../components/Field.tsx";
import { ErrorNotice, FormStatus } from "../../components/status.tsx";
import { fieldErrors, formErrorMessage } from "../../lib/errors.ts";
import { useFormat } from "../../lib/preferences.tsx";
import { MyAgentFields, parseTags, RemoveUserAgentMutation, UpdateUserAgentMutation } from "./queries.ts";

export function MyAgentItem(props: { agent: FragmentType<typeof MyAgentFields> }) {
  const agent = getFragmentData(MyAgentFields, props.agent);
  const f = useFormat();
  const [editing, setEditing] = useState(false);
  const [updating, update] = useMutation(UpdateUserAgentMutation);
  const [removing, remove] = useMutation(RemoveUserAgentMutation);
  const confirm = useConfirm();
  const toggle = (input: UserAgentInput) => update({ id: agent.id, input });
  return (
    <article className="my-agent" aria-label={agent.name}>
      <div className="row">
        <strong>
          {agent.isPinned && (
            <span className="pin-marker" title="Pinned">
              <Pin size={14} aria-hidden="true" />
              <span className="visually-hidden">Pinned: </span>
            </span>
          )}
          {agent.name}
        </strong>
        {agent.customName && <span className="muted small">({agent.agent.name})</span>}
        {agent.folder && <span className="badge">{agent.folder}</span>}
        {agent.tags.map((t) => (
          <span key={t} className="tag">
            #{t}
          </span>
        ))}
        {agent.archivedAt && <span className="badge">Archived</span>}
        <span className="spacer" />
        <button
          type="button"
          aria-pressed={!!agent.isFavorite}
          onClick={() => toggle({ isFavorite: !agent.isFavorite })}
          aria-label={`Favourite ${agent.name}`}
        >
          {agent.isFavorite ? "★" : "☆"}
        </button>
        {/* The name says what a press does (Pin / Unpin), so it matches the visible text. */}
        <button
          type="button"
          className="icon-text"
          onClick={() => toggle({ isPinned: !agent.isPinned })}
          aria-label={`${agent.isPinned ? "Unpin" : "Pin"} ${agent.name}`}
        >
          {agent.isPinned ? <PinOff size={14} aria-hidden="true" /> : <Pin size={14} aria-hidden="true" />}
          {agent.isPinned ? "Unpin" : "Pin"}
        </button>
        <button type="button" aria-expanded={editing} onClick={() => setEditing((e) => !e)}>
          {editing ? "Close" : "Customise"}
        </button>
      </div>
      <p className="muted small">
        {agent.agent.model} · used {agent.usageCount ?? 0} times · {f.number(agent.totalTokensUsed ?? 0)} tokens ·{" "}
        {f.money(agent.totalCostUsd ?? 0)}
        {agent.lastUsedAt && ` · last used ${f.dateTime(agent.lastUsedAt)}`}
      </p>
      {updating.error && !editing && <ErrorNotice error={updating.error} />}
      {editing && (
        <UserAgentForm
          agent={agent}
          saving={updating.fetching}
          error={updating.error}
          onSave={async (input) => {
            const r = await update({ id: agent.id, input });
            if (r.data) setEditing(false);
          }}
          onRemove={async () => {
            const ok = await confirm({
              title: `Remove ${agent.name}?`,
              description:
                "Your customisations, folder and tags for this agent are deleted. The agent stays in the catalogue.",
              confirmLabel: "Remove",
              danger: true,
            });
            if (!ok) return;
            const r = await remove({ id: agent.id });
            if (!r.error) toast.success(`Removed ${agent.name} from your agents.`);
          }}
          removing={removing.fetching}
        />
      )}
      {removing.error && <ErrorNotice error={removing.error} />}
    </article>
  );
}

function UserAgentForm({
  agent,
  saving,
  error,
  onSave,
  onRemove,
  removing,
}: {
  agent: MyAgentFieldsFragment;
  saving: boolean;
  error: Parameters<typeof fieldErrors>[0];
  onSave: (input: UserAgentInput) => void;
  onRemove: () => void;
  removing: boolean;
}) {
  const [form, setForm] = useState({
    customName: agent.customName ?? "",
    customDescription: agent.customDescription ?? "",
    customSystemPrompt: agent.customSystemPrompt ?? "",
    customTemperature: agent.customTemperature ?? agent.agent.temperature,
    customMaxTokens: agent.customMaxTokens?.toString() ?? "",
    customColor: agent.customColor ?? "",
    folder: agent.folder ?? "",
    tags: agent.tags.join(", "),
    notes: agent.notes ?? "",
    isEnabled: agent.isEnabled ?? true,
    archived: !!agent.archivedAt,
  });
  const errors = fieldErrors(error);
  const set = <K extends keyof typeof form>(key: K, value: (typeof form)[K]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSave({
      customName: form.customName.trim(),
      customDescription: form.customDescription,
      customSystemPrompt: form.customSystemPrompt,
      customTemperature: Number(form.customTemperature),
      customMaxTokens: form.customMaxTokens ? Number(form.customMaxTokens) : null,
      customColor: form.customColor,
      folder: form.folder.trim(),
      tags: parseTags(form.tags),
      notes: form.notes,
      isEnabled: form.isEnabled,
      archived: form.archived,
    });
  };
  return (
    <form className="subform" onSubmit={submit} aria-label={`Customise ${agent.name}`}>
      <div className="grid2">
        <TextField
          label="Custom name"
          maxLength={100}
          value={form.customName}
          placeholder={agent.agent.name}
          onChange={(e) => set("customName", e.target.value)}
          error={errors.customName}
        />
        <TextField
          label="Folder"
          maxLength={100}
          value={form.folder}
          onChange={(e) => set("folder", e.target.value)}
          error={errors.folder}
        />
        <TextField
          label="Tags"
          value={form.tags}
          hint="Separated by commas"
          onChange={(e) => set("tags", e.target.value)}
          error={errors.tags}
        />
        <TextField
          label="Colour"
          maxLength={7}
          value={form.customColor}
          placeholder="#1a2b3c"
          onChange={(e) => set("customColor", e.target.value)}
          error={errors.customColor}
        />
        <TextField
          label={`Temperature: ${Number(form.customTemperature).toFixed(1)}`}
          type="range"
          min={0}
          max={2}
          step={0.1}
          value={form.customTemperature}
          onChange={(e) => set("customTemperature", Number(e.target.value))}
          error={errors.customTemperature}
        />
        <TextField
          label="Max tokens"
          type="number"
          min={1}
          max={200000}
          value={form.customMaxTokens}
          onChange={(e) => set("customMaxTokens", e.target.value)}
          error={errors.customMaxTokens}
        />
      </div>
      <TextArea
        label="Description"
        maxLength={2000}
        rows={2}
        value={form.customDescription}
        onChange={(e) => set("customDescription", e.target.value)}
        error={errors.customDescription}
      />
      <TextArea
        label="Custom system prompt"
        maxLength={20000}
        rows={4}
        value={form.customSystemPrompt}
        onChange={(e) => set("customSystemPrompt", e.target.value)}
        error={errors.customSystemPrompt}
      />
      <TextArea
        label="Notes"
        maxLength={10000}
        rows={2}
        value={form.notes}
        onChange={(e) => set("notes", e.target.value)}
        error={errors.notes}
      />
      <CheckboxField label="Enabled" checked={form.isEnabled} onChange={(e) => set("isEnabled", e.target.checked)} />
      <CheckboxField label="Archived" checked={form.archived} onChange={(e) => set("archived", e.target.checked)} />
      <FormStatus error={formErrorMessage(error)} />
      <div className="row">
        <button type="submit" className="primary" disabled={saving}>
          Save
        </button>
        <button type="button" className="danger" disabled={removing} onClick={onRemove}>
          Remove from my agents
        </button>
      </div>
    </form>
  );
}
