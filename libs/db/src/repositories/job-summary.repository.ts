import type { DataSource } from 'typeorm';
import type { LabelDivergence, LabelDivergencePage } from '@beacon/domain';
import { queryRows } from './query.js';
import { CELL_SQL } from './status-sql.js';
import { MATRIX_LABELS, type MatrixLabel } from './matrix.repository.js';

/** Labelled responses of one (model, region) across the job's questions and variants. */
export interface RefusalCount {
  modelId: string;
  region: string;
  /** Cells of the group (every state). */
  cells: number;
  /** Succeeded cells with a known label. */
  responses: number;
  refused: number;
  partial: number;
}

export type { LabelDivergence, LabelDivergencePage } from '@beacon/domain';

/** A row of the refusal grouping statement. */
interface RefusalCountRow {
  model_id: string;
  region: string;
  cells: number;
  responses: number;
  refused: number;
  partial: number;
}

/** A row of the page statement below (sums are bigint, read as text). */
interface LabelDivergenceRow {
  question_id: string;
  model_id: string;
  variant: string;
  is_control: boolean;
  regions: number;
  responses: number;
  refused: number;
  pairs: string;
  agreeing: string;
  disagreement: number | null;
  noise_floor: number | null;
  total: number;
  compared: number;
  above_noise: number;
  /** The control floors per model and overall (model null), the same on every row. */
  floors: FloorRow[] | null;
}

/** A row of the floors statement. */
interface FloorRow {
  model_id: string | null;
  floor: number | null;
}

/** Open findings of a job by severity. */
interface SeverityRow {
  severity: string;
  n: number;
}

/** Memory for the summary's aggregation (per statement, released with its transaction). */
const WORK_MEM = '64MB';

const NO_PAIRS = { total: 0, compared: 0, above_noise: 0, floors: null } as const;

/** A disagreement must beat the floor by more than this to count (rounding noise), as in the analysis. */
const EPSILON = 1e-9;

const LABEL_SQL = MATRIX_LABELS.map((l) => `'${l}'`).join(', ');
const COUNT_BY_LABEL = MATRIX_LABELS.map((l: MatrixLabel) => `count(*) FILTER (WHERE classification = '${l}')::int AS ${l}`).join(', ');
/** Σ over labels of (Σ_r n_rl)² − Σ_r n_rl²: twice the agreeing cross-region pairs. */
const AGREEING_SQL = MATRIX_LABELS.map((l) => `(sum(${l}) * sum(${l}) - sum(${l} * ${l}))`).join(' + ');

/**
 * Per (question, model, variant): regions, cross-region response pairs and agreeing ones, computed from label counts
 * per region in one pass (pairs of two regions: ((Σ n)² − Σ n²) / 2), so no response text and no per-pair loop leave
 * the database. `$1` the job, `$2` the control question ids.
 */
const PAIRS_CTE = `
  g AS (
    SELECT question_id, model_id, variant, region, count(*)::int AS n, ${COUNT_BY_LABEL}
      FROM executions
     WHERE job_id = $1 AND state = ${CELL_SQL.succeeded} AND classification IN (${LABEL_SQL})
     GROUP BY question_id, model_id, variant, region),
  s AS (
    SELECT question_id, model_id, variant, count(*)::int AS regions, sum(n)::int AS responses, sum(refused)::int AS refused,
           (sum(n) * sum(n) - sum(n * n)) / 2 AS pairs, (${AGREEING_SQL}) / 2 AS agreeing
      FROM g GROUP BY question_id, model_id, variant),
  p AS (
    SELECT s.*, question_id = ANY($2::text[]) AS is_control,
           CASE WHEN pairs > 0 THEN 1 - agreeing::float8 / pairs::float8 END AS disagreement
      FROM s)`;

/**
 * The bounded summary of a job's results for its first view, aggregated by Postgres (the daemon's event loop only
 * maps a few hundred small rows, whatever the size of the job): refusal counts per (model, region), the label
 * divergence of each (question, model) a page at a time with its noise floor, and the open findings by severity.
 */
export class JobSummaryRepository {
  constructor(private readonly ds: DataSource) {}

