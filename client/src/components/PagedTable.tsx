import { Fragment, type ReactNode, useState } from "react";
import type { CombinedError } from "urql";
import { TableHead } from "./DataTable.tsx";
import { Empty, ErrorNotice, type Retry } from "./status.tsx";
import { TableScroll } from "./TableScroll.tsx";

/** Where one page of a paged table stands: its cursor, and how to ask for the next page. */
export interface PageProps {
  after: string | null;
  isFirst: boolean;
  isLast: boolean;
  onMore: (cursor: string) => void;
}

/**
 * A log read a page at a time, newest first: each page is its own query, so a page already read
 * stays as it was while "Load more" adds the next. A new `filterKey` starts again from the top.
 */
export function PagedTable({
  label,
  columns,
  filterKey,
  page,
}: {
  label: string;
  columns: readonly string[];
  filterKey: string;
  page: (props: PageProps) => ReactNode;
}) {
  return (
    <TableScroll label={label}>
      <table>
        <TableHead columns={columns} />
        <Pages key={filterKey} page={page} />
      </table>
    </TableScroll>
  );
}

function Pages({ page }: { page: (props: PageProps) => ReactNode }) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return (
    <tbody>
      {cursors.map((after, i) => (
        <Fragment key={after ?? ""}>
          {page({
            after,
            isFirst: i === 0,
            isLast: i === cursors.length - 1,
            onMore: (c) => setCursors((cs) => [...cs, c]),
          })}
        </Fragment>
      ))}
    </tbody>
  );
}

interface Connection<N> {
  edges: readonly { node: N }[];
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
}

/** One page's rows: loading, an error with retry, the empty note on the first page, "Load more" after the last. */
export function PageRows<N extends { id: string }>({
  span,
  connection,
  error,
  retry,
  empty,
  isFirst,
  isLast,
  onMore,
  children,
}: Omit<PageProps, "after"> & {
  span: number;
  connection: Connection<N> | undefined;
  error: CombinedError | undefined;
  retry: Retry;
  empty: ReactNode;
  children: (node: N) => ReactNode;
}) {
  const row = (content: ReactNode) => (
    <tr>
      <td colSpan={span}>{content}</td>
    </tr>
  );
  if (error && !connection) return row(<ErrorNotice error={error} retry={retry} />);
  if (!connection) return row(<span className="muted">Loading…</span>);
  const { edges, pageInfo } = connection;
  return (
    <>
      {isFirst && edges.length === 0 && row(<Empty>{empty}</Empty>)}
      {edges.map(({ node }) => (
        <Fragment key={node.id}>{children(node)}</Fragment>
      ))}
      {isLast &&
        pageInfo.hasNextPage &&
        pageInfo.endCursor &&
        row(
          <button type="button" onClick={() => onMore(pageInfo.endCursor as string)}>
            Load more
          </button>,
        )}
    </>
  );
}
