import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ImportResult } from '@beacon/db';
import {
  LegacyImportError,
  legacyImportRows,
  parseLegacyDocuments,
  parseLegacyExportText,
  type BeaconConfig,
  type LegacyImport,
} from '@beacon/domain';
import { readConfig, type GlobalOptions } from '../context.js';
import { openDatabase } from '../database.js';
import { CliError, EXIT } from '../exit-codes.js';
import { note, printJson } from '../output.js';

/** Reads and checks one export file; every problem names the file and the field. */
async function load(file: string, config: BeaconConfig): Promise<LegacyImport[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`${file}: cannot read: ${err instanceof Error ? err.message : String(err)}`, EXIT.usage);
  }
  let parsed: unknown;
  try {
    parsed = parseLegacyExportText(text);
  } catch (err) {
    throw new CliError(`${file}: not JSON: ${err instanceof Error ? err.message : String(err)}`, EXIT.usage);
  }
  try {
    return parseLegacyDocuments(parsed).map((doc) => legacyImportRows(doc, config));
  } catch (err) {
    if (err instanceof LegacyImportError) throw new CliError(`${file}: ${err.message}`, EXIT.usage);
    throw err;
  }
}

/** Progress on stderr for large files: a line per chunk on a TTY, else every 10 %. */
function progress(file: string, quiet: boolean): ((done: number, total: number) => void) | undefined {
  if (quiet) return undefined;
  let lastDecile = 0;
  return (done, total) => {
    if (total < 10_000) return;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${file}: ${done}/${total} executions${done === total ? '\n' : ''}`);
    } else if (Math.floor((10 * done) / total) > lastDecile) {
      lastDecile = Math.floor((10 * done) / total);
      note(`${file}: ${done}/${total} executions`);
    }
  };
}

/**
 * `beacon import FILE…`: loads Go runner exports (`{job, executions}`, one job per file) keeping their ids, one
 * transaction per file. Every file is checked before anything is written; importing a file again changes nothing.
 */
export function registerImport(program: Command): void {
  program
    .command('import')
    .description(
      'import Go runner job exports ({job, executions} JSON; a file may hold an array of them or JSON Lines); re-importing changes nothing',
    )
    .argument('<files...>', 'export files')
    .option('--json', 'print the result as JSON')
    .action(async (files: string[], flags: { json?: boolean }, cmd: Command) => {
      const config = readConfig(cmd.optsWithGlobals<GlobalOptions>());
      const docs: { file: string; rows: LegacyImport }[] = [];
      for (const file of files) for (const rows of await load(file, config)) docs.push({ file, rows });
      // The classifier and the database layer load here, not at start-up (see program.ts).
      const [{ classifyResponse }, { LegacyImportRepository }] = await Promise.all([
        import('../lazy/classifier.js'),
        import('../lazy/db.js'),
      ]);
      const db = await openDatabase({ applicationName: 'beacon-import', poolSize: 2, quiet: flags.json });
      const results: (ImportResult & { file: string })[] = [];
      try {
        const store = new LegacyImportRepository(db.ds, classifyResponse);
        for (const { file, rows } of docs) {
          try {
            results.push({ file, ...(await store.store(rows, progress(file, flags.json === true))) });
          } catch (err) {
            if (err instanceof LegacyImportError) throw new CliError(`${file}: ${err.message}`, EXIT.usage);
            throw err;
          }
        }
      } finally {
        await db.close();
      }
      if (flags.json) {
        printJson({ files: results });
      } else {
        for (const r of results) {
          process.stdout.write(
            `${r.file}: job ${r.jobId}${r.jobCreated ? '' : ' (already present)'}: ` +
              `${r.imported} executions imported, ${r.alreadyPresent} already present\n`,
          );
        }
      }
    });
}
