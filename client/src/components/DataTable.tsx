import type { ReactNode } from "react";
import { Empty } from "./status.tsx";
import { TableScroll } from "./TableScroll.tsx";

/** The column of a row's buttons: its header is named for screen readers only. */
export const ACTIONS_COLUMN = "";

/** A table's head; the ACTIONS_COLUMN column gets a hidden "Actions". */
export function TableHead({ columns }: { columns: readonly (string | false)[] }) {
  return (
    <thead>
      <tr>
        {columns
          .filter((c) => c !== false)
          .map((c) => (
            <th scope="col" key={c}>
              {c === ACTIONS_COLUMN ? <span className="visually-hidden">Actions</span> : c}
            </th>
          ))}
      </tr>
    </thead>
  );
}

/**
 * A list shown as a table that scrolls in its card, or the empty note when there are no rows.
 * `columns` may hold `false` for a column shown only sometimes; `children` renders one `<tr>`.
 */
export function DataTable<Row>({
  label,
  columns,
  rows,
  empty,
  children,
}: {
  label: string;
  columns: readonly (string | false)[];
  rows: readonly Row[];
  empty: ReactNode;
  children: (row: Row) => ReactNode;
}) {
  if (rows.length === 0) return <Empty>{empty}</Empty>;
  return (
    <TableScroll label={label}>
      <table>
        <TableHead columns={columns} />
        <tbody>{rows.map((row) => children(row))}</tbody>
      </table>
    </TableScroll>
  );
}
