import { assembleTrendSeries, type TrendSource } from '@beacon/analysis';
import { queryRows, TrendRepository } from '@beacon/db';
import type { NormalisedJobSpec, TrendSeries } from '@beacon/domain';
import type { DataSource } from 'typeorm';

/** Jobs before the evaluated one looked at for runs of the same axes (newest first). */
const CANDIDATES = 200;

/** A job's row as picking its series needs it. */
interface JobRow {
  id: string;
  spec: Pick<NormalisedJobSpec, 'questions' | 'models' | 'regions'>;
  schedule_id: string | null;
}

/**
 * Drift detection's {@link TrendSource}: which runs make a job's series is decided here, and what a run says is read by
 * the trends reader (`TrendRepository.series`, the same figures `beacon trend` shows). The series of a job that a
 * schedule fired is that schedule's runs up to it; of any other job, the jobs created up to it (from the last
 * {@link CANDIDATES}) whose spec has the same questions × models × regions. At most `runs` runs, oldest first.
 */
export class RowsTrendSource implements TrendSource {
  private readonly trends: TrendRepository;

  constructor(
    private readonly ds: DataSource,
    private readonly runs = 11,
  ) {
    this.trends = new TrendRepository(ds);
  }

  async seriesForJob(jobId: string): Promise<TrendSeries | null> {
    const jobs = await queryRows<JobRow>(
      this.ds,
      `WITH me AS (SELECT created_at, id, schedule_id FROM jobs WHERE id = $1)
       SELECT j.id, j.spec, j.schedule_id
         FROM jobs j, me
        WHERE (j.created_at, j.id) <= (me.created_at, me.id)
          AND (me.schedule_id IS NULL OR j.schedule_id = me.schedule_id)
        ORDER BY j.created_at DESC, j.id DESC
        LIMIT $2`,
      [jobId, CANDIDATES],
    );
    const me = jobs[0];
    if (!me || me.id !== jobId) return null;
    const key = axesKey(me.spec);
    const jobIds = jobs
      .filter((j) => axesKey(j.spec) === key)
      .slice(0, this.runs)
      .map((j) => j.id)
      .reverse();
    const { runs, points } = await this.trends.series(jobIds, null);
    return assembleTrendSeries(
      me.schedule_id !== null ? { kind: 'schedule', scheduleId: me.schedule_id } : { kind: 'jobs', jobIds },
      runs.map(({ axes: _axes, ...r }) => r),
      points,
    );
  }
}

/** The axes of a spec, order-free: sorted question ids, model ids and region ids. */
function axesKey(spec: JobRow['spec']): string {
  const ids = (xs: { id: string }[]) => xs.map((x) => x.id).sort();
  return JSON.stringify([ids(spec.questions), ids(spec.models), ids(spec.regions)]);
}
