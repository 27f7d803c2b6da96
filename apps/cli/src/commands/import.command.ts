import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { LegacyImportError, importLegacyDocument, parseLegacyDocument, type ImportResult, type LegacyDocument } from '@beacon/db';
import { openDatabase } from '../database.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';

/** Reads and checks one export; every problem names the file and the field. */
async function load(file: string): Promise<LegacyDocument> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`${file}: cannot read: ${err instanceof Error ? err.message : String(err)}`, EXIT.usage);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file}: not JSON: ${err instanceof Error ? err.message : String(err)}`, EXIT.usage);
  }
  try {
    return parseLegacyDocument(parsed);
  } catch (err) {
    if (err instanceof LegacyImportError) throw new CliError(`${file}: ${err.message}`, EXIT.usage);
    throw err;
  }
}

/**
 * `beacon import FILE…`: loads Go runner exports (`{job, executions}`, one job per file) keeping their ids, one
 * transaction per file. Every file is checked before anything is written; importing a file again changes nothing.
 */
export function registerImport(program: Command): void {
  program.command('import')
    .description('import Go runner job exports ({job, executions} JSON, one job per file); re-importing changes nothing')
    .argument('<files...>', 'export files')
    .option('--json', 'print the result as JSON')
    .action(async (files: string[], flags: { json?: boolean }) => {
      const docs: { file: string; doc: LegacyDocument }[] = [];
      for (const file of files) docs.push({ file, doc: await load(file) });
      const db = await openDatabase({ applicationName: 'beacon-import', poolSize: 2, quiet: flags.json });
      const results: (ImportResult & { file: string })[] = [];
      try {
        for (const { file, doc } of docs) {
          try {
            results.push({ file, ...(await importLegacyDocument(db.ds, doc)) });
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
          process.stdout.write(`${r.file}: job ${r.jobId}${r.jobCreated ? '' : ' (already present)'}: `
            + `${r.imported} executions imported, ${r.alreadyPresent} already present\n`);
        }
      }
    });
}
