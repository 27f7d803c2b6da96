import { createHash, randomUUID } from 'node:crypto';
import { JobRepository } from '@beacon/db';
import { defaultConfig, normaliseJobSpec, renderSystemPrompt } from '@beacon/domain';
import type { DataSource } from 'typeorm';

export type Row = Record<string, any>;

/** Options of {@link seedJob}. */
export interface SeedOptions {
  questions?: string[];
  models?: string[];
  regions?: string[];
  /** Leave the cells pending (no attempts) and the job queued. */
  pending?: boolean;
}

/**
 * Submits a job through JobRepository and, unless `pending`, finishes it healthily two hours ago: every cell
 * succeeded with one attempt carrying the prompt the engine would render and a response of its own.
 */
export async function seedJob(ds: DataSource, opts: SeedOptions = {}): Promise<{ jobId: string; cells: Row[] }> {
  const config = defaultConfig();
  const jobId = `rec-${randomUUID().slice(0, 8)}`;
  const raw = {
    id: jobId,
    questions: opts.questions ?? ['math_basic', 'geography_basic'],
    models: opts.models ?? ['llama3.2-1b'],
    regions: opts.regions ?? ['eu-west', 'us-east'],
  };
  const norm = normaliseJobSpec(raw, config);
  if (!norm.ok) throw new Error(JSON.stringify(norm.problems));
  const spec = norm.spec;
  await new JobRepository(ds).submit({ spec, received: JSON.stringify(raw), hash: norm.hash, submitter: null, traceparent: null });
  await ds.query(`UPDATE jobs SET created_at = now() - interval '2 hours' WHERE id = $1`, [jobId]);
  await ds.query(
    `UPDATE executions SET created_at = now() - interval '2 hours', run_after = now() - interval '2 hours' WHERE job_id = $1`,
    [jobId],
  );
  const cells: Row[] = await ds.query(`SELECT * FROM executions WHERE job_id = $1 ORDER BY id`, [jobId]);
  if (opts.pending) return { jobId, cells };
  for (const c of cells) {
    const region = spec.regions.find((r) => r.id === c.region)!;
    const question = spec.questions.find((q) => q.id === c.question_id)!;
    const system = renderSystemPrompt(spec.prompt.template, region.displayName);
    const hash = createHash('sha256')
      .update(system + question.text)
      .digest('hex');
    const response = `The answer to ${question.text} as seen from ${region.displayName} by ${c.model_id}.`;
    await ds.query(
      `INSERT INTO execution_attempts (execution_id, job_id, attempt, runner_id, lease_token, started_at, ended_at, outcome,
                                       system_prompt, user_prompt, parameters, prompt_hash, parameters_hash, response, trace_id)
       VALUES ($1, $2, 1, 'runner-a', gen_random_uuid(), now() - interval '2 hours' + interval '1 second',
               now() - interval '2 hours' + interval '10 seconds', 'succeeded', $3, $4, '{}'::jsonb, $5, 'p', $6, $7)`,
      [c.id, jobId, system, question.text, hash, response, c.trace_id],
    );
    await ds.query(
      `UPDATE executions SET state = 'succeeded', attempts = 1, result_attempt = 1, response = $2,
              started_at = now() - interval '2 hours' + interval '1 second', finished_at = now() - interval '2 hours' + interval '10 seconds'
        WHERE id = $1`,
      [c.id, response],
    );
  }
  await ds.query(
    `UPDATE jobs SET status = 'completed', started_at = now() - interval '2 hours' + interval '1 second',
            finished_at = now() - interval '2 hours' + interval '20 seconds', updated_at = now() - interval '2 hours' + interval '20 seconds'
      WHERE id = $1`,
    [jobId],
  );
  return { jobId, cells: await ds.query(`SELECT * FROM executions WHERE job_id = $1 ORDER BY id`, [jobId]) };
}

/** Adds an attempt row to a cell, `startOffset`/`endOffset` being SQL intervals added to the cell's first attempt start. */
export async function addAttempt(
  ds: DataSource,
  cell: Row,
  attempt: number,
  outcome: string | null,
  startOffset: string,
  endOffset: string | null,
  overrides: { system?: string; hash?: string } = {},
): Promise<string> {
  const [first]: Row[] = await ds.query(`SELECT * FROM execution_attempts WHERE execution_id = $1 AND attempt = 1`, [cell.id]);
  if (!first) throw new Error(`cell ${cell.id} has no first attempt to add attempt ${attempt} after`);
  const [row]: [Row] = await ds.query(
    `INSERT INTO execution_attempts (execution_id, job_id, attempt, runner_id, lease_token, started_at, ended_at, outcome,
                                     system_prompt, user_prompt, parameters, prompt_hash, parameters_hash, trace_id)
     VALUES ($1, $2, $3, 'runner-b', gen_random_uuid(), $4::timestamptz + $5::interval,
             CASE WHEN $6::interval IS NULL THEN NULL ELSE $4::timestamptz + $6::interval END, $7, $8, $9, '{}'::jsonb, $10, 'p', $11)
     RETURNING id`,
    [
      cell.id,
      cell.job_id,
      attempt,
      first.started_at,
      startOffset,
      endOffset,
      outcome,
      overrides.system ?? first.system_prompt,
      first.user_prompt,
      overrides.hash ?? first.prompt_hash,
      first.trace_id,
    ],
  );
  return String(row.id);
}
