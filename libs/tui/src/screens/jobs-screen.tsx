import { useMemo } from 'react';
import { Box } from 'ink';
import { finishedCells, type JobSummaryView } from '@beacon/domain';
import { useResource } from '../hooks/use-resource.js';
import { useListCursor } from '../hooks/use-list-cursor.js';
import { useScreenKeys } from '../hooks/use-screen-keys.js';
import { JOBS_KEYS } from '../keys/key-tables.js';
import { jobStatusText } from '../layout/job-status-text.js';
import { progressBar } from '../layout/progress-bar.js';
import { clockTime, fit } from '../layout/time-format.js';
import { isJobControl, jobControlAction } from '../state/controls.reducer.js';
import { matchesFilter, parseFilter } from '../state/filter-query.js';
import { sortNote, sortRows, UNSORTED, type SortColumn } from '../state/table-sort.js';
import type { ScreenProps } from '../views/screen-props.js';
import { Note, Row, Segments } from '../views/segments.js';
import { stateTone } from '../views/theme.js';

/** A job with what the list shows beside it. */
export interface JobRow {
  readonly job: JobSummaryView;
  readonly done: number;
  readonly failed: number;
  readonly duplicates: number;
  readonly findings: number;
}

/**
 * What the list shows beside each job (newest job first, as the API lists them). Open findings and duplicates come
 * counted with the job, so they stay exact however many findings there are.
 */
export function jobRows(jobs: readonly JobSummaryView[]): JobRow[] {
  return jobs.map((job) => ({
    job,
    done: finishedCells(job.cells.byState),
    failed: job.cells.byState.failed ?? 0,
    duplicates: job.findings.duplicates,
    findings: job.findings.open,
  }));
}

const BAR = 10;

/** The columns `s` sorts the list by, in the order it steps through them. */
export const JOB_SORT_COLUMNS: readonly SortColumn<JobRow>[] = [
  { title: 'STATUS', value: (r) => r.job.status },
  { title: 'PROGRESS', value: (r) => (r.job.cells.expected > 0 ? r.done / r.job.cells.expected : 0) },
  { title: 'FAIL', value: (r) => r.failed },
  { title: 'DUP', value: (r) => r.duplicates },
  { title: 'FIND', value: (r) => r.findings },
  { title: 'JOB', value: (r) => r.job.id },
];

/** The columns after the id: status, bar, done/expected, failures, duplicates, open findings. */
function tail(status: string, bar: string, counts: string, failed: string, dups: string, findings: string): string {
  return ` ${fit(status, 12, true)} ${bar.padEnd(BAR)} ${counts.padStart(13)} ${failed.padStart(4)} ${dups.padStart(3)} ${findings.padStart(4)}`;
}

/** One row's text (without the selection marker), `width` columns wide. */
export function jobLine(r: JobRow, width: number): string {
  const t = tail(
    jobStatusText(r.job, true),
    progressBar(r.done, r.job.cells.expected, BAR),
    `${r.done}/${r.job.cells.expected}`,
    String(r.failed),
    String(r.duplicates),
    String(r.findings),
  );
  return fit(r.job.id, Math.max(8, width - t.length), true) + t;
}

/** The column titles above the rows. */
export function jobHeader(width: number, sortedBy: string | null = null, descending = true): string {
  // The sorted column's title carries the direction: `FAIL▼`.
  const mark = (title: string) => (title === sortedBy ? `${title}${descending ? '▼' : '▲'}` : title);
  const t = tail(mark('STATUS'), mark('PROGRESS'), 'DONE/CELLS', mark('FAIL'), mark('DUP'), mark('FIND'));
  return fit(mark('JOB'), Math.max(8, width - t.length), true) + t;
}

/**
 * The schedule a job id names as `<schedule>-<run number>`, or null. The Trends screen asks for that schedule's series
 * and falls back to the job alone when the schedule has no runs (a submitted job whose id merely ends in digits).
 */
