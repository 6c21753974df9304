// Flagged items of one source, grouped: a feed of near-identical posts (the same text with another
// number or emoji) is one entry with a count, not 150 rows. A category filter (in the URL, like
// every filter) narrows them.
import { useId } from "react";
import type { FlaggedItemFieldsFragment } from "../../../gql/graphql.ts";
import { type FragmentType, getFragmentData, graphql } from "../../../gql/index.ts";
import { SelectField } from "../../components/Field.tsx";
import { setSearchParams, useSearchParam } from "../../lib/router.tsx";

/** What this component reads of a flagged item; the run's documents spread it. */
export const FlaggedItemFields = graphql(`
  fragment FlaggedItemFields on FlaggedItem {
    contentItemId
    excerpt
    score
    reasons {
      category
      rule
      severity
      term
      why
    }
  }
`);

type Flagged = FlaggedItemFieldsFragment;

/** Texts that differ only in case, digits, punctuation or spacing count as the same. */
export function groupKey(excerpt: string): string {
  return excerpt
    .toLowerCase()
    .replace(/[\p{N}\p{P}\p{S}]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
}

export interface FlaggedGroup {
  key: string;
  first: Flagged;
  count: number;
  topScore: number;
}

export function groupFlagged(items: readonly Flagged[]): FlaggedGroup[] {
  const groups = new Map<string, FlaggedGroup>();
  for (const item of items) {
    const key = groupKey(item.excerpt);
    const g = groups.get(key);
    if (g) {
      g.count++;
      g.topScore = Math.max(g.topScore, item.score);
    } else groups.set(key, { key, first: item, count: 1, topScore: item.score });
  }
  return [...groups.values()].sort((a, b) => b.topScore - a.topScore || b.count - a.count);
}

export function FlaggedItems(props: { source: string; items: readonly FragmentType<typeof FlaggedItemFields>[] }) {
  const { source } = props;
  const items = getFragmentData(FlaggedItemFields, props.items);
  const id = useId();
  const param = `flag-${source}`;
  const category = useSearchParam(param) ?? "";
  const categories = [...new Set(items.flatMap((i) => i.reasons.map((r) => r.category)))].sort();
  const matching = category ? items.filter((i) => i.reasons.some((r) => r.category === category)) : items;
  const groups = groupFlagged(matching);
  return (
    <details open={!!category}>
      <summary>Flagged items ({items.length})</summary>
      {categories.length > 1 && (
        <div className="filters">
          <SelectField
            label="Category"
            value={category}
            onChange={(e) => setSearchParams({ [param]: e.target.value || null })}
          >
            <option value="">All categories</option>
            {categories.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </SelectField>
        </div>
      )}
      <p className="muted small" id={`${id}-n`}>
        {category ? `${matching.length} of ${items.length} flagged items are “${category}”. ` : ""}
        {groups.length < matching.length
          ? `${matching.length} items in ${groups.length} groups of similar texts, highest score first.`
          : "Highest score first."}
      </p>
      <ol className="flagged" aria-describedby={`${id}-n`}>
        {groups.map(({ key, first, count, topScore }) => (
          <li key={key}>
            <blockquote>{first.excerpt}</blockquote>
            <p className="muted small">
              score {topScore.toFixed(1)}
              {count > 1 && <span className="badge">{count} similar items</span>}
            </p>
            <ul>
              {first.reasons.map((reason) => (
                <li key={`${reason.rule}:${reason.term}`}>
                  <strong>{reason.category}</strong> — “{reason.term}”: {reason.why}{" "}
                  <span className="muted small">
                    (severity {reason.severity.toFixed(1)}, rule {reason.rule})
                  </span>
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ol>
    </details>
  );
}
