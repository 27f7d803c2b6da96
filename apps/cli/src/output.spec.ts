import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { formatTable, type Column } from './output.js';

interface Row {
  id: string;
  summary: string;
}

const columns: Column<Row>[] = [
  { header: 'ID', value: (r) => r.id },
  { header: 'SUMMARY', value: (r) => r.summary, flex: true },
];

describe('formatTable', () => {
  it('keeps every value whole without a width (--wide, or not a terminal)', () => {
    const rows = [{ id: '1', summary: 'x'.repeat(300) }];
    expect(formatTable(rows, columns)).toContain('x'.repeat(300));
  });

  it('fits any width it can: flexible columns are cut with …, the others and the headers are kept', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.stringMatching(/^[0-9]{1,6}$/), summary: fc.string({ maxLength: 200 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.integer({ min: 20, max: 200 }),
        (rows, width) => {
          const lines = formatTable(rows, columns, { width }).trimEnd().split('\n');
          expect(lines[0]).toMatch(/^ID\s+SUMMARY$/);
          const idWidth = Math.max(2, ...rows.map((r) => r.id.length));
          for (const [i, line] of lines.entries()) {
            expect(line.length).toBeLessThanOrEqual(width);
            if (i === 0) continue;
            const row = rows[i - 1]!;
            expect(line.slice(0, idWidth).trimEnd()).toBe(row.id);
            const shown = line.slice(idWidth + 2);
            const summary = row.summary.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
            if (shown.endsWith('…') && !summary.trimEnd().endsWith('…')) expect(summary.startsWith(shown.slice(0, -1))).toBe(true);
            else expect(shown).toBe(summary.trimEnd());
          }
        },
      ),
    );
  });
});
