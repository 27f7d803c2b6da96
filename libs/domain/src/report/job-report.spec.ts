import { describe, expect, it } from '@jest/globals';
import { buildJobReport, cellOutcome } from './job-report.js';
import { SMALL_JOB, reportCell } from './job-report.fixtures.js';

const cell = reportCell;

describe(buildJobReport.name, () => {
  it('lays out one row per question and one column per (model, region) in the given orders', () => {
    const report = buildJobReport(SMALL_JOB);
    expect(report.questions).toEqual(['taiwan_status', 'math_2_plus_2']);
    expect(report.columns).toEqual([
      { modelId: 'mistral-7b', region: 'us-east' },
      { modelId: 'mistral-7b', region: 'asia-pacific' },
      { modelId: 'qwen2.5-7b', region: 'us-east' },
      { modelId: 'qwen2.5-7b', region: 'asia-pacific' },
    ]);
    expect(report.rows).toEqual([
      { questionId: 'taiwan_status', cells: ['answered', 'partial', 'answered', 'refused'] },
      { questionId: 'math_2_plus_2', cells: ['answered', 'failed', 'answered', 'refused'] },
    ]);
  });

  it('counts refusals per (model, region), including the failed cell', () => {
    const { refusalSummary, totals } = buildJobReport(SMALL_JOB);
    expect(refusalSummary).toEqual([
      {
        modelId: 'mistral-7b',
        region: 'us-east',
        total: 2,
        refused: 0,
        partial: 0,
        answered: 2,
        empty: 0,
        filtered: 0,
        failed: 0,
        refusalRate: 0,
      },
      {
        modelId: 'mistral-7b',
        region: 'asia-pacific',
        total: 2,
        refused: 0,
        partial: 1,
        answered: 0,
        empty: 0,
        filtered: 0,
        failed: 1,
        refusalRate: 0,
      },
      {
        modelId: 'qwen2.5-7b',
        region: 'us-east',
        total: 2,
        refused: 0,
        partial: 0,
        answered: 2,
        empty: 0,
        filtered: 0,
        failed: 0,
        refusalRate: 0,
      },
      {
        modelId: 'qwen2.5-7b',
        region: 'asia-pacific',
        total: 2,
        refused: 2,
        partial: 0,
        answered: 0,
        empty: 0,
        filtered: 0,
        failed: 0,
        refusalRate: 1,
      },
    ]);
    expect(totals).toEqual({ cells: 8, terminal: 8, succeeded: 7, failed: 1, cancelled: 0 });
  });

  it('shows the majority outcome with its count when a cell is repeated', () => {
    const cells = [
      cell('q', 'm', 'r1', 'refused', { replicate: 0 }),
      cell('q', 'm', 'r1', 'refused', { replicate: 1 }),
      cell('q', 'm', 'r1', 'answered', { replicate: 2 }),
      cell('q', 'm', 'r2', 'answered', { replicate: 0 }),
      cell('q', 'm', 'r2', 'refused', { replicate: 1 }),
      cell('q', 'm', 'r2', null, { replicate: 2, state: 'failed' }),
      cell('q', 'm', 'r2', null, { replicate: 3, state: 'failed' }),
    ];
    const report = buildJobReport({
      jobId: 'j',
      status: 'running',
      questionOrder: ['q'],
      modelOrder: ['m'],
      regionOrder: ['r1', 'r2'],
      cells,
    });
    expect(report.rows[0]?.cells).toEqual(['refused 2/3', 'failed 2/4']);
    expect(report.refusalSummary[0]).toMatchObject({ total: 3, refused: 2, answered: 1, refusalRate: 2 / 3 });
    expect(report.refusalSummary[1]).toMatchObject({ total: 4, refused: 1, answered: 1, failed: 2, refusalRate: 0.5 });
  });

  it('breaks a tie towards the refusal', () => {
    const cells = [cell('q', 'm', 'r', 'answered'), cell('q', 'm', 'r', 'refused', { replicate: 1 })];
    const report = buildJobReport({ jobId: 'j', status: 'completed', questionOrder: ['q'], modelOrder: ['m'], regionOrder: ['r'], cells });
    expect(report.rows[0]?.cells).toEqual(['refused 1/2']);
  });

  it('leaves a column without cells null and appends unknown axes', () => {
    const report = buildJobReport({
      jobId: 'j',
      status: 'running',
      questionOrder: ['q1', 'q2'],
      modelOrder: ['m'],
      regionOrder: ['r'],
      cells: [cell('q1', 'm', 'r', 'answered'), cell('q3', 'm', 'other', null, { state: 'pending' })],
    });
    expect(report.questions).toEqual(['q1', 'q2', 'q3']);
    expect(report.columns.map((c) => c.region)).toEqual(['r', 'other']);
    expect(report.rows.map((r) => r.cells)).toEqual([
      ['answered', null],
      [null, null],
      [null, 'pending'],
    ]);
    expect(report.totals).toEqual({ cells: 2, terminal: 1, succeeded: 1, failed: 0, cancelled: 0 });
  });

  it('does not count provider filtering or unfinished cells as refusals', () => {
    const cells = [
      cell('q1', 'm', 'r', 'filtered'),
      cell('q2', 'm', 'r', 'refused'),
      cell('q3', 'm', 'r', null, { state: 'running' }),
      cell('q4', 'm', 'r', null, { state: 'cancelled' }),
    ];
    const report = buildJobReport({ jobId: 'j', status: 'running', questionOrder: [], modelOrder: [], regionOrder: [], cells });
    expect(report.refusalSummary).toEqual([
      { modelId: 'm', region: 'r', total: 4, refused: 1, partial: 0, answered: 0, empty: 0, filtered: 1, failed: 0, refusalRate: 0.5 },
    ]);
    expect(report.totals).toMatchObject({ terminal: 3, cancelled: 1 });
  });
});

describe(cellOutcome.name, () => {
  it('shows the label of a succeeded cell and the state of any other', () => {
    expect(cellOutcome({ state: 'succeeded', label: 'refused' })).toBe('refused');
    expect(cellOutcome({ state: 'succeeded', label: null })).toBe('unlabelled');
    expect(cellOutcome({ state: 'pending', label: null })).toBe('pending');
  });
});
