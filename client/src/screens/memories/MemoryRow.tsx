import { useState } from "react";
import { toast } from "sonner";
import { useMutation } from "urql";
import { ErrorNotice, FormStatus } from "../../components/status.tsx";
import { errorMessage, fieldErrors, formErrorMessage } from "../../lib/errors.ts";
import { useFormat } from "../../lib/preferences.tsx";
import { MemoryFieldsForm, type MemoryForm, memoryInput, toLocalInput } from "./MemoryForm.tsx";
import {
  CreateMemoryMutation,
  DeleteMemoryMutation,
  type MemoryItem,
  scorePercent,
  UpdateMemoryMutation,
} from "./queries.ts";

/** The deleted memory written back as it was (a past expiry would delete it again: dropped). */
function restoreInput(memory: MemoryItem) {
  const expires = memory.expiresAt && new Date(memory.expiresAt) > new Date() ? memory.expiresAt : null;
  return {
    memoryType: memory.memoryType,
    memoryKey: memory.memoryKey,
    content: memory.content,
    importanceScore: memory.importanceScore,
    expiresAt: expires,
  };
}

export function MemoryRow({ memory, score }: { memory: MemoryItem; score?: number }) {
  const f = useFormat();
  const [editing, setEditing] = useState(false);
  const [form, setForm] = useState<MemoryForm>(() => ({
    memoryType: memory.memoryType,
    memoryKey: memory.memoryKey,
    content: memory.content,
    importanceScore: memory.importanceScore,
    expiresAt: toLocalInput(memory.expiresAt),
  }));
  const [updating, update] = useMutation(UpdateMemoryMutation);
  const [deleting, del] = useMutation(DeleteMemoryMutation);
  const [, restore] = useMutation(CreateMemoryMutation);
  const errors = fieldErrors(updating.error);

  if (editing)
    return (
      <form
        className="subform"
        aria-label={`Edit memory ${memory.memoryKey}`}
        onSubmit={async (e) => {
          e.preventDefault();
          const r = await update({ id: memory.id, input: memoryInput(form) });
          if (r.data) setEditing(false);
        }}
      >
        <MemoryFieldsForm form={form} setForm={setForm} errors={errors} />
        <FormStatus error={formErrorMessage(updating.error)} />
        <div className="row">
          <button type="submit" className="primary" disabled={updating.fetching}>
            Save
          </button>
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </div>
      </form>
    );

  return (
    <article className="memory" aria-label={`Memory ${memory.memoryKey}`}>
      <div className="row">
        <span className={`badge type-${memory.memoryType}`}>{memory.memoryType}</span>
        <strong>{memory.memoryKey}</strong>
        {score !== undefined && (
          <span className="score" title={`Cosine similarity ${score.toFixed(3)}`}>
            match {scorePercent(score)}%
          </span>
        )}
        <span className="spacer" />
        <button type="button" onClick={() => setEditing(true)} aria-label={`Edit ${memory.memoryKey}`}>
          Edit
        </button>
        <button
          type="button"
          className="danger"
          disabled={deleting.fetching}
          aria-label={`Delete ${memory.memoryKey}`}
          onClick={async () => {
            // Deleting at once with an Undo beats asking first: the memory can be written back.
            const r = await del({ id: memory.id });
            if (r.error) return;
            toast(`Memory "${memory.memoryKey}" deleted.`, {
              action: {
                label: "Undo",
                onClick: async () => {
                  const back = await restore({ input: restoreInput(memory) });
                  if (back.error) toast.error(errorMessage(back.error) ?? "The memory could not be restored.");
                  else toast.success(`Memory "${memory.memoryKey}" restored.`);
                },
              },
            });
          }}
        >
          Delete
        </button>
      </div>
      <p className="memory-content">{memory.content}</p>
      <p className="muted small">
        importance {memory.importanceScore.toFixed(2)} · read {memory.accessCount} times · updated{" "}
        {f.dateTime(memory.updatedAt)}
        {memory.expiresAt && ` · expires ${f.dateTime(memory.expiresAt)}`}
      </p>
      {deleting.error && <ErrorNotice error={deleting.error} />}
    </article>
  );
}
