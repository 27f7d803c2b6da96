import { describe, expect, it } from '@jest/globals';
import type { FindingView } from '@beacon/domain';
import type { TimelineAttemptView } from '@beacon/domain';
import { attemptDetail, attemptPrompts, evidenceLines, findingDetail, osc52, traceLink } from './detail-text.js';

const finding: FindingView = {
  id: '41',
  ruleId: 'duplicate_cell',
  severity: 'critical',
  fingerprint: 'x',
  jobId: 'incident',
  summary: 'cell (us-east, qwen2.5-1.5b, batch) ran twice: 953 answered, 955 refused, 3 min 23 s apart',
  evidence: { executionIds: [953, 955], gapMs: 203000 },
  firstSeenAt: '2025-09-30T15:15:05.000Z',
  lastSeenAt: '2025-09-30T15:18:32.000Z',
  resolvedAt: null,
  occurrences: 2,
};

describe('details', () => {
  it('osc52 carries the text base64-encoded, so any id (and any character) reaches the clipboard intact', () => {
    const seq = osc52('4bf92f3577b34da6 é');
    expect(seq.startsWith('\u001B]52;c;')).toBe(true);
    expect(seq.endsWith('\u0007')).toBe(true);
    expect(Buffer.from(seq.slice(7, -1), 'base64').toString('utf8')).toBe('4bf92f3577b34da6 é');
  });

  it('fills {traceId} in the trace template; no template, no link', () => {
    expect(traceLink('https://tempo.example/trace/{traceId}?x={traceId}', 'ab/c')).toBe('https://tempo.example/trace/ab%2Fc?x=ab%2Fc');
    expect(traceLink(undefined, 'abc')).toBeNull();
    expect(traceLink('https://t/{traceId}', null)).toBeNull();
  });

  it('a finding in full: severity, rule, job, times, the whole summary and each piece of evidence as refs', () => {
    expect(evidenceLines(finding)).toEqual(['executionIds: l:953 l:955', 'gapMs: 203000']);
    const lines = findingDetail(finding, 40);
    expect(lines.every((l) => l.length <= 40)).toBe(true);
    const text = lines.join(' ');
    expect(text).toContain('CRITICAL duplicate_cell');
    expect(text).toContain('job incident');
    expect(text).toContain('seen 2× 15:15:05 → 15:18:32');
    expect(text).toContain('3 min 23 s apart');
    expect(text).toContain('evidence executionIds: l:953 l:955');
  });
});

describe(attemptDetail.name, () => {
  it('gives the trace link and the whole error wrapped, nothing cut', () => {
    const error = 'HTTP 503 from upstream: ' + 'the model is overloaded, retry later; '.repeat(4);
    const a = { id: '17', attempt: 2, traceId: '4bf92f3577b34da6a3ce929d0e0e4736', error } as TimelineAttemptView;
    const lines = attemptDetail(a, 50, 'https://tempo.example/trace/{traceId}');
    // A link longer than the line is broken across lines, never cut.
    expect(lines.join('')).toContain('tracehttps://tempo.example/trace/4bf92f3577b34da6a3ce929d0e0e4736');
    expect(lines.every((l) => l.length <= 50)).toBe(true);
    expect(lines.join(' ').replace(/\s+/g, ' ')).toContain(`error: ${error.trim()}`.replace(/\s+/g, ' '));
    expect(attemptDetail({ ...a, error: null }, 50, null)).toEqual([]);
  });
});

describe(attemptPrompts.name, () => {
  it('shows the exact system and user prompts and the response, wrapped to the width, line breaks kept', () => {
    const system = 'You are a helpful assistant based in region eu-west.\nAnswer briefly.';
    const user = 'What is 1 + 2? Please answer with a single number and nothing else at all, thank you.';
    const lines = attemptPrompts({ attempt: 2, systemPrompt: system, userPrompt: user, response: '3', outcome: 'succeeded' }, 30);
    expect(lines.every((l) => l.length <= 30)).toBe(true);
    const section = (title: string) => {
      const i = lines.findIndex((l) => l.startsWith(`── ${title}`));
      const next = lines.findIndex((l, j) => j > i && l.startsWith('── '));
      return lines.slice(i + 1, next === -1 ? undefined : next);
    };
    expect(lines[0]).toMatch(/^── system prompt \(attempt #2\)/);
    // Re-joined, each section is the text (wrapping only breaks lines at spaces).
    expect(section('system prompt')).toHaveLength(3);
    expect(section('system prompt').join(' ').replace(/\s+/g, ' ').trim()).toBe(system.replace(/\s+/g, ' '));
    expect(section('system prompt').at(-1)).toBe('Answer briefly.');
    expect(section('system prompt')[0]).toMatch(/^You are a helpful/);
    expect(section('user prompt').join(' ').replace(/\s+/g, ' ').trim()).toBe(user);
    expect(section('response')).toEqual(['3']);
  });

  it('says why there is no response', () => {
    const base = { attempt: 1, systemPrompt: 's', userPrompt: 'u', response: null };
    expect(attemptPrompts({ ...base, outcome: null }, 80).at(-1)).toBe('(no response yet: the call is in flight)');
    expect(attemptPrompts({ ...base, outcome: 'final_error' }, 80).at(-1)).toBe('(no response: final_error)');
  });
});
