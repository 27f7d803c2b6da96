import type { Command } from 'commander';
import { bindRefusal, resolveSinks } from '@beacon/domain';
import { openDatabase, redact } from '../database.js';
import { readConfig, type GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { listenError, runUntilSignal } from '../lifecycle.js';
import { note } from '../output.js';

interface ServeOptions {
  host?: string;
  port?: string;
  regions?: string;
  concurrency?: string;
  workers: boolean;
}

/** `beacon serve`: the runner daemon on the embedded database (or DATABASE_URL). */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the daemon: HTTP API on 127.0.0.1:8787 (BEACON_HOST / BEACON_PORT), database migrated at start')
    .option('--host <host>', 'address to listen on (default BEACON_HOST or 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default BEACON_PORT or 8787)')
    .option('--regions <list>', 'work only on these regions (comma-separated ids or aliases)')
    .option('--concurrency <n>', 'calls in flight at most, across regions (each region is also capped by its own concurrency)')
    .option('--no-workers', 'serve the API only; execute nothing')
    .action(async (opts: ServeOptions) => {
      // The daemon's libraries load here, not at start-up (see program.ts).
      const [{ createLogger, nestLogger }, { createRunnerApp }, { engineSettings }] = await Promise.all([
        import('../lazy/observability.js'),
        import('../lazy/runner.js'),
        import('../engine-settings.js'),
      ]);
      const config = readConfig(program.opts<GlobalOptions>());
      const host = opts.host || process.env.BEACON_HOST || '127.0.0.1';
      const port = parsePort(opts.port || process.env.BEACON_PORT || '8787');
      const refusal = bindRefusal(host, config.auth?.tokens.length ?? 0);
      if (refusal) throw new CliError(refusal, EXIT.usage);
      const engine = opts.workers ? engineSettings(config, opts, process.env) : null;
      // A sink whose URL or key variable is unset would dead-letter every finding: refuse to start instead.
      const sinkProblems = engine ? resolveSinks(config, process.env).problems : [];
      if (sinkProblems.length) throw new CliError(sinkProblems.map((p) => `${p.path}: ${p.message}`).join('\n'), EXIT.usage);
      let lost: (reason: string) => void = () => undefined;
      const lostDatabase = new Promise<string>((resolve) => {
        lost = resolve;
      });
      const db = await openDatabase({ applicationName: 'beacon-runner', poolSize: 20, watch: true, onLost: (reason) => lost(reason) });
      if (db.applied.length) note(`applied migrations: ${db.applied.join(', ')}`);
      const log = createLogger({ base: engine ? { runner: engine.runnerId } : {} });
      const app = await createRunnerApp({ dataSource: db.ds, config, engine, log, logger: nestLogger(log) });
      try {
        await app.listen(port, host);
      } catch (err) {
        await app.close().catch(() => undefined);
        await db.close();
        throw listenError(err, host, port, 'daemon');
      }
      note(
        `beacon daemon listening on http://${host}:${port} (database ${db.handle.embedded ? `embedded, ${db.handle.dataDir}` : redact(db.handle.url)})`,
      );
      const tokens = config.auth?.tokens.length ?? 0;
      note(
        `API access: ${tokens ? `${tokens} bearer token(s)` : 'open to local requests only (no tokens configured)'}; ` +
          `job signatures ${config.signing?.required ? 'required' : 'not required'}`,
      );
      // A database this process can no longer reach (the embedded server came back on another port) ends the daemon
      // with a non-zero exit, so a supervisor restarts it and the new process adopts the server where it is now.
      const fatal = await runUntilSignal(
        () =>
          app
            .close()
            .catch(() => undefined)
            .then(() => db.close()),
        lostDatabase,
      );
      if (fatal) throw new CliError(`${fatal}; exiting so that a supervisor restarts the daemon`, EXIT.unreachable);
    });
}

function parsePort(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new CliError(`port: must be an integer from 0 to 65535 (got ${JSON.stringify(raw)})`, EXIT.usage);
  return n;
}
