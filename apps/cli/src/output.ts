import { redactSecrets } from '@beacon/domain';

/** Prints a value as indented JSON on stdout (the `--json` form of every listing). */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** A column of a plain-text table. */
export interface Column<T> {
  header: string;
  value: (row: T) => string;
  align?: 'left' | 'right';
}

/** Formats rows as an aligned plain-text table (no box drawing, so it greps and pipes well). */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => clean(c.value(r))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
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
