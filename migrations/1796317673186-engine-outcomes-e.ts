import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a call's outcome needed to be stored, and calls lost with a lease apart from failed ones:
 * - `execution_attempts.storage_note`: set when the outcome was changed to fit PostgreSQL (NUL characters and unpaired
 *   surrogates replaced by U+FFFD, numbers out of an integer column's range left out), so a reader knows the stored text
 *   is not byte for byte what the upstream sent.
 * - `executions.lease_losses`: calls whose runner lost its lease (crashed, paused, partitioned) before recording an
 *   outcome. They do not count against `max_attempts` (`failures` counts calls that reached the upstream and
 *   failed); a cell fails only after `limits.maxLeaseLossesPerCell` of them, so one that kills its runner every time
 *   cannot loop for ever.
 */
export class EngineOutcomesE1796317673186 implements MigrationInterface {
  name = 'EngineOutcomesE1796317673186';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE execution_attempts ADD COLUMN storage_note text');
    await q.query('ALTER TABLE executions ADD COLUMN lease_losses integer NOT NULL DEFAULT 0 CHECK (lease_losses >= 0)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE executions DROP COLUMN lease_losses');
    await q.query('ALTER TABLE execution_attempts DROP COLUMN storage_note');
  }
}
