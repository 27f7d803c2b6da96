import type { DataSource } from 'typeorm';
import type { ExecutionState } from '@beacon/domain';
import { queryRows } from './query.js';
import { CELL_SQL, parseCellState } from './status-sql.js';

/** A cell as the analysis reads it: the key, the outcome, and at most `maxTextChars` of the response. */
export interface AnalysisCellRow {
  id: string;
  questionId: string;
  modelId: string;
  region: string;
  variant: string;
  replicate: number;
  state: ExecutionState;
  classification: string | null;
  response: string | null;
  responseTruncated: boolean;
}

/** One page of a job's cells in id order, and the cursor of the next page (null after the last). */
export interface AnalysisCellPage {
  cells: AnalysisCellRow[];
  nextCursor: string | null;
}

/**
 * The reads behind `GET /api/v1/jobs/:id/analysis`, bounded: a cheap version of a job's analysable state (the cache
 * key), and the job's cells a page at a time with the response text cut in the database, so no read brings a whole
 * job's text into the daemon at once.
 */
/** Succeeded cells of one (region, model) served by one provider kind from one region (see {@link AnalysisReadRepository.servedBy}). */
export interface ServedByCount {
  region: string;
  modelId: string;
  providerKind: string | null;
  servedRegion: string | null;
  regionObserved: string | null;
  cells: number;
}

export class AnalysisReadRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * A string that changes whenever the job's analysis could: the job row (status, updated_at) and the job's own
   * analysis version (the sum of its `job_analysis_versions` counters, bumped by triggers on every change to the job's
   * cells' state, label or response and to its open findings, in commit order). Index probes over a few rows, whatever
   * the size of the job, and nothing another job does changes it. Null when there is no job.
   */
  async version(jobId: string): Promise<string | null> {
    const [r] = await queryRows<{ status: string; updated: string; version: string }>(
      this.ds,
      `SELECT j.status, extract(epoch FROM j.updated_at)::text AS updated,
              (SELECT coalesce(sum(v.version), 0) FROM job_analysis_versions v WHERE v.job_id = j.id)::text AS version
         FROM jobs j
        WHERE j.id = $1`,
      [jobId],
    );
    if (!r) return null;
    return [r.status, r.updated, r.version].join('|');
  }

  /**
   * The job's succeeded cells counted by (region, model, provider kind, served region, observed region), read from
   * the attempt that holds each cell's result. One aggregate over the job's cells (the analysis version covers it: a
   * cell's state changes when its result is written).
   */
  async servedBy(jobId: string): Promise<ServedByCount[]> {
    const rows = await queryRows<{
      region: string;
      model_id: string;
      provider_kind: string | null;
      served_region: string | null;
      region_observed: string | null;
      cells: number;
    }>(
      this.ds,
      `SELECT e.region, e.model_id, a.provider_kind, a.served_region, a.region_observed, count(*)::int AS cells
         FROM executions e
         JOIN execution_attempts a ON a.execution_id = e.id AND a.attempt = e.result_attempt
        WHERE e.job_id = $1 AND e.state = ${CELL_SQL.succeeded}
        GROUP BY 1, 2, 3, 4, 5
        ORDER BY 1, 2, 3, 4, 5`,
      [jobId],
    );
    return rows.map((r) => ({
      region: r.region,
      modelId: r.model_id,
      providerKind: r.provider_kind,
      servedRegion: r.served_region,
      regionObserved: r.region_observed,
      cells: r.cells,
    }));
  }

  /** Up to `limit` cells of the job after `cursor` (an execution id), in id order, responses cut to `maxTextChars`. */
  async cellsPage(jobId: string, cursor: string | null, limit: number, maxTextChars: number): Promise<AnalysisCellPage> {
    const rows = await queryRows<{
      id: string;
      question_id: string;
      model_id: string;
      region: string;
      variant: string;
      replicate: number;
      state: string;
      classification: string | null;
      response: string | null;
      truncated: boolean;
    }>(
      this.ds,
      // Keyset paging on (job_id, id) with the cursor as a plain bound (`$n IS NULL OR …` would make every page scan
      // the job's index from its start). The text is cut after the LIMIT: with stale statistics the planner may sort
      // every remaining row of the job, and must not compute left()/length() of each on the way.
      `SELECT e.id::text AS id, e.question_id, e.model_id, e.region, e.variant, e.replicate, e.state, e.classification,
              left(e.response, $2) AS response, coalesce(length(e.response) > $2, false) AS truncated
         FROM (SELECT id, question_id, model_id, region, variant, replicate, state, classification, response
                 FROM executions WHERE job_id = $1 AND id > $4::bigint ORDER BY id LIMIT $3) e
        ORDER BY e.id`,
      [jobId, maxTextChars, limit, cursor ?? '0'],
    );
    const cells = rows.map((r): AnalysisCellRow => ({
      id: r.id,
      questionId: r.question_id,
      modelId: r.model_id,
      region: r.region,
      variant: r.variant,
      replicate: r.replicate,
      state: parseCellState(r.state),
      classification: r.classification,
      response: r.response,
      responseTruncated: r.truncated,
    }));
    return { cells, nextCursor: cells.length === limit ? cells[cells.length - 1]!.id : null };
  }
}
