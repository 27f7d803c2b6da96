import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { apiClient } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { renderJobReport } from '@beacon/domain';
import { jobReport, waitForJob } from '../job-progress.js';
import { printJson } from '../output.js';

/** `beacon submit FILE`: send a job spec (Beacon's or the Go runner's) to the daemon. */
export function registerSubmit(program: Command): void {
  program.command('submit')
    .description('submit a job spec file (use - for stdin); prints the job id and its number of cells')
    .argument('<file>', 'job spec JSON file')
    .option('--json', 'print the API answer as JSON')
    .option('--wait', 'wait for the job to finish, with a progress bar, then print its result table')
    .action(async (file: string, opts: { json?: boolean; wait?: boolean }) => {
      const text = await readSpec(file);
      const api = apiClient();
      const { status, body } = await api.submitJob(text);
      if (!opts.wait) {
        if (opts.json) return printJson({ ...body, httpStatus: status });
        const verb = body.created ? 'submitted' : 'already submitted';
        process.stdout.write(`${verb} job ${body.id}: ${body.cells} cells, status ${body.status}\n`);
        return;
      }
      if (!opts.json) process.stderr.write(`${body.created ? 'submitted' : 'already submitted'} job ${body.id}: ${body.cells} cells\n`);
      const job = await waitForJob(api, body.id, { quiet: opts.json });
      const report = await jobReport(api, job);
      if (opts.json) printJson(report);
      else process.stdout.write(renderJobReport(report, { width: process.stdout.columns || 160 }));
      if (job.status !== 'completed') throw new CliError(`job ${job.id} ended ${job.status}`, EXIT.jobNotCompleted);
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
