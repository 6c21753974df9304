import { useMutation, useQuery } from "urql";
import { CheckboxField, TextField } from "../../components/Field.tsx";
import { Empty, ErrorNotice, QueryState } from "../../components/status.tsx";
import { useFormat } from "../../lib/preferences.tsx";
import { setSearchParams, useSearchParam } from "../../lib/router.tsx";
import { MyAgentItem } from "./MyAgentItem.tsx";
import { AddAgentMutation, CatalogueQuery, MyAgentsQueryDoc } from "./queries.ts";
import { AgentRatings } from "./Ratings.tsx";

export function AgentsScreen() {
  // Filters live in the URL, as on every screen: a reload, Back or a shared link keeps them.
  const search = useSearchParam("q") ?? "";
  const filters = {
    folder: useSearchParam("folder") ?? "",
    tag: useSearchParam("tag") ?? "",
    favoritesOnly: useSearchParam("favourites") === "1",
    includeArchived: useSearchParam("archived") === "1",
  };
  const [catalogue, refetchCatalogue] = useQuery({
    query: CatalogueQuery,
    variables: { search: search.trim() || null },
  });
  const [mine, refetchMine] = useQuery({
    query: MyAgentsQueryDoc,
    variables: {
      folder: filters.folder.trim() || null,
      tag: filters.tag.trim() || null,
      favoritesOnly: filters.favoritesOnly,
      includeArchived: filters.includeArchived,
    },
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
            maxLength={100}
            value={filters.folder}
            onChange={(e) => setSearchParams({ folder: e.target.value })}
          />
          <TextField
            label="Tag"
            maxLength={50}
            value={filters.tag}
            onChange={(e) => setSearchParams({ tag: e.target.value })}
          />
          <CheckboxField
            label="Favourites only"
            checked={filters.favoritesOnly}
            onChange={(e) => setSearchParams({ favourites: e.target.checked ? "1" : null })}
          />
          <CheckboxField
            label="Show archived"
            checked={filters.includeArchived}
            onChange={(e) => setSearchParams({ archived: e.target.checked ? "1" : null })}
          />
        </fieldset>
        <QueryState result={mine} retry={refetchMine}>
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
          maxLength={100}
          type="search"
          value={search}
          onChange={(e) => setSearchParams({ q: e.target.value })}
        />
        {adding.error && <ErrorNotice error={adding.error} />}
        <QueryState result={catalogue} retry={refetchCatalogue}>
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
