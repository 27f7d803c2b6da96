import { CliError, EXIT } from './exit-codes.js';
import { note } from './output.js';

/**
 * Resolves after the first SIGINT or SIGTERM, or once `fatal` settles with a reason, once `shutdown` has run (a second
 * signal is ignored meanwhile): with null after a signal, with the reason after `fatal`.
 */
export function runUntilSignal(shutdown: () => Promise<unknown>, fatal?: Promise<string>): Promise<string | null> {
  return new Promise<string | null>((resolve) => {
    let stopping = false;
    const stop = (why: string, reason: string | null) => {
      if (stopping) return;
      stopping = true;
      note(`${why}: shutting down`);
      void shutdown()
        .catch(() => undefined)
        .then(() => resolve(reason));
    };
    process.once('SIGINT', () => stop('SIGINT', null));
    process.once('SIGTERM', () => stop('SIGTERM', null));
    void fatal?.then((reason) => stop(reason, reason));
  });
}

/** The CLI error for a server that could not listen: a taken port says so and what to do. */
export function listenError(err: unknown, host: string, port: number | undefined, what: string): CliError {
  const code = (err as { code?: string }).code;
  return new CliError(
    code === 'EADDRINUSE'
      ? `port ${port} on ${host} is already in use (is another ${what} running? use --port)`
      : `cannot listen on ${host}:${port}: ${err instanceof Error ? err.message : String(err)}`,
    EXIT.failure,
  );
}
