import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { render } from 'ink-testing-library';
import { BeaconApiClient } from '@beacon/api-client';
import { sparkline, trendCells } from '@beacon/domain';
import { createRunnerApp } from '@beacon/runner';
import { App } from '@beacon/tui';
import type { INestApplication } from '@nestjs/common';
import { KEY, press, waitForText } from '../utils/ink-frames.js';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';
import { expectedSeries, readSeriesRows, writeHistory, type GenHistory, type GenReplicate } from '../utils/trend-history.js';

const plain = { color: false };
const ok = (classification: string, response = classification): GenReplicate => ({ state: 'succeeded', classification, response });

/**
 * The Trends screen against a real runner and database: a schedule of 12 runs whose one cell flips from answered to
 * refused and back, drawn as a sparkline with the flips marked, opened from the jobs screen and by `trend`.
 */
describe('TUI: Trends screen', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let api: BeaconApiClient;
  const mounted: { unmount(): void }[] = [];
  const mount = (node: Parameters<typeof render>[0]) => {
    const ui = render(node);
    mounted.push(ui);
    return ui;
  };
  // Cell (q_flip, m1, us-east): answered ×5, refused ×4, answered ×3 → 2 flips; (q_flip, m1, eu-west): half refused each run.
  const history: GenHistory = {
    questions: [{ id: 'q_flip', category: 'bias' }],
    models: ['m1'],
    regions: ['us-east', 'eu-west'],
    runs: Array.from({ length: 12 }, (_, i) => ({
      status: 'completed' as const,
      createdAtS: i * 60,
      cells: [
        [i >= 5 && i < 9 ? ok('refused', "I can't help with that.") : ok('answered', 'Here is the answer.')],
        [ok('refused'), ok('answered')],
      ],
    })),
  };
  let ids: string[];

  beforeAll(async () => {
    db = await migratedDatabase('trendstui');
    app = await createRunnerApp({
      dataSource: db.ds,
      config: (await import('@beacon/domain')).defaultConfig(),
      logger: false,
      engine: null,
    });
    await app.listen(0, '127.0.0.1');
    api = new BeaconApiClient(`http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`);
    ids = await writeHistory(db.ds, 'nightly', history);
  });
  afterAll(async () => {
    for (const ui of mounted) ui.unmount();
    await app?.close();
    await db?.close();
  });

  it('draws a sparkline per cell from the series, marks the flips, and moves, filters and switches to labels', async () => {
    const ui = mount(<App api={api} trend={['nightly']} theme={plain} />);
    let frame = await waitForText(ui, '[Trends]', 'runs 1–12 of 12', 'q_flip m1 us-east');
    const expected = trendCells(expectedSeries(await readSeriesRows(db.ds, ids)));
    for (const c of expected) {
      const line = frame.split('\n').find((l) => l.includes(`${c.questionId} ${c.model} ${c.region} `))!;
      expect(line).toContain(sparkline(c.rates));
      expect(line).toMatch(new RegExp(`${c.lastLabel}\\s+${c.flips} flip`));
    }
    expect(frame).toMatch(/q_flip m1 eu-west .*▅{12}.*refused\s+0 flip\s+1\.00/);
    expect(frame).toMatch(/q_flip m1 us-east .*▁{5}█{4}▁{3}.*answered\s+2 flip\s+1\.00/);
    expect(frame).toContain('schedule nightly: 2 of 2 cells');
    // The selected row is eu-west (regions in code-unit order); move to us-east: carets under runs 6 and 10.
    frame = await press(ui, 'j', (f) => f.includes('› q_flip m1 us-east'));
    const rowLine = frame.split('\n').find((l) => l.startsWith('› q_flip m1 us-east'))!;
    const caretLine = frame.split('\n').find((l) => /^\s+\^/.test(l))!;
    const stripStart = rowLine.indexOf('▁');
    expect([...caretLine].map((ch, i) => (ch === '^' ? i - stripStart : null)).filter((x) => x !== null)).toEqual([5, 9]);
    expect(frame).toContain('flips at run 6 answered→refused, 10 refused→answered');
    frame = await press(ui, 'm', (f) => f.includes('AAAAARRRRAAA'));
    expect(frame).toMatch(/q_flip m1 eu-west .*R{12}/);
    await press(ui, '/', (f) => f.includes('cells (question='));
    ui.stdin.write('flips=yes');
    await waitForText(ui, 'flips=yes');
    frame = await press(ui, KEY.enter, (f) => f.includes('1 of 2 cells'));
    expect(frame).not.toContain('q_flip m1 eu-west');
  });

  it("opens from the jobs screen with t: the selected job's schedule", async () => {
    const ui = mount(<App api={api} theme={plain} />);
    await waitForText(ui, '[Jobs]', 'nightly-12');
    await press(ui, 't', (f) => f.includes('[Trends]') && f.includes('runs 1–12 of 12'));
  });

  it('a job alone when its id names no schedule with a series', async () => {
    const ui = mount(<App api={api} trend={['nightly-3']} theme={plain} />);
    const frame = await waitForText(ui, '[Trends]', 'runs 1–1 of 1');
    expect(frame).toContain('1 job(s)');
  });
});
