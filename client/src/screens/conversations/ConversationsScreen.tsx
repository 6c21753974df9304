// Conversations with agents: the list, and a thread whose new messages (from this browser, another
// tab, or an agent backend posting with an API key) arrive live through the @live query.
import { type FormEvent, useRef, useState } from "react";
import { toast } from "sonner";
import { useMutation, useQuery } from "urql";
import { useConfirm } from "../../components/ConfirmDialog.tsx";
import { CheckboxField, TextArea, TextField } from "../../components/Field.tsx";
import { Empty, FormStatus, QueryState } from "../../components/status.tsx";
import { errorMessage } from "../../lib/errors.ts";
import { useFormat } from "../../lib/preferences.tsx";
import { Link, navigate } from "../../lib/router.tsx";
import {
  ArchiveConversationMutation,
  AttachableFilesQuery,
  ConversationsQuery,
  DeleteConversationMutation,
  MAX_ATTACHMENTS,
  MAX_MESSAGE_CHARS,
  MAX_TITLE_CHARS,
  PostMessageMutation,
  StartConversationMutation,
  ThreadQuery,
} from "./queries.ts";

const untitled = (title: string) => title || "New conversation";

export function ConversationsScreen({ conversationId }: { conversationId?: string }) {
  if (conversationId) return <Thread id={conversationId} />;
  return <ConversationList />;
}

function ConversationList() {
  const f = useFormat();
  const [archived, setArchived] = useState(false);
  const [result, refetch] = useQuery({ query: ConversationsQuery, variables: { archived } });
  const [title, setTitle] = useState("");
  const [started, start] = useMutation(StartConversationMutation);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await start({ title: title.trim() || null });
    if (r.data) {
      setTitle("");
      navigate(`/conversations/${encodeURIComponent(r.data.startConversation.id)}`);
    }
  };
  return (
    <section>
      <h1>Conversations</h1>
      <p className="muted">Your conversations with agents. Only you can read them.</p>
      <form className="card" aria-label="Start a conversation" onSubmit={submit}>
        <h2>Start a conversation</h2>
        <TextField
          label="Title (optional)"
          value={title}
          maxLength={MAX_TITLE_CHARS}
          onChange={(e) => setTitle(e.target.value)}
        />
        <FormStatus error={errorMessage(started.error)} />
        <button type="submit" className="primary" disabled={started.fetching}>
          Start
        </button>
      </form>
      <div className="card">
        <h2>{archived ? "Archived" : "Recent"}</h2>
        <CheckboxField label="Show archived" checked={archived} onChange={(e) => setArchived(e.target.checked)} />
        <QueryState result={result} retry={refetch}>
          {(d) => (
            <ul className="list" aria-label="Conversations">
              {d.conversations.edges.length === 0 && (
                <li>
                  <Empty>{archived ? "No archived conversations." : "No conversations yet. Start one above."}</Empty>
                </li>
              )}
              {d.conversations.edges.map(({ node }) => (
                <li key={node.id}>
                  <Link to={`/conversations/${encodeURIComponent(node.id)}`}>{untitled(node.title)}</Link>
                  <p className="muted">
                    {node.messageCount} {node.messageCount === 1 ? "message" : "messages"} ·{" "}
                    {f.dateTime(node.lastMessageAt ?? node.createdAt)}
                  </p>
                </li>
              ))}
            </ul>
          )}
        </QueryState>
      </div>
    </section>
  );
}

