import { type FormEvent, useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import type { MyAgentsQuery, UserAgentInput } from "../../gql/graphql.ts";
import { graphql } from "../../gql/index.ts";
import { CheckboxField, TextArea, TextField } from "../components/Field.tsx";
import { Empty, ErrorNotice, FormStatus, QueryState } from "../components/status.tsx";
import { fieldErrors, formErrorMessage } from "../lib/errors.ts";
import { useFormat } from "../lib/preferences.tsx";

const CatalogueQuery = graphql(`
  query Catalogue($search: String) {
    agents(first: 100, search: $search) {
      edges {
        node {
          id
          name
          description
          category
          model
          temperature
          color
          ratingSummary {
            average
            count
          }
        }
      }
    }
  }
`);

const MyAgentsQueryDoc = graphql(`
  query MyAgents($folder: String, $tag: String, $favoritesOnly: Boolean, $includeArchived: Boolean) {
    myAgents(
      first: 100
      folder: $folder
      tag: $tag
      favoritesOnly: $favoritesOnly
      includeArchived: $includeArchived
    ) {
      edges {
        node {
          id
          name
          customName
          customDescription
          customSystemPrompt
          customTemperature
          customMaxTokens
          customColor
          folder
          tags
          isFavorite
          isPinned
          isEnabled
          archivedAt
          notes
          usageCount
          totalTokensUsed
          totalCostUsd
          lastUsedAt
          agent {
            id
            name
            model
            temperature
          }
        }
      }
    }
  }
`);

const AddAgentMutation = graphql(`
  mutation AddAgent($agentId: ID!) {
    addAgent(agentId: $agentId, source: "catalogue") {
      id
      name
    }
  }
`);

// urql's document cache refetches every query holding the returned type, so the id is enough.
const UpdateUserAgentMutation = graphql(`
  mutation UpdateUserAgent($id: ID!, $input: UserAgentInput!) {
    updateUserAgent(id: $id, input: $input) {
      id
    }
  }
`);

const RemoveUserAgentMutation = graphql(`
  mutation RemoveUserAgent($id: ID!) {
    removeUserAgent(id: $id)
  }
`);

const RatingsQuery = graphql(`
  query AgentRatings($itemId: ID!) {
    ratingSummary(itemType: "agent", itemId: $itemId) {
      average
      count
      distribution
    }
    ratings(itemType: "agent", itemId: $itemId, first: 20) {
      edges {
        node {
          id
          rating
          review
          helpfulCount
          mine
          createdAt
          author {
            id
            displayName
          }
        }
      }
    }
  }
`);

const RateMutation = graphql(`
  mutation Rate($itemId: ID!, $rating: Int!, $review: String) {
    rate(itemType: "agent", itemId: $itemId, rating: $rating, review: $review) {
      id
      rating
      review
      helpfulCount
      mine
    }
  }
`);

const HelpfulMutation = graphql(`
  mutation MarkHelpful($id: ID!) {
    markRatingHelpful(id: $id) {
      id
      helpfulCount
    }
  }
`);

/** "a, b , ,c" -> ["a", "b", "c"], without duplicates. */
export function parseTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}

export function stars(avg: number | null | undefined): string {
  if (avg == null) return "☆☆☆☆☆";
  const full = Math.round(avg);
  return "★".repeat(full) + "☆".repeat(5 - full);
}

type MyAgent = MyAgentsQuery["myAgents"]["edges"][number]["node"];

