import { isActiveJobStatus, type JobSummaryView } from '@beacon/domain';

/**
 * A job's status as the screens show it, from the job's own fields: the stored status, and for a job still active
 * whose cancel was requested, that too. Such a job stays `running` until its running calls have stopped (then it is
 * `cancelled`); there is no status in between. `short` fits the Jobs list's status column.
 */
export function jobStatusText(job: Pick<JobSummaryView, 'status' | 'cancelRequestedAt'>, short = false): string {
  if (!isActiveJobStatus(job.status) || job.cancelRequestedAt === null) return job.status;
  return short ? `${job.status} ✕` : `${job.status}, cancel requested`;
}
