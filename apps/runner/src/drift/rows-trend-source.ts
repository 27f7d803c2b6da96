import { textSimilarity, type TrendSource } from '@beacon/analysis';
import { queryRows } from '@beacon/db';
import { TREND_LABELS, type NormalisedJobSpec, type TrendLabel, type TrendPoint, type TrendRun, type TrendSeries } from '@beacon/domain';
import type { DataSource } from 'typeorm';

/** Jobs before the evaluated one looked at for runs of the same axes (newest first). */
const CANDIDATES = 200;

/** A job's row as the series needs it. */
interface JobRow {
  id: string;
  spec: Pick<NormalisedJobSpec, 'questions' | 'models' | 'regions'>;
  status: string;
  created_at: Date;
}

/** One cell of one job, over its replicates. */
interface CellRow {
  job_id: string;
  question_id: string;
  model_id: string;
  region: string;
  replicates: number;
  sample: string | null;
}

/**
 * A {@link TrendSource} straight from the rows: the series of a job is the jobs created up to it (at most `runs`,
 * from the last {@link CANDIDATES}) whose spec has the same questions × models × regions, and their cells counted by
 * the current label of each succeeded, not superseded execution. Two bounded statements. The trends reader replaces
 * it where it is bound (TREND_SOURCE); the two agree on the contract of `@beacon/domain`'s trend types.
 */
export class RowsTrendSource implements TrendSource {
  constructor(
    private readonly ds: DataSource,
    private readonly runs = 11,
  ) {}

  async seriesForJob(jobId: string): Promise<TrendSeries | null> {
    const jobs = await queryRows<JobRow>(
      this.ds,
      `SELECT j.id, j.spec, j.status, j.created_at
         FROM jobs j, (SELECT created_at, id FROM jobs WHERE id = $1) me
        WHERE (j.created_at, j.id) <= (me.created_at, me.id)
        ORDER BY j.created_at DESC, j.id DESC
        LIMIT $2`,
      [jobId, CANDIDATES],
    );
    const me = jobs[0];
    if (!me || me.id !== jobId) return null;
    const key = axesKey(me.spec);
    const same = jobs
      .filter((j) => axesKey(j.spec) === key)
      .slice(0, this.runs)
      .reverse();
    const runs: TrendRun[] = same.map((j, index) => ({
      index,
      jobId: j.id,
      scheduleId: null,
      createdAt: j.created_at.toISOString(),
      status: j.status,
    }));
    const cells = await queryRows<CellRow>(
      this.ds,
      `SELECT job_id, question_id, model_id, region,
              count(*)::int AS replicates,
              (array_agg(left(response, 2000) ORDER BY replicate) FILTER (WHERE state = 'succeeded' AND response IS NOT NULL))[1] AS sample
         FROM executions
        WHERE job_id = ANY($1::text[]) AND superseded_by IS NULL
        GROUP BY 1, 2, 3, 4`,
      [runs.map((r) => r.jobId)],
    );
    const labelCounts = await queryRows<{
      job_id: string;
      question_id: string;
      model_id: string;
      region: string;
      label: string;
      n: number;
    }>(
      this.ds,
      `SELECT job_id, question_id, model_id, region, classification AS label, count(*)::int AS n
         FROM executions
        WHERE job_id = ANY($1::text[]) AND superseded_by IS NULL AND state = 'succeeded' AND classification IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5`,
      [runs.map((r) => r.jobId)],
    );
    const cellKey = (r: { job_id: string; question_id: string; model_id: string; region: string }) =>
      `${r.job_id}\u0000${r.question_id}\u0000${r.model_id}\u0000${r.region}`;
    const countsBy = new Map<string, Record<TrendLabel, number>>();
    for (const l of labelCounts) {
      if (!(TREND_LABELS as readonly string[]).includes(l.label)) continue;
      const k = cellKey(l);
      const c = countsBy.get(k) ?? { answered: 0, refused: 0, partial: 0, empty: 0, filtered: 0 };
      c[l.label as TrendLabel] += l.n;
      countsBy.set(k, c);
    }
    const runOf = new Map(runs.map((r) => [r.jobId, r]));
    const categoryOf = new Map(me.spec.questions.map((q) => [q.id, q.category]));
    const points: TrendPoint[] = cells.map((c) => {
      const counts = countsBy.get(cellKey(c)) ?? { answered: 0, refused: 0, partial: 0, empty: 0, filtered: 0 };
      const responses = TREND_LABELS.reduce((n, l) => n + counts[l], 0);
      const run = runOf.get(c.job_id)!;
      return {
        questionId: c.question_id,
        model: c.model_id,
        region: c.region,
        runIndex: run.index,
        jobId: c.job_id,
        category: categoryOf.get(c.question_id) ?? null,
        replicates: c.replicates,
        responses,
        counts,
        label: responses === 0 ? null : majority(counts),
        sample: c.sample,
        similarityToPrevious: null,
      };
    });
    points.sort(
      (a, b) =>
        a.questionId.localeCompare(b.questionId) ||
        a.model.localeCompare(b.model) ||
        a.region.localeCompare(b.region) ||
        a.runIndex - b.runIndex,
    );
    for (let i = 1; i < points.length; i++) {
      const p = points[i]!;
      const q = points[i - 1]!;
      if (q.questionId === p.questionId && q.model === p.model && q.region === p.region && q.runIndex === p.runIndex - 1) {
        p.similarityToPrevious = p.sample !== null && q.sample !== null ? textSimilarity(q.sample, p.sample) : null;
      }
    }
    return { source: { kind: 'jobs', jobIds: runs.map((r) => r.jobId) }, runs, points };
  }
}

/** The axes of a spec, order-free: sorted question ids, model ids and region ids. */
function axesKey(spec: JobRow['spec']): string {
  const ids = (xs: { id: string }[]) => xs.map((x) => x.id).sort();
  return JSON.stringify([ids(spec.questions), ids(spec.models), ids(spec.regions)]);
}

/** The most frequent label; ties go to the first of refused, partial, filtered, empty, answered (the trend contract). */
function majority(c: Record<TrendLabel, number>): TrendLabel {
  const order: TrendLabel[] = ['refused', 'partial', 'filtered', 'empty', 'answered'];
  return order.reduce((best, l) => (c[l] > c[best] ? l : best), order[0]!);
}
