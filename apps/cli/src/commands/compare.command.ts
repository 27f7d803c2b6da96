import type { Command } from 'commander';
import type { AnalysisCell, RunComparison } from '@beacon/analysis';
import type { BeaconApiClient } from '@beacon/api-client';
import { apiClient } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatTable, note, printJson, tableWidth } from '../output.js';

async function cellsOf(api: BeaconApiClient, jobId: string): Promise<AnalysisCell[]> {
  const cells: AnalysisCell[] = [];
  for await (const e of api.allExecutions({ job: jobId, limit: 1000 })) cells.push(e);
  return cells;
}

/**
 * `beacon compare A B`: which cells (question, model, region, replicate) changed label between two runs of the same
 * spec. Like diff(1), it exits 0 when nothing changed and 1 when any cell did, so CI can gate on it; 2 when the jobs
 * share no cell, 4 when one does not exist.
 */
export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('show which cells changed label between two runs of the same spec (exit 1 when any did)')
    .argument('<jobA>', 'the earlier run')
    .argument('<jobB>', 'the later run')
    .option('--json', 'print the comparison as JSON')
    .option('--wide', 'every value whole, however wide the table')
    .action(async (jobA: string, jobB: string, opts: { json?: boolean; wide?: boolean }) => {
      const api = apiClient();
      const [a, b] = await Promise.all([api.getJob(jobA), api.getJob(jobB)]);
      const [cellsA, cellsB] = await Promise.all([cellsOf(api, jobA), cellsOf(api, jobB)]);
      const { compareRuns } = await import('../lazy/analysis.js');
      const result = compareRuns({ id: a.id, spec: a.spec, cells: cellsA }, { id: b.id, spec: b.spec, cells: cellsB });
      if (result.compared === 0) {
        throw new CliError(
          `jobs ${jobA} and ${jobB} share no cell (question, model, region, replicate); compare two runs of the same spec`,
          EXIT.usage,
        );
      }
      for (const d of result.specDifferences) note(`warning: the specs differ in ${d}`);
      if (opts.json) printJson(result);
      else printText(result, tableWidth(opts.wide));
      if (result.changed.length > 0) throw new CliError(`${result.changed.length} of ${result.compared} cells changed label`, EXIT.failure);
    });
}

function printText(r: RunComparison, width: number | null): void {
  if (r.changed.length) {
    process.stdout.write(
      formatTable(
        r.changed,
        [
          { header: 'QUESTION', value: (c) => c.questionId, flex: true },
          { header: 'MODEL', value: (c) => c.modelId },
          { header: 'REGION', value: (c) => c.region },
          { header: 'REP', value: (c) => String(c.replicate), align: 'right' },
          { header: r.a, value: (c) => c.a.outcome },
          { header: r.b, value: (c) => c.b.outcome },
          { header: 'EXECUTIONS', value: (c) => `${c.a.executionId} → ${c.b.executionId}` },
        ],
        { width },
      ),
    );
  }
  const only = [
    r.onlyInA.length ? `${r.onlyInA.length} only in ${r.a}` : '',
    r.onlyInB.length ? `${r.onlyInB.length} only in ${r.b}` : '',
  ].filter(Boolean);
  process.stdout.write(
    `${r.changed.length} of ${r.compared} cells changed label; ${r.sameLabelDifferentText} kept their label with different text` +
      `${only.length ? `; not compared: ${only.join(', ')}` : ''}\n`,
  );
}
