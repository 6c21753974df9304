// Workspaces on the Files screen (luminary's product sessions): which one an upload goes into, which
// one the list shows, and a new one made on the spot. Archived workspaces take no files until
// restored, so they are offered as a filter only.
import { type FormEvent, useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import { SelectField, TextField } from "../../components/Field.tsx";
import { FormStatus } from "../../components/status.tsx";
import { errorMessage } from "../../lib/errors.ts";
import { CreateWorkspaceMutation, FileWorkspacesQuery } from "./queries.ts";

export interface WorkspaceItem {
  id: string;
  name: string;
  status: string;
}

export function useWorkspaces(): WorkspaceItem[] {
  const [result] = useQuery({ query: FileWorkspacesQuery });
  return useMemo(() => result.data?.workspaces.edges.map((e) => e.node) ?? [], [result.data]);
}

const labelOf = (w: WorkspaceItem) => (w.status === "active" ? w.name : `${w.name} (${w.status})`);

/** Where the next upload goes: no workspace, or one that takes files. */
export function UploadTarget({
  workspaces,
  value,
  onChange,
  disabled,
}: {
  workspaces: WorkspaceItem[];
  value: string;
  onChange: (id: string) => void;
  disabled?: boolean;
}) {
  return (
    <SelectField
      label="Upload into"
      value={value}
      disabled={disabled}
      hint="Files in a workspace are listed and removed with it."
      onChange={(e) => onChange(e.target.value)}
    >
      <option value="">No workspace</option>
      {workspaces
        .filter((w) => w.status !== "archived")
        .map((w) => (
          <option key={w.id} value={w.id}>
            {labelOf(w)}
          </option>
        ))}
    </SelectField>
  );
}

/** The list's workspace filter: every workspace, archived ones included. */
export function WorkspaceFilter({
  workspaces,
  value,
  onChange,
}: {
  workspaces: WorkspaceItem[];
  value: string;
  onChange: (id: string) => void;
}) {
  return (
    <SelectField label="Workspace" value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">All workspaces</option>
      {workspaces.map((w) => (
        <option key={w.id} value={w.id}>
          {labelOf(w)}
        </option>
      ))}
    </SelectField>
  );
}

export function NewWorkspace({ onCreated }: { onCreated: (w: WorkspaceItem) => void }) {
  const [name, setName] = useState("");
  const [created, create] = useMutation(CreateWorkspaceMutation);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return;
    const r = await create({ name: name.trim() });
    if (r.data) {
      setName("");
      onCreated(r.data.createWorkspace);
    }
  };
  return (
    <form className="row wrap" aria-label="Create a workspace" onSubmit={submit}>
      <TextField
        label="New workspace"
        value={name}
        maxLength={200}
        required
        onChange={(e) => setName(e.target.value)}
      />
      <button type="submit" disabled={created.fetching}>
        Create workspace
      </button>
      <FormStatus error={errorMessage(created.error)} />
    </form>
  );
}
