import { describe, expect, it } from '@jest/globals';
import { REPORT_FORMATS as ANALYSIS_REPORT_FORMATS } from '@beacon/analysis';
import { ruleIds, SEVERITIES as RECONCILER_SEVERITIES } from '@beacon/reconciler';
import { DEFAULT_SIMULATOR_PORT } from '@beacon/simulator';
import { buildProgram } from './program.js';
import { REPORT_FORMATS } from './commands/report.command.js';
import { RULE_IDS, SEVERITIES } from './commands/reconcile.command.js';

/**
 * The help of report, reconcile and simulate names values of libraries those commands load only when they run; the
 * command line keeps its own copies of them, which must not drift from the libraries.
 */
describe('values the help names without loading their library', () => {
  it('report formats are the analysis library’s', () => {
    expect([...REPORT_FORMATS]).toEqual([...ANALYSIS_REPORT_FORMATS]);
  });

  it('reconcile rules and severities are the reconciler’s, in its order', () => {
    expect([...RULE_IDS]).toEqual(ruleIds());
    expect([...SEVERITIES]).toEqual([...RECONCILER_SEVERITIES]);
  });

  it('the simulator’s default port is the one `beacon simulate --help` names', () => {
    const simulate = buildProgram('0.0.0').commands.find((c) => c.name() === 'simulate')!;
    expect(simulate.description()).toContain(`http://127.0.0.1:${DEFAULT_SIMULATOR_PORT}/`);
    expect(simulate.options.find((o) => o.long === '--port')?.description).toContain(
      `(default ${DEFAULT_SIMULATOR_PORT}; 0 = any free port)`,
    );
  });
});
