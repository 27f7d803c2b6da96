import type { Command } from 'commander';
import { renderDiff } from '@beacon/domain';
import { apiClient } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';

/** `beacon diff A B`: two executions or attempts compared field by field, with word-level changes. */
export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('compare two executions or attempts: system prompt, user prompt, parameters, response, classification')
    .argument('<a>', 'e:<execution id> (or a bare id), a:<attempt id>, or l:<legacy id> of an imported execution')
    .argument('<b>', 'the other side, in the same forms')
    .option('--unified', 'one column with removed and added words inline (default: side by side when the terminal is wide enough)')
    .option('--width <n>', "line width (default: the terminal's, else 80)")
    .option('--json', "print as JSON (the API's DiffView)")
    .action(async (a: string, b: string, opts: { unified?: boolean; width?: string; json?: boolean }) => {
      const diff = await apiClient().getDiff(a, b);
      if (opts.json) return printJson(diff);
      let width = process.stdout.isTTY ? process.stdout.columns : 80;
      if (opts.width) {
        width = Number(opts.width);
        if (!Number.isInteger(width) || width < 20)
          throw new CliError(`--width: must be an integer of at least 20 (got ${JSON.stringify(opts.width)})`, EXIT.usage);
      }
      const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
      process.stdout.write(renderDiff(diff, { width, unified: opts.unified, color }));
    });
}