export function scheduleOf(jobId: string): string | null {
  const m = /^(.+)-\d{1,15}$/.exec(jobId);
  return m ? m[1]! : null;
}

/** Jobs, newest first, refreshed every 2 s: progress, failures, duplicates and open findings; enter opens one. */
export function JobsScreen({ api, state, dispatch, width, height }: ScreenProps) {
  const jobs = useResource('jobs', () => api.listJobs(100), 2_000);
  const filter = state.filters.jobs;
  const sort = state.sorts.jobs ?? UNSORTED;
  const rows = useMemo(() => {
    const all = jobRows(jobs.data?.items ?? []);
    const q = parseFilter(filter);
    const kept = all.filter((r) => matchesFilter(q, { id: r.job.id, status: r.job.status, benchmark: r.job.benchmark }));
    return sortRows(kept, JOB_SORT_COLUMNS, sort);
  }, [jobs.data, filter, sort]);
  const listHeight = height - 2;
  const { cursor, move } = useListCursor(state, dispatch, 'jobs', rows.length, listHeight);
  useScreenKeys('jobs', JOBS_KEYS, (c) => {
    if (isJobControl(c)) return dispatch(jobControlAction(c, rows[cursor.index]?.job.id ?? null));
    if (c === 'open') {
      const r = rows[cursor.index];
      if (r) dispatch({ type: 'open/timeline', jobId: r.job.id });
    } else if (c === 'trend') {
      const r = rows[cursor.index];
      if (r) dispatch({ type: 'open/trend', target: { ids: [scheduleOf(r.job.id) ?? r.job.id], orJobs: [r.job.id] } });
    } else if (c === 'suspects') {
      const r = rows[cursor.index];
      if (r) dispatch({ type: 'open/suspects', jobId: r.job.id });
    } else if (c === 'filter') dispatch({ type: 'prompt/open' });
    else if (c === 'refresh') jobs.reload();
    else if (c === 'sort') dispatch({ type: 'sort/next', screen: 'jobs', columns: JOB_SORT_COLUMNS.length });
    else if (c === 'sortReverse') dispatch({ type: 'sort/reverse', screen: 'jobs' });
    else move(c);
  });

  const stale = jobs.error !== null && jobs.data !== null;
  const lineWidth = width - 2;
  const visible = rows.slice(cursor.top, cursor.top + listHeight);
  return (
    <Box flexDirection="column" height={height}>
      <Note>{'  ' + jobHeader(lineWidth, sort.column < 0 ? null : (JOB_SORT_COLUMNS[sort.column]?.title ?? null), sort.descending)}</Note>
      {jobs.error && !jobs.data ? (
        <Note tone="bad">{fit(jobs.error, width)}</Note>
      ) : rows.length === 0 ? (
        <Note>
          {jobs.loading ? 'loading jobs…' : filter ? `no job matches "${filter}"` : 'no jobs yet: submit one with `beacon submit FILE`'}
        </Note>
      ) : (
        visible.map((r, i) =>
          cursor.top + i === cursor.index ? (
            <Row key={r.job.id} selected>
              {jobLine(r, lineWidth)}
            </Row>
          ) : (
            <Segments
              key={r.job.id}
              segments={[{ text: '  ' + jobLine(r, lineWidth), tone: stateTone(r.job.status) === 'bad' ? 'bad' : undefined }]}
            />
          ),
        )
      )}
      <Box flexGrow={1} />
      {/* A failed refresh keeps the last list, marked stale: the operator still sees what was there, and that it is old. */}
      <Note tone={stale ? 'warn' : undefined}>
        {fit(
          `${stale ? `STALE since ${clockTime(jobs.updatedAt).slice(0, 8)} · ` : ''}${rows.length} job${rows.length === 1 ? '' : 's'}${filter ? ` matching "${filter}"` : ''}${sort.column >= 0 ? ` · ${sortNote(JOB_SORT_COLUMNS, sort)}` : ''}${stale ? ` · ${jobs.error}` : ''}`,
          width,
        )}
      </Note>
    </Box>
  );
}
