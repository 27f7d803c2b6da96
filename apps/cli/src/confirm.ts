import { createInterface } from 'node:readline/promises';
import { CliError, EXIT } from './exit-codes.js';

/**
 * Asks before a change an operator may regret (cancel, retry, pause, drain, a concurrency change). `--yes` answers for
 * them; without it the question goes to the terminal, and a command run without one (a script, a pipe) is refused
 * rather than left waiting or, worse, taken as yes. Declining changes nothing (exit 1).
 */
export async function confirm(question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new CliError(`${question}: needs confirmation, and there is no terminal to ask in; add --yes to go ahead`, EXIT.usage);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`${question}? [y/N] `)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') throw new CliError('not confirmed: nothing changed', EXIT.failure);
  } finally {
    rl.close();
  }
}
