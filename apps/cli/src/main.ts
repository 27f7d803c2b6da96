import 'reflect-metadata';
import { readFileSync } from 'node:fs';

// Tracing starts before the rest of the program is imported, so its instrumentations see the modules load.
// An OTEL_* variable set to a value Beacon does not support stops start-up, naming the variable (exit 2, usage).
// Without any OTEL_* variable there is nothing to export or check, so the observability library (prom-client, pino,
// OpenTelemetry) is not even loaded: that saved a tenth of the start-up of every command (see program.ts).
const tracing = Object.keys(process.env).some((k) => k.startsWith('OTEL_'))
  ? await (await import('./lazy/observability.js')).startTracing('beacon').catch((err: unknown) => {
      process.stderr.write(`beacon: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    })
  : null;
// The TUI draws a frame per key press; React's production build draws the same frames with less work (no development
// checks). Set before React is loaded (with the program, below), only for `beacon tui`, and only when NODE_ENV is unset.
if (process.argv.slice(2).includes('tui') && process.env.NODE_ENV === undefined) process.env.NODE_ENV = 'production';
const { run } = await import('./program.js');
const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string };
process.exitCode = await run(process.argv, pkg.version);
await tracing?.shutdown().catch(() => undefined);
