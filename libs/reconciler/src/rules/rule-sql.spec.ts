import { describe, expect, it } from '@jest/globals';
import { cellLabel, someCells, type CellKey } from './rule-sql.js';

const c = (questionId: string, replicate = 0): CellKey => ({
  questionId,
  modelId: 'llama3.2-1b',
  region: 'eu-west',
  variant: '',
  replicate,
});

describe('cell labels in rule summaries', () => {
  it('names a cell as (region, model, question), with its replicate only when the spec repeats or it is not 0', () => {
    expect(cellLabel(c('math_basic'), 1)).toBe('(eu-west, llama3.2-1b, math_basic)');
    expect(cellLabel(c('math_basic'), 3)).toBe('(eu-west, llama3.2-1b, math_basic, replicate 0)');
    expect(cellLabel(c('math_basic', 2), 1)).toBe('(eu-west, llama3.2-1b, math_basic, replicate 2)');
  });

  it('names a few cells and says how many more there are', () => {
    const cells = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((q) => c(q));
    expect(someCells(cells.slice(0, 2), 2, 1)).toBe('(eu-west, llama3.2-1b, a), (eu-west, llama3.2-1b, b)');
    expect(someCells(cells, 120, 1, 2)).toBe('(eu-west, llama3.2-1b, a), (eu-west, llama3.2-1b, b) and 118 more');
  });
});
