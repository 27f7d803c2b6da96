import { get } from './api.js';
import { h, replace, routeHref, routeLink, when } from './dom.js';
import { liveRefresh } from './live.js';
import type { PageContext } from './main.js';
import type { JobSummary, Page, Schedule } from './types.js';

const STATUSES = ['queued', 'running', 'completed', 'partially_completed', 'failed', 'cancelled', 'budget_exhausted'];
/** Jobs per page read from the API (the filters are applied by the API, so a page is a page of matches). */
const PAGE_JOBS = 100;

/** Cells that are finished (succeeded, failed or cancelled). */
export function doneCells(j: JobSummary): number {
  const s = j.cells.byState;
  return (s.succeeded ?? 0) + (s.failed ?? 0) + (s.cancelled ?? 0);
}

/** A progress bar with its numbers in words (the bar alone says nothing to a screen reader). */
export function progress(j: JobSummary): HTMLElement {
  const done = doneCells(j);
  const total = j.cells.expected || j.cells.planned || 0;
  return h(
    'span',
    { class: 'progress', 'data-done': done, 'data-total': total },
    h('progress', { max: Math.max(total, 1), value: done, 'aria-label': `${done} of ${total} cells done` }),
    ` ${done}/${total}`,
  );
}

interface Filters {
  status: string;
  benchmark: string;
  from: string;
  to: string;
  schedule: string;
}

/** The API query of the filters (empty ones left out). */
function listQuery(f: Filters, cursor: string | null): string {
  const q = new URLSearchParams({ limit: String(PAGE_JOBS) });
  for (const k of Object.keys(f) as (keyof Filters)[]) if (f[k]) q.set(k, f[k]);
  if (cursor) q.set('cursor', cursor);
  return q.toString();
}

/** `#/jobs?status=&benchmark=&from=&to=&schedule=`: the jobs, newest first, filtered, their progress live. */
export async function jobsPage(ctx: PageContext): Promise<void> {
  const f: Filters = {
    status: ctx.params.get('status') ?? '',
    benchmark: ctx.params.get('benchmark') ?? '',
    from: ctx.params.get('from') ?? '',
    to: ctx.params.get('to') ?? '',
    schedule: ctx.params.get('schedule') ?? '',
  };
  const schedules = await get<Page<Schedule>>('/api/v1/schedules', ctx.signal).catch(() => ({ items: [] as Schedule[] }));
  const scheduleNames = schedules.items.map((s) => s.name);

  const status = h('select', { id: 'f-status', name: 'status' }, h('option', { value: '' }, 'any'));
  for (const s of STATUSES) status.appendChild(h('option', { value: s, selected: s === f.status }, s));
  const schedule = h('select', { id: 'f-schedule', name: 'schedule' }, h('option', { value: '' }, 'any'));
  for (const s of scheduleNames) schedule.appendChild(h('option', { value: s, selected: s === f.schedule }, s));
  const benchmark = h('input', { id: 'f-benchmark', name: 'benchmark', type: 'search', value: f.benchmark });
  const from = h('input', { id: 'f-from', name: 'from', type: 'date', value: f.from });
  const to = h('input', { id: 'f-to', name: 'to', type: 'date', value: f.to });
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter jobs' },
    h('label', { for: 'f-status' }, 'Status', status),
    h('label', { for: 'f-benchmark' }, 'Benchmark', benchmark),
    h('label', { for: 'f-from' }, 'Created from', from),
    h('label', { for: 'f-to' }, 'Created until', to),
    h('label', { for: 'f-schedule' }, 'Schedule', schedule),
    h('button', { type: 'submit' }, 'Filter'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = routeHref(['jobs'], {
      status: status.value,
      benchmark: benchmark.value.trim(),
      from: from.value,
      to: to.value,
      schedule: schedule.value,
    });
  });

  const tbody = h('tbody');
  const count = h('p', { class: 'muted', id: 'jobs-count' });
  const table = h(
    'table',
    { id: 'jobs' },
    h('caption', { class: 'muted' }, 'Jobs, newest first'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Job'),
        h('th', { scope: 'col' }, 'Benchmark'),
        h('th', { scope: 'col' }, 'Status'),
        h('th', { scope: 'col' }, 'Progress'),
        h('th', { scope: 'col', class: 'num' }, 'Open findings'),
        h('th', { scope: 'col' }, 'Created'),
      ),
    ),
    tbody,
  );
  replace(ctx.main, h('h1', {}, 'Jobs'), form, count, h('div', { class: 'table-wrap' }, table));

  const more = h('button', { type: 'button', class: 'secondary', id: 'jobs-more', hidden: true }, 'Show more jobs');
  ctx.main.append(more);
  // The pages shown so far: a live refresh reads the same number of jobs again, from the newest.
  let shown = 1;
  const draw = async () => {
    const jobs: JobSummary[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < shown; i++) {
      const page: Page<JobSummary> = await get<Page<JobSummary>>(`/api/v1/jobs?${listQuery(f, cursor)}`, ctx.signal);
      jobs.push(...page.items);
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    more.hidden = cursor === null;
    replace(
      tbody,
      ...jobs.map((j) =>
        h(
          'tr',
          { 'data-job': j.id },
          h('td', {}, routeLink(['jobs', j.id], j.id)),
          h('td', {}, j.benchmark),
          h(
            'td',
            { class: 'job-status' },
            j.status,
            j.cancelRequestedAt && j.status === 'running' ? ' (cancelling)' : j.pausedAt ? ' (paused)' : '',
          ),
          h('td', {}, progress(j)),
          h('td', { class: 'num' }, j.findings.open),
          h('td', {}, when(j.createdAt)),
        ),
      ),
    );
    count.textContent = `${jobs.length}${cursor ? '+' : ''} job${jobs.length === 1 ? '' : 's'}`;
  };
  more.addEventListener('click', () => {
    shown += 1;
    void draw().catch((err: unknown) => ctx.say(`Could not read more jobs: ${err instanceof Error ? err.message : String(err)}`));
  });
  await draw();
  liveRefresh('kind=job_state,execution_state', draw, ctx.signal, 1000);
}
