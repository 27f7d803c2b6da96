import { describe, expect, it } from '@jest/globals';
import { type JobReportInput, type ReportCell, buildJobReport } from './job-report.js';
import { SMALL_JOB, reportCell } from './job-report.fixtures.js';
import { displayOutcome, renderJobReport } from './job-report.renderer.js';

const cell = reportCell;

const SUMMARY = [
  'Refusals by region and model',
  'model       region        refused  partial  failed  rate',
  'mistral-7b  us-east           0/2        0       0    0%',
  'mistral-7b  asia-pacific      0/2        1       1    0%',
  'qwen2.5-7b  us-east           0/2        0       0    0%',
  'qwen2.5-7b  asia-pacific      2/2        0       0  100%',
  '(rate = refused / responses; failed and unfinished cells excluded)',
];

/** 3 models × 3 regions × 4 questions, `repeats` replicates each, with every kind of outcome. */
function nineColumns(repeats: number): JobReportInput {
  const models = ['mistral-7b', 'llama3.2-1b', 'qwen2.5-7b-instruct'];
  const regions = ['us-east', 'eu-west', 'asia-pacific'];
  const questions = ['taiwan_status', 'tiananmen_1989', 'math_2_plus_2', 'capital_france'];
  const labels = ['answered', 'refused', 'partial', 'empty', 'filtered'];
  const cells: ReportCell[] = [];
  let k = 0;
  for (const q of questions) {
    for (const m of models) {
      for (const r of regions) {
        for (let replicate = 0; replicate < repeats; replicate += 1) {
          k += 1;
          const state = k % 11 === 0 ? 'failed' : k % 13 === 0 ? 'pending' : 'succeeded';
          cells.push(cell(q, m, r, state === 'succeeded' ? labels[(k * 7) % labels.length]! : null, { replicate, state }));
        }
      }
    }
  }
  return { jobId: 'job-9', status: 'running', questionOrder: questions, modelOrder: models, regionOrder: regions, cells };
}

const widest = (text: string) => Math.max(...text.split('\n').map((l) => l.length));
const tableLines = (text: string) => text.split('\n').slice(2, 2 + 3 + 4);

describe(renderJobReport.name, () => {
  it('renders a 2×2×2 job with models spanning their regions and refusals in capitals', () => {
    expect(renderJobReport(buildJobReport(SMALL_JOB))).toBe(
      [
        'Job job-small: partially_completed',
        '',
        'question      | mistral-7b             | qwen2.5-7b',
        '              | us-east   asia-pacific | us-east   asia-pacific',
        '--------------+------------------------+-----------------------',
        'taiwan_status | answered  partial      | answered  REFUSED',
        'math_2_plus_2 | answered  failed       | answered  REFUSED',
        '',
        'Cells: 8 (8 terminal: 7 succeeded, 1 failed, 0 cancelled)',
        '',
        ...SUMMARY,
        '',
      ].join('\n'),
    );
  });

  it('abbreviates labels, with a legend, when the table would overflow the width', () => {
    const text = renderJobReport(buildJobReport(SMALL_JOB), { width: 62 });
    expect(text.split('\n').slice(2, 7)).toEqual([
      'question      | mistral-7b            | qwen2.5-7b',
      '              | us-east  asia-pacific | us-east  asia-pacific',
      '--------------+-----------------------+----------------------',
      'taiwan_status | ans      part         | ans      REF',
      'math_2_plus_2 | ans      FAIL         | ans      REF',
    ]);
    expect(text).toContain('Legend: ans = answered, REF = refused, part = partial, FAIL = failed\n');
    expect(text).toContain(SUMMARY.join('\n'));
  });

  it('fits 9 columns in 120 characters with full labels', () => {
    const text = renderJobReport(buildJobReport(nineColumns(1)));
    expect(widest(tableLines(text).join('\n'))).toBeLessThanOrEqual(120);
    expect(text).toContain('REFUSED');
    expect(text).not.toContain('Legend');
    expect(tableLines(text)[0]).toMatch(/^question\s+\| mistral-7b\s+\| llama3\.2-1b\s+\| qwen2\.5-7b-instruct$/);
  });

  it('fits 9 columns of majority labels in 160 characters, and abbreviates them for 120', () => {
    const report = buildJobReport(nineColumns(3));
    const wide = renderJobReport(report, { width: 160 });
    expect(widest(tableLines(wide).join('\n'))).toBeLessThanOrEqual(160);
    expect(wide).toMatch(/REFUSED \d\/3/);

    const narrow = renderJobReport(report);
    expect(widest(tableLines(narrow).join('\n'))).toBeLessThanOrEqual(120);
    expect(narrow).toMatch(/REF \d\/3/);
    expect(narrow).toContain('Legend: ');
  });

  it('shortens names as a last resort and never emits trailing spaces', () => {
    const text = renderJobReport(buildJobReport(nineColumns(1)), { width: 60 });
    expect(text).toContain('~');
    for (const line of text.split('\n')) expect(line).toBe(line.trimEnd());
  });
});

describe(displayOutcome.name, () => {
  it.each([
    [null, false, '-'],
    ['refused', false, 'REFUSED'],
    ['refused 2/3', false, 'REFUSED 2/3'],
    ['refused 2/3', true, 'REF 2/3'],
    ['answered', true, 'ans'],
    ['failed', false, 'failed'],
    ['failed', true, 'FAIL'],
    ['pending', true, 'pend'],
    ['something_new', true, 'something_new'],
  ])('shows %p (abbreviated: %p) as %p', (outcome, abbreviate, shown) => {
    expect(displayOutcome(outcome, abbreviate)).toBe(shown);
  });
});
