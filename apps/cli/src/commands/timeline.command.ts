import type { Command } from 'commander';
import { renderTimeline, type TimelineView } from '@beacon/domain';
import { apiClient } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';

/** `beacon timeline JOB`: the job's cells as lanes, attempts as bars on one time axis, with marks and a legend. */
export function registerTimeline(program: Command): void {
  program
    .command('timeline')
    .description("show a job's cells as lanes with their attempts on a shared time axis (retries, gaps, duplicates, out-of-spec work)")
    .argument('<job>', 'job id')
    .option('--region <region>', 'only this region')
    .option('--model <model>', 'only this model')
    .option('--question <id>', 'only this question')
    .option('--max-lanes <n>', 'at most this many lanes', '1000')
    .option('--width <n>', "line width (default: the terminal's, else 120)")
    .option('--json', "print as JSON (the API's TimelineView, all pages merged)")
    .action(
      async (
        job: string,
        opts: { region?: string; model?: string; question?: string; maxLanes: string; width?: string; json?: boolean },
      ) => {
        const max = positive('max-lanes', opts.maxLanes);
        const client = apiClient();
        const q = { region: opts.region, model: opts.model, question: opts.question };
        let view: TimelineView | null = null;
        let cursor: string | undefined;
        do {
          const page = await client.getTimeline(job, { ...q, cursor, limit: Math.min(1000, max - (view?.lanes.length ?? 0)) });
          view = view ? { ...page, lanes: [...view.lanes, ...page.lanes] } : page;
          cursor = page.nextCursor ?? undefined;
        } while (cursor && view.lanes.length < max);
        if (opts.json) return printJson(view);
        const width = opts.width ? positive('width', opts.width) : process.stdout.isTTY ? process.stdout.columns : 120;
        process.stdout.write(renderTimeline(view, { width }));
      },
    );
}

function positive(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--${name}: must be a positive integer (got ${JSON.stringify(raw)})`, EXIT.usage);
  return n;
}
