import { describe, expect, it } from '@jest/globals';
import type { Command } from 'commander';
import { buildProgram } from './program.js';
import { commandPath } from './help-examples.js';

/** Every command's full `--help` (with the text added after it), as printed. */
function helpOf(cmd: Command): string {
  let out = '';
  cmd.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  cmd.outputHelp();
  return out;
}

describe('beacon --help', () => {
  it('shows examples for every command and subcommand', () => {
    const missing: string[] = [];
    const visit = (cmd: Command) => {
      if (cmd.name() !== 'help' && !/\nExamples:\n {2}\$ beacon /.test(helpOf(cmd))) missing.push(commandPath(cmd));
      cmd.commands.forEach(visit);
    };
    buildProgram('0.0.0').commands.forEach(visit);
    expect(missing).toEqual([]);
  });
});
