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
 * Live events for `GET /api/v1/events`: statement-level triggers with transition tables publish attempt starts and
 * ends, execution and job state changes and opened / resolved findings on the `beacon_live` channel, one NOTIFY per
 * ~5 kB of events, so every daemon on the database can stream them. Each event is a positional array:
 * [kind, atMs, jobId, executionId, attemptId, region, modelId, questionId, state, outcome, classification, runnerId,
 *  attempt, latencyMs, httpStatus, ruleId, severity, findingId, summary] with kind `as` (attempt started), `af`
 * (attempt finished), `es` (execution state), `js` (job state) or `f` (finding). Heartbeats and planning change no
 * state and publish nothing. A cell's moves into and out of `running` are not published as execution events: the
 * attempt events of the same statements carry them (with the state after), and the queue's hot path thus sends one
 * NOTIFY per statement instead of two.
 */
export class LiveEvents1764400000000 implements MigrationInterface {
  name = 'LiveEvents1764400000000';

  async up(q: QueryRunner): Promise<void> {
    const attempt = (kind: string, at: string, where: string, from: string): string => `
      SELECT n.id AS n, json_build_array('${kind}', ${ms(at)}, ${t('n.job_id')}, n.execution_id, n.id, ${t('e.region')},
               ${t('e.model_id')}, ${t('e.question_id')}, e.state, n.outcome, e.classification, ${t('n.runner_id')},
               n.attempt, n.latency_ms, n.http_status)::text AS ev
        FROM ${from} JOIN executions e ON e.id = n.execution_id ${where}`;
    await q.query(`CREATE FUNCTION beacon_live_attempt_started() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      ${publish(attempt('as', 'n.started_at', '', 'beacon_new n'))} END $$`);
    await q.query(`CREATE FUNCTION beacon_live_attempt_finished() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      ${publish(attempt('af', 'coalesce(n.ended_at, now())',
        'WHERE n.outcome IS NOT NULL AND n.outcome IS DISTINCT FROM o.outcome', 'beacon_new n JOIN beacon_old o ON o.id = n.id'))} END $$`);
    await q.query(`CREATE FUNCTION beacon_live_execution_state() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      ${publish(`
        SELECT n.id AS n, json_build_array('es', ${ms('n.updated_at')}, ${t('n.job_id')}, n.id, NULL, ${t('n.region')},
                 ${t('n.model_id')}, ${t('n.question_id')}, n.state, NULL, n.classification,
                 ${t('coalesce(n.lease_owner, o.lease_owner)')}, n.attempts)::text AS ev
          FROM beacon_new n JOIN beacon_old o ON o.id = n.id
         WHERE n.state <> o.state AND n.state <> 'running' AND o.state <> 'running'`)} END $$`);
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
    await q.query(trigger('beacon_live_attempt_started', 'execution_attempts', 'INSERT', 'beacon_live_attempt_started'));
    await q.query(trigger('beacon_live_attempt_finished', 'execution_attempts', 'UPDATE', 'beacon_live_attempt_finished'));
    await q.query(trigger('beacon_live_execution_state', 'executions', 'UPDATE', 'beacon_live_execution_state'));
    await q.query(trigger('beacon_live_job_created', 'jobs', 'INSERT', 'beacon_live_job_created'));
    await q.query(trigger('beacon_live_job_state', 'jobs', 'UPDATE', 'beacon_live_job_state'));
    await q.query(trigger('beacon_live_finding_opened', 'reconciler_findings', 'INSERT', 'beacon_live_finding_opened'));
    await q.query(trigger('beacon_live_finding_changed', 'reconciler_findings', 'UPDATE', 'beacon_live_finding_changed'));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, names] of Object.entries({
      execution_attempts: ['attempt_started', 'attempt_finished'], executions: ['execution_state'],
      jobs: ['job_created', 'job_state'], reconciler_findings: ['finding_opened', 'finding_changed'],
    })) {
      for (const name of names) {
        await q.query(`DROP TRIGGER beacon_live_${name} ON ${table}`);
        await q.query(`DROP FUNCTION beacon_live_${name}()`);
      }
    }
  }
}