export function AgentsScreen() {
  const [search, setSearch] = useState("");
  const [filters, setFilters] = useState({ folder: "", tag: "", favoritesOnly: false, includeArchived: false });
  const ctx = useMemo(() => ({ additionalTypenames: ["UserAgent"] }), []);
  const catalogueCtx = useMemo(() => ({ additionalTypenames: ["Agent"] }), []);
  const [catalogue, refetchCatalogue] = useQuery({
    query: CatalogueQuery,
    variables: { search: search.trim() || null },
    context: catalogueCtx,
  });
  const [mine, refetchMine] = useQuery({
    query: MyAgentsQueryDoc,
    variables: {
      folder: filters.folder.trim() || null,
      tag: filters.tag.trim() || null,
      favoritesOnly: filters.favoritesOnly,
      includeArchived: filters.includeArchived,
    },
    context: ctx,
  });
  const [adding, addAgent] = useMutation(AddAgentMutation);
  const owned = new Set(mine.data?.myAgents.edges.map((e) => e.node.agent.id));
  const { prefs } = useFormat();

  return (
    <section>
      <h1>Agents</h1>
      <div className="card">
        <h2>My agents</h2>
        <fieldset className="filters">
          <legend className="visually-hidden">Filter my agents</legend>
          <TextField
            label="Folder"
            value={filters.folder}
            onChange={(e) => setFilters((f) => ({ ...f, folder: e.target.value }))}
          />
          <TextField
            label="Tag"
            value={filters.tag}
            onChange={(e) => setFilters((f) => ({ ...f, tag: e.target.value }))}
          />
          <CheckboxField
            label="Favourites only"
            checked={filters.favoritesOnly}
            onChange={(e) => setFilters((f) => ({ ...f, favoritesOnly: e.target.checked }))}
          />
          <CheckboxField
            label="Show archived"
            checked={filters.includeArchived}
            onChange={(e) => setFilters((f) => ({ ...f, includeArchived: e.target.checked }))}
          />
        </fieldset>
        <QueryState result={mine} retry={() => refetchMine({ requestPolicy: "network-only" })}>
          {(data) =>
            data.myAgents.edges.length === 0 ? (
              <Empty>No agents here yet. Add one from the catalogue below.</Empty>
            ) : (
              <ul className="list">
                {data.myAgents.edges.map(({ node }) => (
                  <li key={node.id}>
                    <MyAgentItem agent={node} />
                  </li>
                ))}
              </ul>
            )
          }
        </QueryState>
      </div>

      <div className="card">
        <h2>Catalogue</h2>
        <TextField
          label="Search the catalogue"
          type="search"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        {adding.error && <ErrorNotice error={adding.error} />}
        <QueryState result={catalogue} retry={() => refetchCatalogue({ requestPolicy: "network-only" })}>
          {(data) =>
            data.agents.edges.length === 0 ? (
              <Empty>
                {search ? "No agent matches." : "The catalogue is empty. Tenant admins add agents on the Admin page."}
              </Empty>
            ) : (
              <ul className={prefs.defaultView === "list" ? "cards as-list" : "cards"}>
                {data.agents.edges.map(({ node: a }) => (
                  <li key={a.id} className="agent-card" style={a.color ? { borderTopColor: a.color } : undefined}>
                    <h3>{a.name}</h3>
                    <p className="muted small">
                      {[a.category, a.model, `temperature ${a.temperature}`].filter(Boolean).join(" · ")}
                    </p>
                    {a.description && <p>{a.description}</p>}
                    {owned.has(a.id) ? (
                      <p className="badge">In my agents</p>
                    ) : (
                      <button type="button" disabled={adding.fetching} onClick={() => addAgent({ agentId: a.id })}>
                        Add to my agents
                      </button>
                    )}
                    <AgentRatings agentId={a.id} agentName={a.name} initialSummary={a.ratingSummary} />
                  </li>
                ))}
              </ul>
            )
          }
        </QueryState>
      </div>
    </section>
  );
}

