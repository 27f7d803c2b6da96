/** How a table is sorted: by which of its sortable columns (-1: as the API lists it) and which way. */
export interface TableSort {
  readonly column: number;
  readonly descending: boolean;
}

export const UNSORTED: TableSort = { column: -1, descending: true };

/**
 * The sort after `s`: the next column, largest first; after the last column, back to the API's order. `S` flips the
 * direction of the column in force instead.
 */
export function nextSort(sort: TableSort, columns: number): TableSort {
  const column = sort.column + 1 >= columns ? -1 : sort.column + 1;
  return { column, descending: true };
}

/** One sortable column: its title (as the header shows it) and the value rows are ordered by. */
export interface SortColumn<R> {
  readonly title: string;
  readonly value: (row: R) => number | string;
}

/** Rows in the order `sort` asks for; ties (and the API's order) keep their order, so equal rows never jump about. */
export function sortRows<R>(rows: readonly R[], columns: readonly SortColumn<R>[], sort: TableSort): readonly R[] {
  const col = columns[sort.column];
  if (!col) return rows;
  const dir = sort.descending ? -1 : 1;
  return rows
    .map((row, i) => ({ row, i, v: col.value(row) }))
    .sort((a, b) => (a.v < b.v ? -dir : a.v > b.v ? dir : a.i - b.i))
    .map((x) => x.row);
}

/** The header's note on the sort: `sorted by FAIL ▼`, or nothing in the API's order. */
export function sortNote<R>(columns: readonly SortColumn<R>[], sort: TableSort): string {
  const col = columns[sort.column];
  return col ? `sorted by ${col.title} ${sort.descending ? '▼' : '▲'}` : '';
}
