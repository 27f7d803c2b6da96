import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { Command } from 'commander';
import { completionScript, registerCompletion, wordsOf } from './completion.command.js';

/** A program shaped like beacon's: commands, a nested one, options at both levels. */
function program(): Command {
  const p = new Command('beacon').option('--config <file>', 'configuration file').option('--api <url>', 'API');
  p.command('retry').description('re-run failed cells').option('--failed', 'all').option('--cells <ids>', 'some');
  p.command('report').description('report').option('--format <f>', 'format');
  const schedule = p.command('schedule').description('schedules');
  schedule.command('add').description('add one').option('--every <d>', 'cadence');
  registerCompletion(p);
  return p;
}

/** What bash completes for `words` (the last is the word being typed), by the script itself, in a real bash. */
function bashCompletes(words: string[]): string[] {
  const script = completionScript(wordsOf(program()), 'bash');
  const line = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _beacon_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', line], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('beacon completion', () => {
  it('completes commands, a command’s options and a nested command’s options in bash', () => {
    expect(bashCompletes(['beacon', 're'])).toEqual(['report', 'retry']);
    expect(bashCompletes(['beacon', 'retry', '--'])).toEqual(['--cells', '--failed', '--help']);
    expect(bashCompletes(['beacon', 'schedule', ''])).toEqual(['--help', 'add']);
    expect(bashCompletes(['beacon', 'schedule', 'add', '--e'])).toEqual(['--every']);
    expect(bashCompletes(['beacon', '--a'])).toEqual(['--api']);
  });

  it('writes fish and zsh scripts naming every command', () => {
    const out: string[] = [];
    const p = program();
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (s: string) => (out.push(s), true);
    try {
      p.parse(['node', 'beacon', 'completion', 'fish']);
      p.parse(['node', 'beacon', 'completion', 'zsh']);
    } finally {
      process.stdout.write = write;
    }
    const [fish, zsh] = out;
    for (const name of ['retry', 'report', 'schedule', 'completion']) expect(fish).toContain(`-a '${name}'`);
    expect(fish).toContain(`__fish_seen_subcommand_from schedule' -a 'add'`);
    expect(zsh).toMatch(/^#compdef beacon\nautoload -U \+X bashcompinit/);
  });
});
