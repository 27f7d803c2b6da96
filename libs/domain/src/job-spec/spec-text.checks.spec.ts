import { describe, expect, it } from '@jest/globals';
import { defaultConfig } from '../config/default-config.data.js';
import { normaliseJobSpec } from './job-spec.normaliser.js';
import { checkSpecText } from './spec-text.checks.js';

describe(checkSpecText.name, () => {
  it('allows newlines and tabs in question text, and no control character anywhere else', () => {
    expect(checkSpecText({ questions: [{ id: 'q1', text: 'Line one\n\tline two' }] })).toEqual([]);
    expect(checkSpecText({ questions: [{ id: 'q1', text: 'red \u001b[31mtext' }] })).toEqual([
      {
        path: '$.questions[0].text',
        message: 'must not contain control characters (found U+001B; only newline and tab are allowed in text)',
      },
    ]);
    expect(checkSpecText({ id: 'job\n1', created_by: 'a\u0085b', benchmark: { name: 'x\u0000' } })).toEqual([
      { path: '$.id', message: 'must not contain control characters (found U+000A)' },
      { path: '$.created_by', message: 'must not contain control characters (found U+0085)' },
      { path: '$.benchmark.name', message: 'must not contain control characters (found U+0000)' },
    ]);
  });

  it('checks keys, bidi overrides in ids, unpaired surrogates and overlong strings', () => {
    expect(checkSpecText({ 'a\u0007': 1 })[0]).toEqual({
      path: '$["a\\u0007"]',
      message: 'key must not contain control characters (found U+0007)',
    });
    expect(checkSpecText({ id: 'abc\u202edef' })[0]!.message).toMatch(/bidirectional override.*U\+202E/);
    expect(checkSpecText({ models: ['x\ud800'] })[0]!.message).toMatch(/unpaired surrogate/);
    expect(checkSpecText({ metadata: { blob: 'x'.repeat(10_001) } })).toEqual([
      { path: '$.metadata.blob', message: 'must be at most 10000 characters (got 10001)' },
    ]);
  });

  it('makes normaliseJobSpec refuse a spec that would smuggle escape sequences into the TUI or logs', () => {
    const r = normaliseJobSpec(
      { questions: [{ id: 'q1', text: '\u001b]0;pwned\u0007What?' }], models: ['llama3.2-1b'], regions: ['us-east'] },
      defaultConfig(),
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.path)).toEqual(['$.questions[0].text']);
  });
});