function MyAgentItem({ agent }: { agent: MyAgent }) {
  const f = useFormat();
  const [editing, setEditing] = useState(false);
  const [updating, update] = useMutation(UpdateUserAgentMutation);
  const [removing, remove] = useMutation(RemoveUserAgentMutation);
  const toggle = (input: UserAgentInput) => update({ id: agent.id, input });
  return (
    <article className="my-agent" aria-label={agent.name}>
      <div className="row">
        <strong>
          {agent.isPinned && <span title="Pinned">📌 </span>}
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
        <button
          type="button"
          aria-pressed={!!agent.isPinned}
          onClick={() => toggle({ isPinned: !agent.isPinned })}
          aria-label={`Pin ${agent.name}`}
        >
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
            if (window.confirm(`Remove ${agent.name} from my agents?`)) await remove({ id: agent.id });
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
  agent: MyAgent;
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
          value={form.customName}
          placeholder={agent.agent.name}
          onChange={(e) => set("customName", e.target.value)}
          error={errors.customName}
        />
        <TextField
          label="Folder"
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
        rows={2}
        value={form.customDescription}
        onChange={(e) => set("customDescription", e.target.value)}
        error={errors.customDescription}
      />
      <TextArea
        label="Custom system prompt"
        rows={4}
        value={form.customSystemPrompt}
        onChange={(e) => set("customSystemPrompt", e.target.value)}
        error={errors.customSystemPrompt}
      />
      <TextArea
        label="Notes"
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

function AgentRatings({
  agentId,
  agentName,
  initialSummary,
}: {
  agentId: string;
  agentName: string;
  initialSummary?: { average?: number | null; count: number } | null;
}) {
  const [open, setOpen] = useState(false);
  const ctx = useMemo(() => ({ additionalTypenames: ["Rating"] }), []);
  // The catalogue brings every agent's summary in one request; reviews load when opened.
  const [result, refetch] = useQuery({
    query: RatingsQuery,
    variables: { itemId: agentId },
    context: ctx,
    pause: !open,
  });
  const summary = result.data?.ratingSummary ?? initialSummary;
  return (
    <div className="ratings">
      <p>
        <span aria-hidden="true">{stars(summary?.average)}</span>{" "}
        <span>
          {summary?.count
            ? `${summary.average?.toFixed(1)} out of 5 from ${summary.count} rating${summary.count === 1 ? "" : "s"}`
            : "No ratings yet"}
        </span>{" "}
        <button type="button" className="link" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
          {open ? "Hide reviews" : "Rate & reviews"}
        </button>
      </p>
      {open && (
        <QueryState result={result} retry={() => refetch({ requestPolicy: "network-only" })}>
          {(data) => (
            <>
              {data.ratingSummary.count > 0 && (
                <ol className="distribution" aria-label="Ratings by stars">
                  {[5, 4, 3, 2, 1].map((n) => (
                    <li key={n}>
                      {n}★{" "}
                      <meter
                        min={0}
                        max={data.ratingSummary.count}
                        value={data.ratingSummary.distribution[n - 1] ?? 0}
                      />{" "}
                      {data.ratingSummary.distribution[n - 1] ?? 0}
                    </li>
                  ))}
                </ol>
              )}
              <RateForm
                agentId={agentId}
                agentName={agentName}
                mine={data.ratings.edges.find((e) => e.node.mine)?.node}
              />
              <Reviews ratings={data.ratings.edges.map((e) => e.node)} />
            </>
          )}
        </QueryState>
      )}
    </div>
  );
}

function RateForm({
  agentId,
  agentName,
  mine,
}: {
  agentId: string;
  agentName: string;
  mine?: { rating: number; review?: string | null } | undefined;
}) {
  const [rating, setRating] = useState(mine?.rating ?? 0);
  const [review, setReview] = useState(mine?.review ?? "");
  const [result, rate] = useMutation(RateMutation);
  const [saved, setSaved] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await rate({ itemId: agentId, rating, review: review.trim() || null });
    setSaved(!!r.data);
  };
  return (
    <form onSubmit={submit} className="subform" aria-label={`Rate ${agentName}`}>
      <fieldset className="stars">
        <legend>{mine ? "Your rating" : "Rate this agent"}</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n}>
            <input
              type="radio"
              name={`rating-${agentId}`}
              value={n}
              checked={rating === n}
              onChange={() => setRating(n)}
            />
            {n}★
          </label>
        ))}
      </fieldset>
      <TextArea label="Review (optional)" rows={2} value={review} onChange={(e) => setReview(e.target.value)} />
      <FormStatus error={formErrorMessage(result.error)} success={saved ? "Thanks, your rating is saved." : null} />
      <button type="submit" disabled={rating === 0 || result.fetching}>
        {mine ? "Update rating" : "Submit rating"}
      </button>
    </form>
  );
}

function Reviews({
  ratings,
}: {
  ratings: {
    id: string;
    rating: number;
    review?: string | null;
    helpfulCount: number;
    mine: boolean;
    createdAt: string;
    author?: { displayName: string } | null;
  }[];
}) {
  const f = useFormat();
  const [result, markHelpful] = useMutation(HelpfulMutation);
  const withReview = ratings.filter((r) => r.review);
  if (!withReview.length) return <Empty>No reviews yet.</Empty>;
  return (
    <>
      {result.error && <ErrorNotice error={result.error} />}
      <ul className="reviews">
        {withReview.map((r) => (
          <li key={r.id}>
            <p>
              <span aria-hidden="true">{stars(r.rating)}</span>
              <span className="visually-hidden">{r.rating} out of 5</span>{" "}
              <strong>{r.author?.displayName ?? "A former member"}</strong>{" "}
              <span className="muted small">{f.date(r.createdAt)}</span>
            </p>
            <p>{r.review}</p>
            <p className="muted small">
              {r.helpfulCount} found this helpful{" "}
              {!r.mine && (
                <button type="button" className="link" onClick={() => markHelpful({ id: r.id })}>
                  Helpful
                </button>
              )}
            </p>
          </li>
        ))}
      </ul>
    </>
  );
}
