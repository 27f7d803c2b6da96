import type { Command } from 'commander';
import { openDatabase } from '../database.js';
import { printJson } from '../output.js';

/** `beacon migrate`: apply pending migrations to the database and exit. */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (the daemon also does this at start)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const db = await openDatabase({ applicationName: 'beacon-migrate', poolSize: 2, quiet: opts.json });
      try {
        if (opts.json) printJson({ applied: db.applied });
        else process.stdout.write(db.applied.length ? `applied ${db.applied.length}: ${db.applied.join(', ')}\n` : 'schema is current\n');
      } finally {
        await db.close();
      }
    });
}
