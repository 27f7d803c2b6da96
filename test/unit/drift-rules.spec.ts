import { describe, expect, it } from '@jest/globals';
import { DRIFT_RULES, DRIFT_RULE_IDS } from '@beacon/analysis';
import { RULES, SEVERITIES } from '@beacon/reconciler';

describe('drift rule ids', () => {
  it('do not collide with the reconciler rules, and carry a severity of the findings table', () => {
    const reconciler = new Set(RULES.map((r) => r.id));
    expect(RULES.length).toBe(19);
    for (const id of DRIFT_RULE_IDS) expect(reconciler.has(id)).toBe(false);
    expect([...DRIFT_RULE_IDS].sort()).toEqual(['label_flip', 'refusal_shift', 'response_drift']);
    for (const r of DRIFT_RULES) expect(SEVERITIES).toContain(r.severity);
  });
});
