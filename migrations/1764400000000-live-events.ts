import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Publishes the rows of a transition table as NOTIFY payloads of at most ~7.5 kB: JSON arrays of event arrays. */
const publish = (events: string): string => `
  PERFORM pg_notify('beacon_live', '[' || string_agg(ev, ',' ORDER BY n) || ']')
     FROM (SELECT ev, n, sum(octet_length(ev) + 1) OVER (ORDER BY n) AS cum FROM (${events}) e) c
    GROUP BY cum / 5500;
  RETURN NULL;`;

/** Text fields are cut so that one event stays far below the 8,000-byte NOTIFY limit. */
const t = (col: string): string => `left(${col}, 200)`;
const ms = (col: string): string => `floor(extract(epoch FROM ${col}) * 1000)::bigint`;

/**
 * Live events for `GET /api/v1/events` that any writer may cause: job creation and status changes (the API, the
 * engine's roll-up, cancels) and opened / resolved findings (the reconciler in any daemon or CLI). Statement-level
 * triggers with transition tables publish them on the `beacon_live` channel, one NOTIFY per ~5 kB of events, so every
 * daemon on the database can stream them. Attempt events are published by the engine itself, in batches
 * (`LivePublisher`): triggers on the queue's hot tables cost about 30 % of the engine's throughput. Each event is a
 * positional array: [kind, atMs, jobId, executionId, attemptId, region, modelId, questionId, state, outcome,
 * classification, runnerId, attempt, latencyMs, httpStatus, ruleId, severity, findingId, summary] with kind `as`
 * (attempt started), `af` (attempt finished), `es` (execution state), `js` (job state) or `f` (finding).
 */
export class LiveEvents1764400000000 implements MigrationInterface {
  name = 'LiveEvents1764400000000';

  async up(q: QueryRunner): Promise<void> {
    const job = (from: string, where: string): string => `
      SELECT n.seq AS n, json_build_array('js', ${ms('n.updated_at')}, ${t('n.id')}, NULL, NULL, NULL, NULL, NULL,
               n.status)::text AS ev
        FROM ${from} ${where}`;
    await q.query(`CREATE FUNCTION beacon_live_job_created() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      ${publish(job('beacon_new n', ''))} END $$`);
    await q.query(`CREATE FUNCTION beacon_live_job_state() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      ${publish(job('beacon_new n JOIN beacon_old o ON o.id = n.id', 'WHERE n.status <> o.status'))} END $$`);
    const finding = (from: string, where: string): string => `
      SELECT n.id AS n, json_build_array('f', ${ms('coalesce(n.resolved_at, n.last_seen_at)')}, ${t("coalesce(n.job_id, '')")},
               NULL, NULL, NULL, NULL, NULL, CASE WHEN n.resolved_at IS NULL THEN 'open' ELSE 'resolved' END, NULL, NULL,
               NULL, NULL, NULL, NULL, ${t('n.rule_id')}, n.severity, n.id, left(n.summary, 300))::text AS ev
        FROM ${from} ${where}`;
    await q.query(`CREATE FUNCTION beacon_live_finding_opened() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      ${publish(finding('beacon_new n', ''))} END $$`);
    await q.query(`CREATE FUNCTION beacon_live_finding_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      ${publish(finding('beacon_new n JOIN beacon_old o ON o.id = n.id', 'WHERE (n.resolved_at IS NULL) <> (o.resolved_at IS NULL)'))} END $$`);

    const trigger = (name: string, table: string, op: 'INSERT' | 'UPDATE', fn: string): string =>
      `CREATE TRIGGER ${name} AFTER ${op} ON ${table}
         REFERENCING ${op === 'UPDATE' ? 'OLD TABLE AS beacon_old ' : ''}NEW TABLE AS beacon_new
         FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`;
    await q.query(trigger('beacon_live_job_created', 'jobs', 'INSERT', 'beacon_live_job_created'));
    await q.query(trigger('beacon_live_job_state', 'jobs', 'UPDATE', 'beacon_live_job_state'));
    await q.query(trigger('beacon_live_finding_opened', 'reconciler_findings', 'INSERT', 'beacon_live_finding_opened'));
    await q.query(trigger('beacon_live_finding_changed', 'reconciler_findings', 'UPDATE', 'beacon_live_finding_changed'));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, names] of Object.entries({
      jobs: ['job_created', 'job_state'],
      reconciler_findings: ['finding_opened', 'finding_changed'],
    })) {
      for (const name of names) {
        await q.query(`DROP TRIGGER beacon_live_${name} ON ${table}`);
        await q.query(`DROP FUNCTION beacon_live_${name}()`);
      }
    }
  }
}
