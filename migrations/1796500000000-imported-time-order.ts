import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An imported attempt keeps the times its export gives, even an end before its start (issue 15, item 6: an import
 * may normalise formats, never facts; the reconciler's `impossible_times` flags such a row). `execution_attempts`
 * gets the `imported` flag `executions` has had since the imports migration, and its time-order check now holds for
 * every attempt Beacon ran itself: `imported OR ended_at IS NULL OR ended_at >= started_at`. (`executions` has no
 * time-order check, so its imported times needed no change.)
 *
 * The new check is weaker than the old one, so every existing row meets it; it is added `NOT VALID` and then
 * validated, so that the migration checks this rather than assumes it (the column's addition already holds the
 * table's lock, so splitting the two saves no blocking here). `down` restores the old check; should imported
 * rows that break it exist by then, they are kept and the check is restored `NOT VALID` (it then holds for every row
 * written or changed later), since undoing a migration must not rewrite the evidence either.
 */
export class ImportedTimeOrder1796500000000 implements MigrationInterface {
  name = 'ImportedTimeOrder1796500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE execution_attempts ADD COLUMN imported boolean NOT NULL DEFAULT false`);
    // The old check goes first: after a `down` that had to restore it NOT VALID, imported rows break it, and flagging
    // them (an update) would be checked against it.
    await q.query(`ALTER TABLE execution_attempts DROP CONSTRAINT execution_attempts_time_order`);
    // Attempts of imported executions are the import's (an imported execution has no other attempt).
    await q.query(`
      UPDATE execution_attempts a SET imported = true
        FROM executions e WHERE e.id = a.execution_id AND e.imported`);
    await q.query(`
      ALTER TABLE execution_attempts
        ADD CONSTRAINT execution_attempts_time_order CHECK (imported OR ended_at IS NULL OR ended_at >= started_at) NOT VALID`);
    await q.query(`ALTER TABLE execution_attempts VALIDATE CONSTRAINT execution_attempts_time_order`);
  }

  async down(q: QueryRunner): Promise<void> {
    const [{ backwards }] = (await q.query(`SELECT exists(SELECT 1 FROM execution_attempts WHERE ended_at < started_at) AS backwards`)) as [
      { backwards: boolean },
    ];
    await q.query(`
      ALTER TABLE execution_attempts
        DROP CONSTRAINT execution_attempts_time_order,
        ADD CONSTRAINT execution_attempts_time_order CHECK (ended_at IS NULL OR ended_at >= started_at) NOT VALID`);
    if (!backwards) await q.query(`ALTER TABLE execution_attempts VALIDATE CONSTRAINT execution_attempts_time_order`);
    await q.query(`ALTER TABLE execution_attempts DROP COLUMN imported`);
  }
}
