import { type FormEvent, useState } from "react";
import { useMutation } from "urql";
import type { MemoryType } from "../../../gql/graphql.ts";
import { SelectField, TextArea, TextField } from "../../components/Field.tsx";
import { FormStatus } from "../../components/status.tsx";
import { fieldErrors, formErrorMessage } from "../../lib/errors.ts";
import { CreateMemoryMutation, MEMORY_TYPES } from "./queries.ts";

export function memoryInput(form: {
  memoryType: MemoryType;
  memoryKey: string;
  content: string;
  importanceScore: number;
  expiresAt: string;
}) {
  return {
    memoryType: form.memoryType,
    memoryKey: form.memoryKey.trim(),
    content: form.content.trim(),
    importanceScore: form.importanceScore,
    expiresAt: form.expiresAt ? new Date(form.expiresAt).toISOString() : null,
  };
}

export function AddMemory() {
  const empty = { memoryType: "fact" as MemoryType, memoryKey: "", content: "", importanceScore: 0.5, expiresAt: "" };
  const [form, setForm] = useState(empty);
  const [result, create] = useMutation(CreateMemoryMutation);
  const [saved, setSaved] = useState<string | null>(null);
  const errors = fieldErrors(result.error);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(null);
    const r = await create({ input: memoryInput(form) });
    if (r.data) {
      setSaved(`Memory "${form.memoryKey.trim()}" saved.`);
      setForm(empty);
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="add-memory-h">
      <h2 id="add-memory-h">Add a memory</h2>
      <MemoryFieldsForm form={form} setForm={setForm} errors={errors} />
      <FormStatus error={formErrorMessage(result.error)} success={saved} />
      <button type="submit" className="primary" disabled={result.fetching}>
        {result.fetching ? "Saving…" : "Add memory"}
      </button>
    </form>
  );
}

export type MemoryForm = {
  memoryType: MemoryType;
  memoryKey: string;
  content: string;
  importanceScore: number;
  expiresAt: string;
};

export function MemoryFieldsForm({
  form,
  setForm,
  errors,
}: {
  form: MemoryForm;
  setForm: (f: (prev: MemoryForm) => MemoryForm) => void;
  errors: Record<string, string>;
}) {
  return (
    <>
      <div className="grid2">
        <SelectField
          label="Type"
          value={form.memoryType}
          onChange={(e) => setForm((f) => ({ ...f, memoryType: e.target.value as MemoryType }))}
          error={errors.memoryType}
        >
          {MEMORY_TYPES.map((t) => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </SelectField>
        <TextField
          label="Key"
          required
          maxLength={200}
          value={form.memoryKey}
          placeholder="e.g. favourite_language"
          onChange={(e) => setForm((f) => ({ ...f, memoryKey: e.target.value }))}
          error={errors.memoryKey}
        />
        <TextField
          label={`Importance: ${form.importanceScore.toFixed(2)}`}
          type="range"
          min={0}
          max={1}
          step={0.05}
          value={form.importanceScore}
          onChange={(e) => setForm((f) => ({ ...f, importanceScore: Number(e.target.value) }))}
          error={errors.importanceScore}
        />
        <TextField
          label="Expires (optional)"
          type="datetime-local"
          value={form.expiresAt}
          onChange={(e) => setForm((f) => ({ ...f, expiresAt: e.target.value }))}
          error={errors.expiresAt}
        />
      </div>
      <TextArea
        label="Content"
        required
        maxLength={10_000}
        rows={3}
        value={form.content}
        onChange={(e) => setForm((f) => ({ ...f, content: e.target.value }))}
        error={errors.content}
      />
    </>
  );
}

export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
