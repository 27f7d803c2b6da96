import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where a call was served (issue 17, items 3 and 4), on the attempt that made it:
 * - `provider_kind`: the API that answered (openai, anthropic, gemini, bedrock, azure-openai, ollama, hybrid-router);
 * - `served_region`: the Beacon region whose provider made the call: the cell's region, or another one when a fallback
 *   the spec allowed served it (the seed incident was a cell answered from the wrong place with nobody able to tell);
 * - `region_observed`: what the provider itself reported about where the call ran (a body field or a response header),
 *   and `region_observed_allowed`: the values the configuration accepted for the region then (empty: not judged).
 * - `provider_safety`: the provider's own safety signal when it blocked or cut the answer (the attempt's finish reason
 *   is then `content_filter`, labelled `filtered`), e.g. `gemini finishReason SAFETY (HARM_CATEGORY_HARASSMENT: HIGH)`.
 * The reconciler's `region_mismatch` and `served_elsewhere` rules read these. Rows written before this migration have
 * NULLs: not known.
 */
export class ServedBy1796900000000 implements MigrationInterface {
  name = 'ServedBy1796900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE execution_attempts
        ADD COLUMN provider_kind text CHECK (length(provider_kind) <= 40),
        ADD COLUMN served_region text CHECK (length(served_region) <= 200),
        ADD COLUMN region_observed text CHECK (length(region_observed) <= 200),
        ADD COLUMN region_observed_allowed text[],
        ADD COLUMN provider_safety text CHECK (length(provider_safety) <= 2000)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE execution_attempts
        DROP COLUMN provider_kind, DROP COLUMN served_region, DROP COLUMN region_observed, DROP COLUMN region_observed_allowed,
        DROP COLUMN provider_safety`);
  }
}
