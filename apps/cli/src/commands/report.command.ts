import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { ReportFormat } from '@beacon/analysis';
import { apiClient } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { note } from '../output.js';

/**
 * The formats of `renderReport` (the analysis library's REPORT_FORMATS, which `start-up.spec.ts` checks this
 * against): named here so that the help of `beacon report` does not load the analysis library at start-up.
 */
export const REPORT_FORMATS: readonly ReportFormat[] = ['md', 'json', 'csv', 'html'];

/** Writes a rendered report, creating its folder; returns the absolute path. */
export async function writeReportFile(file: string, content: string): Promise<string> {
  const abs = path.resolve(file);
  await mkdir(path.dirname(abs), { recursive: true });
  await writeFile(abs, content, 'utf8');
  return abs;
}

/** A file name for a job id (ids may hold `:`, which some file systems refuse). */
export function reportFileName(jobId: string, format: ReportFormat): string {
  return `${jobId.replace(/[^A-Za-z0-9_.-]/g, '_')}.${format}`;
}

/**
 * `beacon report JOB`: the job's cross-region analysis from the daemon's API (like `beacon job` and `beacon executions`,
 * so it works against a remote daemon and needs no database credentials), rendered as Markdown, JSON, CSV or one
 * self-contained HTML file.
 */
export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      'cross-region report of a job: refusal matrix, most divergent (question, model) pairs with answers side by side, data quality',
    )
    .argument('<job>', 'job id')
    .option('--format <format>', `output format: ${REPORT_FORMATS.join(', ')}`, 'md')
    .option('--out <file>', 'write to this file (folders are created) instead of stdout')
    .option('--top <n>', 'how many of the most divergent pairs to show with their answers', '10')
    .action(async (jobId: string, opts: { format: string; out?: string; top: string }) => {
      if (!(REPORT_FORMATS as readonly string[]).includes(opts.format)) {
        throw new CliError(`--format must be one of ${REPORT_FORMATS.join(', ')} (got ${JSON.stringify(opts.format)})`, EXIT.usage);
      }
      const top = Number(opts.top);
      if (!Number.isInteger(top) || top < 0)
        throw new CliError(`--top must be a whole number >= 0 (got ${JSON.stringify(opts.top)})`, EXIT.usage);
      const analysis = await apiClient().getAnalysis(jobId);
      const { renderReport } = await import('../lazy/analysis.js');
      const content = renderReport(analysis, opts.format as ReportFormat, top);
      if (!opts.out) {
        process.stdout.write(content);
        return;
      }
      const file = await writeReportFile(opts.out, content).catch((err: unknown) => {
        throw new CliError(`--out ${opts.out}: ${err instanceof Error ? err.message : String(err)}`, EXIT.failure);
      });
      note(`report written to ${file}`);
    });
}
