import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { startTracing } from '@beacon/observability';

/*
 * The daemon's own entry (`nest start runner`, or `node dist/apps/runner/src/main.js [serve options]`): the same as
 * `beacon serve [options]`, whose command owns the daemon's production wiring (configuration, embedded database or
 * DATABASE_URL, migrations at start, listening address, workers, signals, exit on a lost database). Nothing imports
 * this file: the CLI reaches the daemon through `@beacon/runner`'s createRunnerApp.
 */
// Tracing starts before the rest of the program is imported, so its instrumentations see the modules load.
const tracing = await startTracing('beacon');
const { run } = await import('../../cli/src/program.js');
const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string };
process.exitCode = await run([process.argv[0]!, process.argv[1]!, 'serve', ...process.argv.slice(2)], pkg.version);
await tracing?.shutdown().catch(() => undefined);
