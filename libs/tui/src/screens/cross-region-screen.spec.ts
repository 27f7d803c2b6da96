import { describe, expect, it } from '@jest/globals';
import type { ExecutionView } from '@beacon/domain';
import { crossRows } from './cross-region-screen.js';

const row = (id: string, region: string, variant: string, replicate = 0) => ({ id, region, variant, replicate }) as ExecutionView;

describe(crossRows.name, () => {
  it('groups the answers by variant, then region and replicate, so a variant is read across regions with itself', () => {
    const rows = crossRows([
      row('1', 'us-east', 'lang=zh-Hans'),
      row('2', 'eu-west', ''),
      row('3', 'eu-west', 'lang=zh-Hans'),
      row('4', 'us-east', ''),
    ]);
    expect(rows.map((r) => [r.variant, r.region])).toEqual([
      ['', 'eu-west'],
      ['', 'us-east'],
      ['lang=zh-Hans', 'eu-west'],
      ['lang=zh-Hans', 'us-east'],
    ]);
  });
});
