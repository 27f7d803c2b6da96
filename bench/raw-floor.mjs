// The raw-Postgres floor: the same claim → attempt row → fenced completion cycle as the engine, in plain SQL over
// `pg`, with the same concurrency and no provider call, on a job planned the same way.
import pg from 'pg';

export async function rawFloor(url, { jobId, cells, concurrency }) {
  const pool = new pg.Pool({ connectionString: url, max: concurrency });
  const questions = Array.from({ length: cells / 100 }, (_, i) => `q${i}`);
  await pool.query(
    `INSERT INTO jobs (id, format, spec_received, spec_hash, spec, cells_expected) VALUES ($1, 'beacon', '{}', 'x', '{}', $2)`,
    [jobId, cells],
  );
  await pool.query(
    `INSERT INTO executions (job_id, question_id, model_id, region, replicate, trace_id)
     SELECT $1, q, m, r, rep, replace(gen_random_uuid()::text, '-', '')
       FROM unnest($2::text[]) q CROSS JOIN unnest(ARRAY['m1','m2']) m CROSS JOIN unnest(ARRAY['f1','f2']) r
      CROSS JOIN generate_series(0, 24) rep`,
    [jobId, questions],
  );
  const start = performance.now();
  let done = 0;
  const worker = async (w) => {
    for (;;) {
      const { rows } = await pool.query(
        `WITH c AS MATERIALIZED (SELECT id FROM executions WHERE state = 'pending' AND job_id = $2 AND run_after <= now()
                                  ORDER BY run_after, priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED)
         UPDATE executions e SET state = 'running', attempts = e.attempts + 1, lease_token = gen_random_uuid(), lease_owner = $1,
                lease_expires_at = now() + interval '30 seconds', started_at = coalesce(e.started_at, now()), updated_at = now()
           FROM c WHERE e.id = c.id RETURNING e.id, e.job_id, e.attempts, e.lease_token, e.trace_id`,
        [`floor-${w}`, jobId],
      );
      if (rows.length === 0) return;
      const cell = rows[0];
      await pool.query(
        `INSERT INTO execution_attempts (execution_id, job_id, attempt, runner_id, lease_token, system_prompt, user_prompt, parameters,
                                         prompt_hash, parameters_hash, trace_id)
         VALUES ($1, $2, $3, $4, $5, 'system', 'user', '{}', 'h', 'h', $6)`,
        [cell.id, cell.job_id, cell.attempts, `floor-${w}`, cell.lease_token, cell.trace_id],
      );
      await pool.query(
        `WITH f AS (UPDATE executions SET state = 'succeeded', finished_at = now(), updated_at = now(), lease_token = NULL,
                    lease_owner = NULL, lease_expires_at = NULL, result_attempt = attempts, response = 'ok',
                    classification = 'answered', classification_rule = 'x'
                    WHERE id = $1 AND lease_token = $2 AND state = 'running' RETURNING id)
         UPDATE execution_attempts SET ended_at = now(), outcome = CASE WHEN EXISTS (SELECT 1 FROM f) THEN 'succeeded' ELSE 'fenced' END,
                http_status = 200, latency_ms = 0, response = 'ok'
          WHERE lease_token = $2 AND outcome IS NULL`,
        [cell.id, cell.lease_token],
      );
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const ms = performance.now() - start;
  await pool.end();
  return { cells: done, ms, cellsPerSec: done / (ms / 1000) };
}
