import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { appReducer, initialState } from './app.reducer.js';
import { nextSort, sortNote, sortRows, UNSORTED, type SortColumn } from './table-sort.js';

interface Row {
  readonly id: number;
  readonly failed: number;
  readonly status: string;
}
const COLUMNS: readonly SortColumn<Row>[] = [
  { title: 'FAIL', value: (r) => r.failed },
  { title: 'STATUS', value: (r) => r.status },
];

describe(sortRows.name, () => {
  it('orders by the column, either way, ties in the API order; unsorted keeps the API order', () => {
    const row = fc.record({ id: fc.nat(), failed: fc.nat(5), status: fc.constantFrom('running', 'completed', 'failed') });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 30 }), fc.integer({ min: -1, max: 1 }), fc.boolean(), (rows, column, descending) => {
        const sorted = sortRows(rows, COLUMNS, { column, descending });
        if (column < 0) return expect(sorted).toEqual(rows);
        // Independent: for each pair of neighbours, the order by value, and by position in the input when equal.
        const key = (r: Row) => (column === 0 ? r.failed : r.status);
        expect([...sorted].sort((a, b) => rows.indexOf(a) - rows.indexOf(b))).toEqual(rows);
        for (let i = 1; i < sorted.length; i++) {
          const [a, b] = [sorted[i - 1]!, sorted[i]!];
          if (key(a) === key(b)) expect(rows.indexOf(a)).toBeLessThan(rows.indexOf(b));
          else expect(descending ? key(a) > key(b) : key(a) < key(b)).toBe(true);
        }
      }),
    );
  });

  it('s steps through the columns and back to the API order; the note names the column and direction', () => {
    let s = UNSORTED;
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) seen.push((s = nextSort(s, 2)).column);
    expect(seen).toEqual([0, 1, -1]);
    expect(sortNote(COLUMNS, { column: 0, descending: true })).toBe('sorted by FAIL ▼');
    expect(sortNote(COLUMNS, { column: 1, descending: false })).toBe('sorted by STATUS ▲');
    expect(sortNote(COLUMNS, UNSORTED)).toBe('');
  });

  it('in the app state: sort/next and sort/reverse per screen; S with no sort says how to sort', () => {
    let s = appReducer(initialState(), { type: 'sort/next', screen: 'jobs', columns: 6 });
    expect(s.sorts.jobs).toEqual({ column: 0, descending: true });
    s = appReducer(s, { type: 'sort/reverse', screen: 'jobs' });
    expect(s.sorts.jobs).toEqual({ column: 0, descending: false });
    expect(s.sorts.findings).toBeUndefined();
    expect(appReducer(initialState(), { type: 'sort/reverse', screen: 'jobs' }).status).toContain('press s');
  });
});
