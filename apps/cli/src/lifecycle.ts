import { CliError, EXIT } from './exit-codes.js';
import { note } from './output.js';

/** Resolves after the first SIGINT or SIGTERM, once `shutdown` has run (a second signal is ignored meanwhile). */
export function runUntilSignal(shutdown: () => Promise<unknown>): Promise<void> {
  return new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      note(`${signal}: shutting down`);
      void shutdown().catch(() => undefined).then(() => resolve());
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

/** The CLI error for a server that could not listen: a taken port says so and what to do. */
export function listenError(err: unknown, host: string, port: number | undefined, what: string): CliError {
  const code = (err as { code?: string }).code;
  return new CliError(code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use (is another ${what} running? use --port)`
    : `cannot listen on ${host}:${port}: ${err instanceof Error ? err.message : String(err)}`, EXIT.failure);
}
