import { Command, CommanderError } from 'commander';
import { ApiRequestError, ApiResponseError, ApiUnreachableError } from '@beacon/api-client';
import { registerClassify } from './commands/classify.command.js';
import { registerControls } from './commands/controls.command.js';
import { registerCompletion } from './commands/completion.command.js';
import { registerDemo } from './commands/demo.command.js';
import { registerDiff } from './commands/diff.command.js';
import { registerEvidence } from './commands/evidence.command.js';
import { registerJobReads } from './commands/jobs.command.js';
import { registerKeys } from './commands/keys.command.js';
import { registerSchedule } from './commands/schedule.command.js';
import { registerSimulate } from './commands/simulate.command.js';
import { registerImport } from './commands/import.command.js';
import { registerMigrate } from './commands/migrate.command.js';
import { registerNotify } from './commands/notify.command.js';
import { registerReconcile } from './commands/reconcile.command.js';
import { registerReport } from './commands/report.command.js';
import { registerCompare } from './commands/compare.command.js';
import { registerServe } from './commands/serve.command.js';
import { registerSubmit } from './commands/submit.command.js';
import { registerTui } from './commands/tui.command.js';
import { registerTimeline } from './commands/timeline.command.js';
import { registerToken } from './commands/token.command.js';
import { registerPrune, registerTrend } from './commands/trend.command.js';
import { CliError, EXIT, exitCodeName } from './exit-codes.js';
import { addHelpExamples } from './help-examples.js';
import { clean, endQuietlyOnClosedPipe, printJsonError, resetJsonOutput, type JsonError } from './output.js';
import { DEFAULT_API_URL, setApiFlag } from './context.js';
import { redactSecrets, registerConfiguredSecrets } from '@beacon/domain';

/*
 * Start-up. Registering a command loads only the command line, the domain library and the API client: a command that
 * needs the daemon's stack (NestJS, TypeORM), the TUI (Ink, React), the reconciler, the classifier, the analysis, the
 * simulator or the OpenTelemetry SDK loads it with import() when it runs (through `lazy/`; main.ts loads the SDK only
 * when an OTEL_* variable is set). Measured with `node bench/cli-startup.mjs` (step (r) of `npm run bench`), median
 * CPU time of a start, before → after, on a shared 2-core machine under heavy load: `--version` 3,100 → 725 ms,
 * `--help` 3,360 → 870 ms, `jobs --json` 3,345 → 805 ms, `job X` 3,035 → 930 ms (about four times less; the wall
 * time followed the machine's load too closely to quote). The test suite starts the CLI some 170 times.
 * `test/integration/cli-startup.int-spec.ts` checks which packages these commands load.
 */

/** The `beacon` command line: one program, one subcommand per task. */
export function buildProgram(version: string): Command {
  const program = new Command('beacon')
    .description('Beacon: run LLM questions across models and regions, exactly once per cell, and explain every execution')
    .version(version)
    .option('--config <file>', 'configuration file (default BEACON_CONFIG, else ./beacon.config.yaml, else built-in defaults)')
    .option('--api <url>', `runner API address, http:// or https:// (default BEACON_API_URL, else ${DEFAULT_API_URL})`)
    // A mistyped command or flag gets one line and a pointer to the help, not the whole help (which hid the error).
    .showHelpAfterError('(run `beacon --help` for the commands, `beacon COMMAND --help` for one)')
    .exitOverride()
    .hook('preAction', (root, action) => {
      setApiFlag(root.opts<{ api?: string }>().api);
      jsonRequested = action.opts<{ json?: boolean }>().json === true;
    });
  registerServe(program);
  registerMigrate(program);
  registerReconcile(program);
  registerReport(program);
  registerCompare(program);
  registerTrend(program);
  registerPrune(program);
  registerImport(program);
  registerSubmit(program);
  registerJobReads(program);
  registerControls(program);
  registerSchedule(program);
  registerDemo(program);
  registerSimulate(program);
  registerTui(program);
  registerTimeline(program);
  registerDiff(program);
  registerClassify(program);
  registerToken(program);
  registerKeys(program);
  registerNotify(program);
  registerEvidence(program);
  registerCompletion(program);
  addHelpExamples(program);
  return program;
}

/** Whether the command that ran was given `--json` (set before its action; see {@link run} for a bad command line). */
let jsonRequested: boolean | null = null;

/**
 * Runs the program and returns the exit code; every failure is one clear line (plus its problems) on stderr, and with
 * `--json` also one `{"error": {...}}` object on stdout (see `printJsonError`).
 */
export async function run(argv: string[], version: string): Promise<number> {
  // The database password, BEACON_TOKEN and credential-named variables are hidden from the first message on.
  registerConfiguredSecrets(null, process.env);
  endQuietlyOnClosedPipe();
  const program = buildProgram(version);
  for (const cmd of program.commands) cmd.exitOverride();
  jsonRequested = null;
  resetJsonOutput();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    const failure = describe(err);
    if (failure === null) return EXIT.ok;
    // A command line commander refused never reached the command: `--json` among its words (before `--`) counts.
    const words = argv.slice(2);
    const json = jsonRequested ?? words.slice(0, words.includes('--') ? words.indexOf('--') : undefined).includes('--json');
    if (json) printJsonError({ code: exitCodeName(failure.exitCode), ...failure });
    return failure.exitCode;
  }
}

/** Error output: every line leaves with its secrets hidden (a driver's or a server's message may quote one). */
function say(text: string): void {
  process.stderr.write(redactSecrets(text));
}

/**
 * Says what failed on stderr (commander has already said it for a bad command line) and returns it with its exit
 * code, for the `--json` error object; null for the help and the version, which end with success.
 */
function describe(err: unknown): Omit<JsonError, 'code'> | null {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return null;
    return { exitCode: EXIT.usage, message: err.message.replace(/^error: /, ''), problems: [] };
  }
  if (err instanceof CliError) {
    say(`error: ${err.message}\n`);
    return { exitCode: err.code, message: err.message, problems: [] };
  }
  if (err instanceof ApiUnreachableError) {
    say(`error: ${err.message}\n`);
    return { exitCode: EXIT.unreachable, message: err.message, problems: [] };
  }
  // Silent, flooding or not speaking the API: no Beacon daemon answers there, as far as the CLI can tell.
  if (err instanceof ApiResponseError) {
    say(`error: ${clean(err.message)}\n`);
    return { exitCode: EXIT.unreachable, message: clean(err.message), problems: [] };
  }
  if (err instanceof ApiRequestError) {
    say(`error: ${clean(err.body.message)}\n`);
    const problems = (err.body.problems ?? []).map((p) => ({ path: clean(p.path), message: clean(p.message) }));
    for (const p of problems) say(`  ${p.path}: ${p.message}\n`);
    const exitCode =
      err.status === 404
        ? EXIT.notFound
        : err.status === 409
          ? EXIT.conflict
          : err.status >= 400 && err.status < 500
            ? EXIT.rejected
            : EXIT.failure;
    return { exitCode, message: clean(err.body.message), problems };
  }
  say(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return { exitCode: EXIT.failure, message: err instanceof Error ? err.message : String(err), problems: [] };
}
