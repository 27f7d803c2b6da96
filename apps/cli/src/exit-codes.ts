/** Exit codes of the `beacon` command; scripts may rely on them. */
export const EXIT = {
  ok: 0,
  /** Something failed that is not one of the cases below. */
  failure: 1,
  /** Bad command line or configuration. */
  usage: 2,
  /** The API rejected the input (400). */
  rejected: 3,
  /** The thing asked for does not exist (404). */
  notFound: 4,
  /** A job with that id exists with different content (409). */
  conflict: 5,
  /** The daemon or the database could not be reached. */
  unreachable: 6,
  /** A waited-for job (or the demo) ended other than `completed`, or its cells did not all run exactly once. */
  jobNotCompleted: 7,
} as const;

/** The name of an exit code, as the `--json` error object gives it (`code`): `not_found` for 4. */
export function exitCodeName(code: number): string {
  const name = Object.entries(EXIT).find(([, c]) => c === code)?.[0] ?? 'failure';
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** An error that ends the command with a given exit code and message. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
