import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An imported job keeps what its export said of it, as an imported execution does (`legacy_status`, `legacy_data`
 * since the imports migration): `jobs.status` holds Beacon's word for the exported status (anything but completed,
 * failed or cancelled reads as failed) and `finished_at` the export's `updated_at`, so without these columns an export
 * of a running job would be stored as a failed one with no trace of what its source said (issue 15, item 6: an import
 * may normalise formats, never facts). `legacy_data` is the exported job object without its `jobspec_data`, which
 * `spec_received` already holds. Jobs imported before this migration have neither (their exports were not kept).
 */
export class ImportedJobFacts1796500000001 implements MigrationInterface {
  name = 'ImportedJobFacts1796500000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs ADD COLUMN legacy_status text, ADD COLUMN legacy_data jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs DROP COLUMN legacy_status, DROP COLUMN legacy_data`);
  }
}
