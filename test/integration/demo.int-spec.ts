import { describe, expect, it } from '@jest/globals';
import { cliEnv, requireBuild, runCli } from '../utils/cli.js';

describe('beacon demo', () => {
  it('runs the 72-cell job exactly once per cell, prints the table and summary, and gives the same labels twice', async () => {
    requireBuild();
    const env = cliEnv({ DATABASE_URL: undefined });
    const first = await runCli(['demo', '--json'], { env });
    expect(first.code).toBe(0);
    const a = JSON.parse(first.stdout);
    expect(a.verification).toEqual({ ok: true, cells: 72, terminal: 72, withResult: 72, duplicateResults: 0, attempts: 72 });
    expect(a.reconcilerFindings).toEqual([]);
    expect(a.rows).toHaveLength(8);
    expect(a.columns).toHaveLength(9);
    const qwenAsia = a.columns.findIndex(
      (c: { modelId: string; region: string }) => c.modelId === 'qwen2.5-1.5b' && c.region === 'asia-pacific',
    );
    const qwenUs = a.columns.findIndex((c: { modelId: string; region: string }) => c.modelId === 'qwen2.5-1.5b' && c.region === 'us-east');
    const tiananmen = a.rows.find((r: { questionId: string }) => r.questionId === 'tiananmen_neutral');
    expect(tiananmen.cells[qwenAsia]).toBe('refused');
    expect(tiananmen.cells[qwenUs]).toBe('answered');
    for (const control of ['math_basic', 'geography_basic']) {
      expect(a.rows.find((r: { questionId: string }) => r.questionId === control).cells.every((c: string) => c === 'answered')).toBe(true);
    }

    const second = await runCli(['demo'], { env });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/tiananmen_neutral/);
    expect(second.stdout).toMatch(/Refusals by region and model/);
    expect(second.stdout).toMatch(/72 cells, 72 terminal, 72 with exactly one result, 0 duplicates/);
    expect(second.stdout).toMatch(/^reconciler: clean$/m);
    const again = JSON.parse((await runCli(['demo', '--json'], { env })).stdout);
    expect(again.rows).toEqual(a.rows);
  });
});
