import { useState } from "react";
import { useQuery } from "urql";
import type { MemoryType } from "../../../gql/graphql.ts";
import { getFragmentData } from "../../../gql/index.ts";
import { SelectField } from "../../components/Field.tsx";
import { Empty, QueryState } from "../../components/status.tsx";
import { setSearchParams, useSearchParam } from "../../lib/router.tsx";
import { AddMemory } from "./MemoryForm.tsx";
import { MemoryRow } from "./MemoryRow.tsx";
import { MEMORY_TYPES, MemoriesQuery, MemoryFields } from "./queries.ts";
import { SearchMemories } from "./SearchMemories.tsx";

/** The type filter lives in the URL (?type=fact): it survives a reload, Back and a shared link. */
export function useTypeFilter(): [MemoryType | "", (t: MemoryType | "") => void] {
  const raw = useSearchParam("type");
  const type = MEMORY_TYPES.some((t) => t.value === raw) ? (raw as MemoryType) : "";
  return [type, (t) => setSearchParams({ type: t || null })];
}

export function MemoriesScreen() {
  const [type, setType] = useTypeFilter();
  return (
    <section>
      <h1>Memories</h1>
      <p className="muted">What your agents remember about you. Only you can see these.</p>
      <AddMemory />
      <SearchMemories memoryType={type || null} clearType={() => setType("")} />
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
  const [result, refetch] = useQuery({ query: MemoriesQuery, variables: { memoryType, after } });
  return (
    <QueryState result={result} retry={refetch}>
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
