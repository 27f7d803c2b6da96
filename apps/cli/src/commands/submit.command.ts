import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { apiClient } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';

/** `beacon submit FILE`: send a job spec (Beacon's or the Go runner's) to the daemon. */
export function registerSubmit(program: Command): void {
  program.command('submit')
    .description('submit a job spec file (use - for stdin); prints the job id and its number of cells')
    .argument('<file>', 'job spec JSON file')
    .option('--json', 'print the API answer as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const text = await readSpec(file);
      const { status, body } = await apiClient().submitJob(text);
      if (opts.json) return printJson({ ...body, httpStatus: status });
      const verb = body.created ? 'submitted' : 'already submitted';
      process.stdout.write(`${verb} job ${body.id}: ${body.cells} cells, status ${body.status}\n`);
    });
}

async function readSpec(file: string): Promise<string> {
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    }
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, EXIT.usage);
  }
}
