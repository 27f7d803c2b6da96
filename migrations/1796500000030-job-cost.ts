import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tokens and cost (issue 15, item 4):
 * - `execution_attempts.cost_usd`: what the call cost, from the tokens its provider reported and the configuration's
 *   price of its model in its region; NULL when unknown (no price, or no token counts), never 0 for "unknown".
 * - `jobs.max_cost_usd`: the spec's `max_cost` (USD), NULL for none; `jobs.prompt_tokens_bound`: an upper bound of any
 *   call's input tokens, for the cost a claim reserves per call; `jobs.budget_exhausted_at`: when a claim found the job
 *   could not afford one more call (its unclaimed cells are then cancelled with the reason `budget_exhausted`).
 * - `executions.cost_reserved_usd`: the most the cell's current call may cost, reserved by the claim that leased it
 *   (capped jobs only); a capped job's calls in flight are the sum of it over its running cells.
 * - the job status `budget_exhausted` (the domain's vocabulary, `libs/domain/src/status/job-status.ts`).
 * - `jobs_capped_active_idx`: the claim asks for the active capped jobs before each claim; usually there are none.
 */
export class JobCost1796500000030 implements MigrationInterface {
  name = 'JobCost1796500000030';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE execution_attempts ADD COLUMN cost_usd numeric CHECK (cost_usd >= 0)`);
    await q.query(`ALTER TABLE executions ADD COLUMN cost_reserved_usd numeric CHECK (cost_reserved_usd >= 0)`);
    await q.query(`
      ALTER TABLE jobs
        ADD COLUMN max_cost_usd numeric CHECK (max_cost_usd > 0),
        ADD COLUMN prompt_tokens_bound integer CHECK (prompt_tokens_bound >= 0),
        ADD COLUMN budget_exhausted_at timestamptz,
        DROP CONSTRAINT jobs_status_check,
        ADD CONSTRAINT jobs_status_check
          CHECK (status IN ('queued','running','completed','partially_completed','failed','cancelled','budget_exhausted'))`);
    await q.query(`CREATE INDEX jobs_capped_active_idx ON jobs (id) WHERE max_cost_usd IS NOT NULL AND status IN ('queued','running')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX jobs_capped_active_idx`);
    await q.query(`UPDATE jobs SET status = 'failed' WHERE status = 'budget_exhausted'`);
    await q.query(`
      ALTER TABLE jobs
        DROP CONSTRAINT jobs_status_check,
        ADD CONSTRAINT jobs_status_check
          CHECK (status IN ('queued','running','completed','partially_completed','failed','cancelled')),
        DROP COLUMN budget_exhausted_at, DROP COLUMN prompt_tokens_bound, DROP COLUMN max_cost_usd`);
    await q.query(`ALTER TABLE executions DROP COLUMN cost_reserved_usd`);
    await q.query(`ALTER TABLE execution_attempts DROP COLUMN cost_usd`);
  }
}
