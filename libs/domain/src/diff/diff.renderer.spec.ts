import { describe, expect, it } from '@jest/globals';
import type { DiffSideView, DiffView } from '../views/api-views.types.js';
import { buildDiff } from './diff.builder.js';
import { SIDE_BY_SIDE_MIN_WIDTH, describeSide, renderDiff, wrapSegments } from './diff.renderer.js';

const side = (over: Partial<DiffSideView> = {}): DiffSideView => ({
  ref: 'e:1',
  kind: 'execution',
  executionId: '1',
  attemptId: '10',
  jobId: '5',
  questionId: 'q1',
  modelId: 'gpt-x',
  region: 'eu',
  replicate: 0,
  attempt: null,
  startedAt: null,
  systemPrompt: 'You are a helpful assistant.',
  userPrompt: 'Tell me about 1989.',
  parameters: { temperature: 0 },
  response: 'I will do my best to answer that question in detail.',
  classification: 'answered',
  finishReason: 'stop',
  ...over,
});

const sample = (): DiffView =>
  buildDiff(
    side(),
    side({
      ref: 'a:2',
      executionId: '2',
      response: 'I will not be able to answer that question, sorry.',
      classification: 'refused',
    }),
  );

const ANSI = /\x1b\[[0-9;]*m/;
const visible = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

describe(renderDiff.name, () => {
  it('writes no escape codes without colour, marking changes in text instead', () => {
    for (const width of [60, 140]) {
      for (const unified of [false, true]) {
        const out = renderDiff(sample(), { width, unified });
        expect(out).not.toMatch(/\x1b/);
        expect(out).toContain('[-');
        expect(out).toContain('{+');
      }
    }
  });

  it('colours changes, and does not use text marks, when colour is on', () => {
    const out = renderDiff(sample(), { width: 80, color: true });
    expect(out).toMatch(ANSI);
    expect(out).toContain('\x1b[31m');
    expect(out).toContain('\x1b[32m');
    expect(out).not.toContain('[-');
    expect(out).not.toContain('{+');
  });

  it('lays out side by side from the minimum width, a on the left and b on the right', () => {
    const out = renderDiff(sample(), { width: SIDE_BY_SIDE_MIN_WIDTH });
    const rows = out.split('\n').filter((l) => l.includes(' │ '));
    expect(rows.length).toBeGreaterThan(0);
    const [left, right] = rows[0]!.split(' │ ');
    expect(left).toContain('[-');
    expect(left).not.toContain('{+');
    expect(right).toContain('{+');
    expect(right).not.toContain('[-');
    const col = Math.floor((SIDE_BY_SIDE_MIN_WIDTH - 3) / 2);
    for (const row of rows) expect(row.indexOf(' │ ')).toBe(col);
  });

  it('is unified below the minimum width or when asked, with both kinds of change on one line', () => {
    for (const opts of [{ width: SIDE_BY_SIDE_MIN_WIDTH - 1 }, { width: 160, unified: true }]) {
      const out = renderDiff(sample(), opts);
      expect(out).not.toContain(' │ ');
      expect(out.split('\n').some((l) => l.includes('[-') && l.includes('{+'))).toBe(true);
    }
  });

  it('keeps every line within the width', () => {
    const long = side({ response: `${'word '.repeat(80)}end`, userPrompt: 'x'.repeat(300) });
    const d = buildDiff(long, side({ response: `${'other '.repeat(70)}end`, userPrompt: 'y'.repeat(250) }));
    for (const [width, unified] of [
      [60, false],
      [100, false],
      [130, false],
      [130, true],
    ] as const) {
      for (const color of [false, true]) {
        const body = renderDiff(d, { width, unified, color }).split('\n').slice(2);
        for (const line of body) expect(visible(line).length).toBeLessThanOrEqual(width);
      }
    }
  });

  it('marks equal fields as same, shows empty ones as (empty), and ends with a summary', () => {
    const out = renderDiff(buildDiff(side({ systemPrompt: null }), side({ systemPrompt: null })), { width: 80 });
    expect(out).toContain('systemPrompt (same)\n  (empty)\n');
    expect(out.endsWith('identical in every compared field\n')).toBe(true);
    expect(renderDiff(sample(), { width: 80 })).toMatch(/differs in response, classification\n$/);
  });

  it('neutralises control characters from stored text', () => {
    const d = buildDiff(side({ response: 'safe\x1b[2Jtext\x07' }), side({ response: 'other' }));
    const out = renderDiff(d, { width: 80 });
    expect(out).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
  });
});

describe(describeSide.name, () => {
  it('names the ref, execution, legacy id, attempt and cell', () => {
    expect(describeSide(side({ ref: 'l:77', legacyId: '77', attempt: 2, replicate: 3, startedAt: '2025-01-01T00:00:00Z' }))).toBe(
      'l:77: execution 1 (legacy 77) attempt 2 · eu · gpt-x · q1 #3 · 2025-01-01T00:00:00Z',
    );
    expect(describeSide(side())).toBe('e:1: execution 1 · eu · gpt-x · q1');
  });
});

describe(wrapSegments.name, () => {
  it('breaks after spaces and at newlines, moving a word that fits a fresh line there whole', () => {
    const lines = wrapSegments(
      [
        { text: 'alpha beta gamma\ndelta ', op: 'equal' },
        { text: 'abcdefgh', op: 'equal' },
      ],
      10,
      false,
    );
    expect(lines).toEqual(['alpha ', 'beta gamma', 'delta ', 'abcdefgh']);
  });

  it('splits a word longer than the width without losing characters', () => {
    const lines = wrapSegments(
      [
        { text: 'ab ', op: 'equal' },
        { text: 'c'.repeat(25), op: 'equal' },
      ],
      10,
      false,
    );
    expect(lines.every((l) => l.length <= 10)).toBe(true);
    expect(lines.join('')).toBe(`ab ${'c'.repeat(25)}`);
  });

  it('counts text marks toward the width and closes every mark on its own line', () => {
    const lines = wrapSegments([{ text: 'one two three four', op: 'removed' }], 12, false);
    for (const l of lines) {
      expect(l.length).toBeLessThanOrEqual(12);
      expect(l).toMatch(/^\[-.*-\]$/);
    }
    expect(lines.map((l) => l.slice(2, -2)).join('')).toBe('one two three four');
  });

  it('gives one empty line for no text', () => {
    expect(wrapSegments([], 10, false)).toEqual(['']);
  });
});