function Thread({ id }: { id: string }) {
  const f = useFormat();
  const confirm = useConfirm();
  const [result, refetch] = useQuery({ query: ThreadQuery, variables: { id } });
  const [, archive] = useMutation(ArchiveConversationMutation);
  const [, del] = useMutation(DeleteConversationMutation);
  return (
    <section>
      <p>
        <Link to="/conversations">All conversations</Link>
      </p>
      <QueryState result={result} retry={refetch}>
        {(d) => {
          const c = d.conversation;
          if (!c) return <Empty>This conversation does not exist or is not yours.</Empty>;
          return (
            <>
              <h1>{untitled(c.title)}</h1>
              <div className="row">
                <button
                  type="button"
                  onClick={async () => {
                    const r = await archive({ id: c.id, archived: !c.archived });
                    if (r.error) toast.error(errorMessage(r.error) ?? "Could not archive.");
                  }}
                >
                  {c.archived ? "Restore" : "Archive"}
                </button>
                <button
                  type="button"
                  className="danger"
                  onClick={async () => {
                    const sure = await confirm({
                      title: `Delete ${untitled(c.title)}?`,
                      confirmLabel: "Delete",
                      danger: true,
                    });
                    if (!sure) return;
                    const r = await del({ id: c.id });
                    if (r.error) return toast.error(errorMessage(r.error) ?? "Could not delete.");
                    navigate("/conversations");
                  }}
                >
                  Delete
                </button>
              </div>
              <ol className="list thread" aria-label="Messages" aria-live="polite">
                {c.messages.edges.length === 0 && (
                  <li>
                    <Empty>No messages yet.</Empty>
                  </li>
                )}
                {c.messages.edges.map(({ node: m }) => (
                  <li key={m.id} className={`message ${m.role}`}>
                    <article aria-label={`${m.role} message`}>
                      <p className="muted">
                        <strong>{m.role}</strong> · {f.dateTime(m.createdAt)}
                        {m.model ? ` · ${m.model}` : ""}
                        {m.tokens ? ` · ${m.tokens} tokens` : ""}
                      </p>
                      <p className="message-text">{m.content}</p>
                      {m.attachments.length > 0 && (
                        <ul aria-label="Attachments">
                          {m.attachments.map((a) => (
                            <li key={a.id}>
                              {a.name} <span className="muted">({a.mimeType})</span>
                            </li>
                          ))}
                        </ul>
                      )}
                    </article>
                  </li>
                ))}
              </ol>
              <Composer conversationId={c.id} />
            </>
          );
        }}
      </QueryState>
    </section>
  );
}

/** A random key; randomUUID exists only in secure contexts, getRandomValues everywhere. */
function newKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function Composer({ conversationId }: { conversationId: string }) {
  const [content, setContent] = useState("");
  const [attached, setAttached] = useState<string[]>([]);
  const [showFiles, setShowFiles] = useState(false);
  const [posted, postMessage] = useMutation(PostMessageMutation);
  // Sending the same draft again (after a lost answer) reuses its key, so the server writes it once;
  // an edited draft is a new message with a new key.
  const attempt = useRef<{ draft: string; key: string } | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!content.trim()) return;
    const draft = JSON.stringify([conversationId, content, attached]);
    if (attempt.current?.draft !== draft) attempt.current = { draft, key: newKey() };
    const r = await postMessage({
      conversationId,
      content,
      attachmentIds: attached.length ? attached : null,
      idempotencyKey: attempt.current.key,
    });
    if (r.data) {
      attempt.current = null;
      setContent("");
      setAttached([]);
      setShowFiles(false);
    }
  };
  return (
    <form className="card" aria-label="New message" onSubmit={submit}>
      <TextArea
        label="Message"
        value={content}
        rows={3}
        required
        maxLength={MAX_MESSAGE_CHARS}
        onChange={(e) => setContent(e.target.value)}
      />
      <button type="button" aria-expanded={showFiles} onClick={() => setShowFiles(!showFiles)}>
        {attached.length ? `Attachments (${attached.length})` : "Attach files"}
      </button>
      {showFiles && <FilePicker selected={attached} onChange={setAttached} />}
      <FormStatus error={errorMessage(posted.error)} />
      <button type="submit" className="primary" disabled={posted.fetching}>
        Send
      </button>
    </form>
  );
}

function FilePicker({ selected, onChange }: { selected: string[]; onChange: (ids: string[]) => void }) {
  const [result, refetch] = useQuery({ query: AttachableFilesQuery });
  return (
    <QueryState result={result} retry={refetch}>
      {(d) =>
        d.files.edges.length === 0 ? (
          <Empty>
            No files yet. <Link to="/files">Upload one</Link> to attach it.
          </Empty>
        ) : (
          <fieldset className="subform">
            <legend>Attach your files (up to {MAX_ATTACHMENTS})</legend>
            {d.files.edges.map(({ node }) => (
              <CheckboxField
                key={node.id}
                label={node.name}
                checked={selected.includes(node.id)}
                disabled={!selected.includes(node.id) && selected.length >= MAX_ATTACHMENTS}
                onChange={(e) =>
                  onChange(e.target.checked ? [...selected, node.id] : selected.filter((x) => x !== node.id))
                }
              />
            ))}
          </fieldset>
        )
      }
    </QueryState>
  );
}