  async refusals(jobId: string): Promise<RefusalCount[]> {
    const rows = await queryRows<RefusalCountRow>(
      this.ds,
      `SELECT model_id, region, count(*)::int AS cells,
              count(*) FILTER (WHERE state = ${CELL_SQL.succeeded} AND classification IN (${LABEL_SQL}))::int AS responses,
              count(*) FILTER (WHERE state = ${CELL_SQL.succeeded} AND classification = 'refused')::int AS refused,
              count(*) FILTER (WHERE state = ${CELL_SQL.succeeded} AND classification = 'partial')::int AS partial
         FROM executions WHERE job_id = $1 GROUP BY model_id, region`,
      [jobId],
    );
    return rows.map((r) => ({
      modelId: r.model_id,
      region: r.region,
      cells: r.cells,
      responses: r.responses,
      refused: r.refused,
      partial: r.partial,
    }));
  }

  /** `limit` pairs from `offset`, most divergent first, then most refused (then by question, model, variant). */
  async divergence(jobId: string, controlQuestions: readonly string[], limit: number, offset: number): Promise<LabelDivergencePage> {
    const rows = await this.page(jobId, controlQuestions, limit, offset);
    // An offset past the end has no row to carry the totals: read them again without paging.
    const totals = rows[0] ?? (offset > 0 ? (await this.page(jobId, controlQuestions, 1, 0))[0] : undefined) ?? NO_PAIRS;
    const floors = totals.floors ?? [];
    return {
      total: totals.total,
      compared: totals.compared,
      aboveNoise: totals.above_noise,
      items: rows.map(labelDivergence),
      noiseFloor: {
        overall: floors.find((f) => f.model_id === null)?.floor ?? null,
        byModel: Object.fromEntries(floors.filter((f) => f.model_id !== null).map((f) => [f.model_id!, f.floor])),
      },
    };
  }

  /**
   * One statement (the pairs are aggregated once); with room for its two hash aggregations in memory, which at
   * 100,000 cells spill to disk at the default work_mem and take several times as long.
   */
  private page(jobId: string, controlQuestions: readonly string[], limit: number, offset: number): Promise<LabelDivergenceRow[]> {
    return this.ds.transaction(async (tx) => {
      await tx.query(`SET LOCAL work_mem = '${WORK_MEM}'`);
      return queryRows<LabelDivergenceRow>(
        tx,
        `WITH ${PAIRS_CTE},
       fl AS (
         SELECT model_id, max(disagreement) AS floor FROM p WHERE is_control GROUP BY ROLLUP (model_id)),
       f AS (
         SELECT p.*, coalesce(max(disagreement) FILTER (WHERE is_control) OVER (PARTITION BY variant, model_id),
                              max(disagreement) FILTER (WHERE is_control) OVER (PARTITION BY variant)) AS noise_floor
           FROM p),
       t AS (
         SELECT f.*, count(*) OVER ()::int AS total,
                count(disagreement) OVER ()::int AS compared,
                count(*) FILTER (WHERE NOT is_control AND disagreement > noise_floor + ${EPSILON}) OVER ()::int AS above_noise
           FROM f)
       SELECT question_id, model_id, variant, is_control, regions, responses, refused, pairs::text, agreeing::text, disagreement, noise_floor,
              total, compared, above_noise,
              (SELECT jsonb_agg(jsonb_build_object('model_id', model_id, 'floor', floor)) FROM fl) AS floors
         FROM t ORDER BY disagreement DESC NULLS LAST, refused::float8 / nullif(responses, 0) DESC NULLS LAST,
                         question_id, model_id, variant
        LIMIT $3 OFFSET $4`,
        [jobId, controlQuestions, limit, offset],
      );
    });
  }

  /** Open findings of the job by severity. */
  async openFindings(jobId: string): Promise<{ open: number; bySeverity: Record<string, number> }> {
    const rows = await queryRows<SeverityRow>(
      this.ds,
      `SELECT severity, count(*)::int AS n FROM reconciler_findings WHERE job_id = $1 AND resolved_at IS NULL GROUP BY severity`,
      [jobId],
    );
    const bySeverity: Record<string, number> = { info: 0, warning: 0, critical: 0 };
    for (const r of rows) bySeverity[r.severity] = r.n;
    return { open: rows.reduce((n, r) => n + r.n, 0), bySeverity };
  }
}

function labelDivergence(r: LabelDivergenceRow): LabelDivergence {
  return {
    questionId: r.question_id,
    modelId: r.model_id,
    variant: r.variant,
    isControl: r.is_control,
    regions: r.regions,
    responses: r.responses,
    refused: r.refused,
    pairs: Number(r.pairs),
    agreeing: Number(r.agreeing),
    disagreement: r.disagreement,
    noiseFloor: r.noise_floor,
    aboveNoise: r.disagreement === null || r.noise_floor === null ? null : r.disagreement > r.noise_floor + EPSILON,
  };
}
