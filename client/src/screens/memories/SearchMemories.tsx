import { useState } from "react";
import { useQuery } from "urql";
import type { MemoryType } from "../../../gql/graphql.ts";
import { getFragmentData } from "../../../gql/index.ts";
import { TextField } from "../../components/Field.tsx";
import { Empty, Loading, QueryState } from "../../components/status.tsx";
import { setSearchParams, useSearchParam } from "../../lib/router.tsx";
import { MemoryRow } from "./MemoryRow.tsx";
import { MEMORY_TYPES, MemoryFields, SearchMemoriesQuery, scorePercent } from "./queries.ts";

/**
 * Search always ranks every memory, so a query about nothing still returns the nearest ones with a
 * similarity near zero. Below this share they are noise: hidden, and the screen says so.
 */
export const RELEVANCE_FLOOR = 0.2;

export function splitByRelevance<T extends { score: number }>(hits: readonly T[], floor = RELEVANCE_FLOOR) {
  return { relevant: hits.filter((h) => h.score >= floor), weak: hits.filter((h) => h.score < floor) };
}

export function SearchMemories({ memoryType, clearType }: { memoryType: MemoryType | null; clearType: () => void }) {
  // The query is in the URL (?q=…) like the type filter, so Back returns to the results.
  const query = useSearchParam("q")?.trim() || null;
  const [text, setText] = useState(query ?? "");
  const [showWeak, setShowWeak] = useState(false);
  const [result, refetch] = useQuery({
    query: SearchMemoriesQuery,
    variables: { query: query ?? "", memoryType },
    pause: !query,
    requestPolicy: "network-only",
  });
  const typeLabel = MEMORY_TYPES.find((t) => t.value === memoryType)?.label.toLowerCase();
  return (
    <div className="card">
      <h2 id="search-h">Search by meaning</h2>
      <search aria-labelledby="search-h">
        <form
          className="row search-form"
          onSubmit={(e) => {
            e.preventDefault();
            setShowWeak(false);
            setSearchParams({ q: text.trim() || null }, { push: true });
          }}
        >
          <TextField
            label="Search memories"
            type="search"
            maxLength={1000}
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder="e.g. which programming language do I like?"
          />
          <button type="submit">Search</button>
        </form>
      </search>
      {typeLabel && (
        <p className="filter-note">
          Searching {typeLabel} memories only (the type filter below).{" "}
          <button type="button" className="link" onClick={clearType}>
            Search all types
          </button>
        </p>
      )}
      {query &&
        (result.fetching && !result.data ? (
          <Loading label="Searching…" />
        ) : (
          <QueryState result={result} retry={refetch}>
            {(data) => {
              const { relevant, weak } = splitByRelevance(data.searchMemories);
              const shown = showWeak ? data.searchMemories : relevant;
              return (
                <>
                  {shown.length === 0 ? (
                    <Empty>No memory matches “{query}”.</Empty>
                  ) : (
                    <ol className="list" aria-label="Search results">
                      {shown.map((hit) => {
                        const memory = getFragmentData(MemoryFields, hit.memory);
                        return (
                          <li key={memory.id}>
                            <MemoryRow memory={memory} score={hit.score} />
                          </li>
                        );
                      })}
                    </ol>
                  )}
                  {weak.length > 0 && (
                    <p className="muted small">
                      {showWeak
                        ? `Including ${weak.length} weak match${weak.length === 1 ? "" : "es"} (under ${scorePercent(RELEVANCE_FLOOR)}%).`
                        : `${weak.length} weak match${weak.length === 1 ? "" : "es"} under ${scorePercent(RELEVANCE_FLOOR)}% hidden.`}{" "}
                      <button type="button" className="link" onClick={() => setShowWeak((v) => !v)}>
                        {showWeak ? "Hide them" : "Show them"}
                      </button>
                    </p>
                  )}
                </>
              );
            }}
          </QueryState>
        ))}
    </div>
  );
}
