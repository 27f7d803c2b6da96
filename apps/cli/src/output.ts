import { redactSecrets } from '@beacon/domain';

/** Whether this run has printed its JSON result (then a failure after it adds no error object). */
let jsonPrinted = false;

/**
 * Prints a value as indented JSON on stdout: the `--json` form of every command. A listing prints a page
 * (`{items, nextCursor}`), any other command one object; stdout then holds that one JSON document and nothing else.
 */
export function printJson(value: unknown): void {
  jsonPrinted = true;
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** A new run of the program: nothing printed yet (the program runs more than once in one process in tests). */
export function resetJsonOutput(): void {
  jsonPrinted = false;
}

/** The `--json` form of a failure: `{"error": JsonError}` on stdout, next to the usual `error:` line on stderr. */
export interface JsonError {
  /** The exit code's name: usage, rejected, not_found, conflict, unreachable, job_not_completed or failure. */
  code: string;
  exitCode: number;
  message: string;
  /** What was wrong with each field of the input (a 400 of the API), else empty. */
  problems: { path: string; message: string }[];
}

/**
 * Prints a failure as `{"error": {...}}` on stdout, unless the command has already printed its JSON result: a command
 * that ran and found something (compare's changed cells, reconcile's findings, verify's failed checks) exits non-zero
 * after its result, and stdout keeps exactly one JSON document.
 */
export function printJsonError(error: JsonError): void {
  if (jsonPrinted) return;
  printJson({
    error: {
      ...error,
      message: redactSecrets(error.message),
      problems: error.problems.map((p) => ({ ...p, message: redactSecrets(p.message) })),
    },
  });
}

/** A column of a plain-text table. */
export interface Column<T> {
  header: string;
  value: (row: T) => string;
  align?: 'left' | 'right';
  /** Cut (with …) to fit the terminal, widest first; without any flexible column, the widest column is. */
  flex?: boolean;
}

/** Narrowest a cut column gets (its header still shows). */
const MIN_CUT_WIDTH = 8;

/**
 * Formats rows as an aligned plain-text table (no box drawing, so it greps and pipes well). With `width`, flexible
 * columns are cut (ending in …) until the table fits, never below {@link MIN_CUT_WIDTH} characters; null keeps every
 * value whole (`--wide`, or output that is not a terminal).
 */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[], opts: { width?: number | null } = {}): string {
  const cells = rows.map((r) => columns.map((c) => clean(c.value(r))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const width = opts.width ?? null;
  if (width !== null) {
    const flexible = columns.some((c) => c.flex)
      ? columns.map((c) => c.flex === true)
      : columns.map((_, i) => i === widths.indexOf(Math.max(...widths)));
    const total = () => widths.reduce((a, w) => a + w, 0) + 2 * (columns.length - 1);
    while (total() > width) {
      let widest = -1;
      for (let i = 0; i < widths.length; i++) {
        const floor = Math.max(MIN_CUT_WIDTH, columns[i]!.header.length);
        if (flexible[i] && widths[i]! > floor && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
      }
      if (widest < 0) break;
      widths[widest] = Math.max(Math.max(MIN_CUT_WIDTH, columns[widest]!.header.length), widths[widest]! - (total() - width));
    }
  }
  const fit = (v: string, i: number) => (v.length > widths[i]! ? `${v.slice(0, widths[i]! - 1)}…` : v);
  const line = (values: string[]) =>
    values
      .map((v, i) => fit(v, i))
      .map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

/** The width a table must fit: the terminal's, or null (every value whole) with `--wide` or when stdout is not a terminal. */
export function tableWidth(wide: boolean | undefined): number | null {
  return wide || !process.stdout.isTTY ? null : process.stdout.columns || null;
}

/** Strips control characters so data can never move the cursor or recolour the terminal. */
export function clean(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

/** Writes a progress or status line to stderr, keeping stdout for results. */
export function note(line: string): void {
  process.stderr.write(redactSecrets(line) + '\n');
}

/**
 * A reader that stops early (`beacon jobs --json | head`) closes the pipe while output is still being written; the
 * write then fails with EPIPE, which without a listener crashes the process with a stack trace. The reader got what it
 * wanted, so the command ends at once and quietly, with success (as `cat` and `ls` do under `set -o pipefail`, short of
 * the SIGPIPE Node does not take). Any other stream error is still an error.
 */
export function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount('error') > 0) continue;
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
}

/** The `Examples:` section of a command's `--help`. */
export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}
