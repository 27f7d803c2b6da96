import { describe, expect, it } from '@jest/globals';
import { buildDashboards } from '../../dashboards/src/build.js';
import { panelQueries, type PanelQuery } from '../../dashboards/src/inventory.js';
import { CHECKS, EXCLUDED, mismatches, panelPlan, targetKey } from '../oracle/panels.js';

/**
 * The dashboard oracle's bookkeeping (test/oracle/panels.ts), without Prometheus: every panel target of the generated
 * dashboards has a checker or a reasoned exclusion, a new target without either fails, and the comparison sees an
 * off-by-one. test/integration/oracle-engine.int-spec.ts runs the checkers against a real Prometheus.
 */
const queries = Object.values(buildDashboards()).flatMap((d) => panelQueries(d));

describe('dashboard oracle: every panel target is checked or excluded with a reason (issue 15)', () => {
  it('pairs every target of every dashboard with a checker, except the reasoned exclusions', () => {
    const plan = panelPlan(queries);
    expect(plan.length + Object.keys(EXCLUDED).length).toBe(queries.length);
    expect(new Set(queries.map((q) => q.dashboard))).toEqual(
      new Set(['beacon-bias', 'beacon-drift', 'beacon-reliability', 'beacon-runner']),
    );
    // Every Bias target is checked; of Reliability only the API request panels (no exact count exists) and the
    // notification panels (no sink in the oracle; checked in notifications.int-spec.ts) are not.
    const excluded = Object.keys(EXCLUDED);
    expect(excluded.filter((k) => k.startsWith('beacon-bias'))).toEqual([]);
    expect(excluded.filter((k) => k.startsWith('beacon-reliability') && !/ (API|Notification) /.test(k))).toEqual([]);
    for (const reason of Object.values(EXCLUDED)) expect(reason.length).toBeGreaterThan(10);
  });

  it('fails on a new target without a checker, and on a checker of a target that is gone', () => {
    const extra: PanelQuery = { dashboard: 'beacon-bias', panel: 'Refusal share by planet', refId: 'A', expr: 'vector(1)', instant: true };
    expect(() => panelPlan([...queries, extra])).toThrow('no checker and not excluded: beacon-bias / Refusal share by planet [A]');
    const gone = queries.find((q) => targetKey(q) === 'beacon-bias / Classification shares [A]')!;
    expect(() => panelPlan(queries.filter((q) => q !== gone))).toThrow('no such panel target: beacon-bias / Classification shares [A]');
  });

  it('sees an off-by-one and a missing series; a count of 0 and no series are the same count, a share of 0 and none are not', () => {
    const count = CHECKS['beacon-reliability / Attempt outcomes [A]']!;
    const share = CHECKS['beacon-bias / Refusal share by region × model [A]']!;
    expect(mismatches('c', count, { 'outcome=succeeded': 4 }, { 'outcome=succeeded': 4 })).toEqual([]);
    expect(mismatches('c', count, { 'outcome=succeeded': 5 }, { 'outcome=succeeded': 4 })).toEqual([
      'c {outcome=succeeded}: prometheus 5 vs rows 4',
    ]);
    expect(mismatches('c', count, { 'outcome=succeeded': 4, 'outcome=fenced': 0 }, { 'outcome=succeeded': 4 })).toEqual([]);
    expect(mismatches('s', share, { 'region=a,model=b': 0 }, {})).toEqual(['s {region=a,model=b}: prometheus 0 vs rows absent']);
    expect(mismatches('s', share, {}, { 'region=a,model=b': 0.25 })).toEqual(['s {region=a,model=b}: prometheus absent vs rows 0.25']);
    // Float rounding only: 1e-9 relative.
    expect(mismatches('s', share, { k: 0.25 + 1e-12 }, { k: 0.25 })).toEqual([]);
    expect(mismatches('s', share, { k: 0.2500001 }, { k: 0.25 })).toHaveLength(1);
  });
});
