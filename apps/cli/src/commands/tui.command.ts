import type { Command } from 'commander';
import { apiClient } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';

/** `beacon tui`: the operator TUI over the runner API. */
export function registerTui(program: Command): void {
  program
    .command('tui')
    .description(
      'operator TUI: jobs, live tail, job timelines, prompt diffs, cross-region answers, findings, trends, daemons and operator controls (press ? for keys)',
    )
    .option('--job <id>', "open this job's timeline first")
    .option('--trend <ids...>', 'open the Trends screen first: a schedule id, or job ids of the same spec')
    .option('--no-mouse', 'do not ask the terminal for mouse wheel events (also BEACON_TUI_MOUSE=0)')
    // The runner API is the global --api (default BEACON_API_URL, else http://127.0.0.1:8787); token from BEACON_TOKEN.
    .action(async (opts: { job?: string; trend?: string[]; mouse?: boolean }) => {
      // Ink and React load here, not at start-up (see program.ts).
      const { isInteractive, runTui } = await import('../lazy/tui.js');
      if (!isInteractive(process.stdin) || !process.stdout.isTTY) {
        throw new CliError(
          'beacon tui needs an interactive terminal (stdin and stdout must be a TTY); ' +
            'in scripts use `beacon jobs`, `beacon executions --job ID` or `beacon reconcile`',
          EXIT.usage,
        );
      }
      const api = apiClient();
      // Fail fast with the CLI's usual message and exit code when the daemon is not there, before taking the screen.
      await api.listJobs(1);
      await runTui({ api, jobId: opts.job ?? null, trend: opts.trend ?? null, label: api.baseUrl, mouse: opts.mouse });
    });
}
