import { type FormEvent, useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import type { MemoryFieldsFragment, MemoryType } from "../../gql/graphql.ts";
import { getFragmentData, graphql } from "../../gql/index.ts";
import { SelectField, TextArea, TextField } from "../components/Field.tsx";
import { Empty, ErrorNotice, FormStatus, Loading, QueryState } from "../components/status.tsx";
import { fieldErrors, formErrorMessage } from "../lib/errors.ts";
import { useFormat } from "../lib/preferences.tsx";

const MemoryFields = graphql(`
  fragment MemoryFields on Memory {
    id
    memoryType
    memoryKey
    content
    importanceScore
    accessCount
    lastAccessedAt
    expiresAt
    updatedAt
  }
`);

const MemoriesQuery = graphql(`
  query Memories($memoryType: MemoryType, $after: String) {
    memories(first: 25, after: $after, memoryType: $memoryType) {
      edges {
        node {
          ...MemoryFields
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const SearchMemoriesQuery = graphql(`
  query SearchMemories($query: String!, $memoryType: MemoryType) {
    searchMemories(query: $query, memoryType: $memoryType, first: 10) {
      score
      memory {
        ...MemoryFields
      }
    }
  }
`);

const CreateMemoryMutation = graphql(`
  mutation CreateMemory($input: MemoryInput!) {
    createMemory(input: $input) {
      ...MemoryFields
    }
  }
`);

const UpdateMemoryMutation = graphql(`
  mutation UpdateMemory($id: ID!, $input: MemoryInput!) {
    updateMemory(id: $id, input: $input) {
      ...MemoryFields
    }
  }
`);

const DeleteMemoryMutation = graphql(`
  mutation DeleteMemory($id: ID!) {
    deleteMemory(id: $id)
  }
`);

export const MEMORY_TYPES: { value: MemoryType; label: string }[] = [
  { value: "fact", label: "Fact" },
  { value: "preference", label: "Preference" },
  { value: "context", label: "Context" },
  { value: "instruction", label: "Instruction" },
];

/** Cosine similarity (-1..1) as a percentage for people; negative similarity reads as 0 %. */
export function scorePercent(score: number): number {
  return Math.round(Math.max(0, Math.min(1, score)) * 100);
}

export type MemoryItem = MemoryFieldsFragment;

const typenames = { additionalTypenames: ["Memory"] };

export function MemoriesScreen() {
  const [type, setType] = useState<MemoryType | "">("");
  return (
    <section>
      <h1>Memories</h1>
      <p className="muted">What your agents remember about you. Only you can see these.</p>
      <AddMemory />
      <SearchMemories memoryType={type || null} />
      <div className="card">
        <h2>All memories</h2>
        <SelectField label="Type" value={type} onChange={(e) => setType(e.target.value as MemoryType | "")}>
          <option value="">All types</option>
          {MEMORY_TYPES.map((t) => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </SelectField>
        <MemoryPages memoryType={type || null} />
      </div>
    </section>
  );
}

/** One query per loaded page; "Load more" adds the next cursor. */
function MemoryPages({ memoryType }: { memoryType: MemoryType | null }) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [forType, setForType] = useState(memoryType);
  if (forType !== memoryType) {
    setForType(memoryType);
    setCursors([null]);
  }
  return (
    <ul className="list" aria-label="Memories">
      {cursors.map((after, i) => (
        <MemoryPage
          key={after ?? "first"}
          memoryType={memoryType}
          after={after}
          isFirst={i === 0}
          isLast={i === cursors.length - 1}
          onLoadMore={(c) => setCursors((cs) => [...cs, c])}
        />
      ))}
    </ul>
  );
}

function MemoryPage({
  memoryType,
  after,
  isFirst,
  isLast,
  onLoadMore,
}: {
  memoryType: MemoryType | null;
  after: string | null;
  isFirst: boolean;
  isLast: boolean;
  onLoadMore: (cursor: string) => void;
}) {
  const context = useMemo(() => typenames, []);
  const [result, refetch] = useQuery({ query: MemoriesQuery, variables: { memoryType, after }, context });
  return (
    <QueryState result={result} retry={() => refetch({ requestPolicy: "network-only" })}>
      {(data) => {
        const { edges, pageInfo } = data.memories;
        return (
          <>
            {isFirst && edges.length === 0 && (
              <li>
                <Empty>{memoryType ? `No ${memoryType} memories.` : "No memories yet. Add one above."}</Empty>
              </li>
            )}
            {edges.map(({ node }) => {
              const memory = getFragmentData(MemoryFields, node);
              return (
                <li key={memory.id}>
                  <MemoryRow memory={memory} />
                </li>
              );
            })}
            {isLast && pageInfo.hasNextPage && pageInfo.endCursor && (
              <li>
                <button type="button" onClick={() => onLoadMore(pageInfo.endCursor as string)}>
                  Load more
                </button>
              </li>
            )}
          </>
        );
      }}
    </QueryState>
  );
}

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

function AddMemory() {
  const empty = { memoryType: "fact" as MemoryType, memoryKey: "", content: "", importanceScore: 0.5, expiresAt: "" };
  const [form, setForm] = useState(empty);
  const [result, create] = useMutation(CreateMemoryMutation);
  const [saved, setSaved] = useState<string | null>(null);
  const errors = fieldErrors(result.error);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(null);
    const r = await create({ input: memoryInput(form) }, typenames);
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

type MemoryForm = {
  memoryType: MemoryType;
  memoryKey: string;
  content: string;
  importanceScore: number;
  expiresAt: string;
};

function MemoryFieldsForm({
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
        rows={3}
        value={form.content}
        onChange={(e) => setForm((f) => ({ ...f, content: e.target.value }))}
        error={errors.content}
      />
    </>
  );
}

function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
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
          onClick={() => {
            if (window.confirm(`Delete the memory "${memory.memoryKey}"?`)) void del({ id: memory.id }, typenames);
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

function SearchMemories({ memoryType }: { memoryType: MemoryType | null }) {
  const [text, setText] = useState("");
  const [query, setQuery] = useState<string | null>(null);
  const [result, refetch] = useQuery({
    query: SearchMemoriesQuery,
    variables: { query: query ?? "", memoryType },
    pause: !query,
    requestPolicy: "network-only",
  });
  return (
    <div className="card">
      <h2 id="search-h">Search by meaning</h2>
      <search aria-labelledby="search-h">
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            setQuery(text.trim() || null);
          }}
        >
          <TextField
            label="Search memories"
            type="search"
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder="e.g. which programming language do I like?"
          />
          <button type="submit">Search</button>
        </form>
      </search>
      {query &&
        (result.fetching && !result.data ? (
          <Loading label="Searching…" />
        ) : (
          <QueryState result={result} retry={() => refetch({ requestPolicy: "network-only" })}>
            {(data) =>
              data.searchMemories.length === 0 ? (
                <Empty>No memory matches “{query}”.</Empty>
              ) : (
                <ol className="list" aria-label="Search results">
                  {data.searchMemories.map((hit) => {
                    const memory = getFragmentData(MemoryFields, hit.memory);
                    return (
                      <li key={memory.id}>
                        <MemoryRow memory={memory} score={hit.score} />
                      </li>
                    );
                  })}
                </ol>
              )
            }
          </QueryState>
        ))}
    </div>
  );
}
