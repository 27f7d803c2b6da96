import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LIVE_CHANNEL, LiveListener } from '@beacon/db';
import {
  LIVE_KIND_CODES,
  LIVE_WIRE_COUNTS,
  LIVE_WIRE_FIELDS,
  type LiveEvent,
  type LiveWireField,
  decodeLivePayload,
  encodeLiveEvent,
} from '@beacon/domain';
import { waitFor } from '../utils/fleet.js';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';

/**
 * The live-events migration writes the wire form of live events in SQL (job status changes and findings are published
 * by triggers, since the API, the engine and the reconciler all change them), where it cannot import the domain's
 * contract. This spec fires every such trigger on a migrated database and holds each event it sends to the contract:
 * every field at its position with its type, equal to what the domain encoder writes for the same event, and read back
 * alike by the domain decoder.
 */
describe('live-event triggers against the domain contract', () => {
  let db: TestDatabase;
  let listener: LiveListener;
  const rows: unknown[] = [];

  beforeAll(async () => {
    db = await migratedDatabase('livetrig');
    listener = new LiveListener({ url: db.url, onPayload: (p) => rows.push(...(JSON.parse(p) as unknown[])) });
    await listener.start();
    await waitFor('LISTEN', () => listener.listening, 10_000);
  });
  afterAll(async () => {
    await listener?.stop();
    await db?.close();
  });

  /**
   * Runs the statements in turn and returns the events they caused, once `count` have arrived. NOTIFYs arrive in
   * commit order, so once the last statement's event is in, an event of an earlier statement would be too.
   */
  async function fire(count: number, ...statements: [sql: string, params?: unknown[]][]): Promise<unknown[]> {
    const from = rows.length;
    for (const [sql, params] of statements) await db.ds.query(sql, params);
    await waitFor(
      `${count} events`,
      () => rows.length >= from + count,
      10_000,
      () => `${rows.length - from} arrived`,
    );
    return rows.slice(from);
  }

  /** Where a wire row breaks the contract's types, by field name. */
  function problems(row: unknown): string[] {
    if (!Array.isArray(row)) return ['not an array'];
    const out: string[] = [];
    if (row.length > LIVE_WIRE_FIELDS.length) out.push(`${row.length} positions`);
    if (!Object.values<unknown>(LIVE_KIND_CODES).includes(row[0])) out.push('kind');
    if (!Number.isSafeInteger(row[1])) out.push('at');
    row.slice(2).forEach((v: unknown, i) => {
      const field = LIVE_WIRE_FIELDS[i + 2]!;
      const count = (LIVE_WIRE_COUNTS as readonly LiveWireField[]).includes(field);
      if (v !== null && typeof v !== (count ? 'number' : 'string')) out.push(field);
    });
    return out;
  }

  /**
   * Checks `got` against what the domain encoder writes for `expected`. The SQL writes every position (trailing nulls
   * too) and the finding's bigint id as a JSON number, which the decoder reads as its decimal text; both are within
   * the contract, so they are normalised before comparing.
   */
  function expectContract(got: unknown, expected: LiveEvent): void {
    expect(problems(got).filter((p) => !(p === 'findingId' && expected.kind === 'finding'))).toEqual([]);
    const row = [...(got as unknown[])];
    const findingAt = LIVE_WIRE_FIELDS.indexOf('findingId');
    if (typeof row[findingAt] === 'number') row[findingAt] = String(row[findingAt]);
    while (row.length > 0 && row[row.length - 1] === null) row.pop();
    expect(row).toEqual(encodeLiveEvent(expected));
    expect(decodeLivePayload(JSON.stringify([got]))).toEqual(decodeLivePayload(JSON.stringify([encodeLiveEvent(expected)])));
  }

  const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
  const iso = (ms: number) => new Date(ms).toISOString();
  const insertJob = `INSERT INTO jobs (id, format, spec_received, spec_hash, spec, cells_expected, updated_at)
                     SELECT id, 'beacon', '{}', 'x', '{}', 1, $2 FROM unnest($1::text[]) WITH ORDINALITY AS t(id, n) ORDER BY n`;

  it('publishes through exactly the four trigger functions this spec fires', async () => {
    const fns = await db.ds.query<{ fn: string; triggers: string[] }[]>(
      `SELECT p.proname AS fn, array(SELECT t.tgrelid::regclass || '.' || t.tgname FROM pg_trigger t WHERE t.tgfoid = p.oid ORDER BY 1) AS triggers
         FROM pg_proc p
        WHERE p.pronamespace = current_schema()::regnamespace AND p.prosrc LIKE '%' || $1 || '%'
        ORDER BY 1`,
      [LIVE_CHANNEL],
    );
    expect(fns).toEqual([
      { fn: 'beacon_live_finding_changed', triggers: ['reconciler_findings.beacon_live_finding_changed'] },
      { fn: 'beacon_live_finding_opened', triggers: ['reconciler_findings.beacon_live_finding_opened'] },
      { fn: 'beacon_live_job_created', triggers: ['jobs.beacon_live_job_created'] },
      { fn: 'beacon_live_job_state', triggers: ['jobs.beacon_live_job_state'] },
    ]);
  });

  it('job created and job status changed: job_state with the status, at updated_at', async () => {
    const created = await fire(2, [insertJob, [['trig-a', 'trig-b'], iso(T0)]]);
    expect(created).toHaveLength(2);
    expectContract(created[0], { kind: 'job_state', at: T0, jobId: 'trig-a', state: 'queued' });
    expectContract(created[1], { kind: 'job_state', at: T0, jobId: 'trig-b', state: 'queued' });

    const started = await fire(1, [`UPDATE jobs SET status = 'running', updated_at = $1 WHERE id = 'trig-a'`, [iso(T0 + 1001)]]);
    expect(started).toHaveLength(1);
    expectContract(started[0], { kind: 'job_state', at: T0 + 1001, jobId: 'trig-a', state: 'running' });
    expect(decodeLivePayload(JSON.stringify(started))).toEqual([
      {
        kind: 'job_state',
        at: iso(T0 + 1001),
        jobId: 'trig-a',
        executionId: null,
        attemptId: null,
        region: null,
        modelId: null,
        questionId: null,
        state: 'running',
        outcome: null,
        classification: null,
        runnerId: null,
        attempt: null,
        latencyMs: null,
        httpStatus: null,
        ruleId: null,
        severity: null,
      },
    ]);

    // An update that keeps the status publishes nothing: only the status change after it arrives.
    const after = await fire(
      1,
      [`UPDATE jobs SET submitter = 'someone', updated_at = $1 WHERE id IN ('trig-a', 'trig-b')`, [iso(T0 + 1500)]],
      [`UPDATE jobs SET status = 'cancelled', updated_at = $1 WHERE id = 'trig-b'`, [iso(T0 + 2002)]],
    );
    expect(after).toHaveLength(1);
    expectContract(after[0], { kind: 'job_state', at: T0 + 2002, jobId: 'trig-b', state: 'cancelled' });
  });

  it('finding opened and resolved: finding with rule, severity, id and summary (cut to 300), at last_seen_at / resolved_at', async () => {
    const opened = await fire(2, [
      `
      INSERT INTO reconciler_findings (rule_id, severity, fingerprint, job_id, summary, last_seen_at)
      VALUES ('stalled_pending', 'warning', 'fp-1', 'trig-a', repeat('s', 400), $1), ('orphan_rows', 'critical', 'fp-2', NULL, 'no job', $1)`,
      [iso(T0)],
    ]);
    const ids = (await db.ds.query<{ id: string }[]>(`SELECT id::text FROM reconciler_findings ORDER BY id`)).map((r) => r.id);
    expect(opened).toHaveLength(2);
    expectContract(opened[0], {
      kind: 'finding',
      at: T0,
      jobId: 'trig-a',
      state: 'open',
      ruleId: 'stalled_pending',
      severity: 'warning',
      findingId: ids[0]!,
      summary: 's'.repeat(300),
    });
    expectContract(opened[1], {
      kind: 'finding',
      at: T0,
      jobId: '',
      state: 'open',
      ruleId: 'orphan_rows',
      severity: 'critical',
      findingId: ids[1]!,
      summary: 'no job',
    });

    // Seeing a finding again publishes nothing; resolving it does.
    const resolved = await fire(
      1,
      [`UPDATE reconciler_findings SET occurrences = occurrences + 1, last_seen_at = $1`, [iso(T0 + 500)]],
      [`UPDATE reconciler_findings SET resolved_at = $1 WHERE id = $2`, [iso(T0 + 3003), ids[1]]],
    );
    expect(resolved).toHaveLength(1);
    expectContract(resolved[0], {
      kind: 'finding',
      at: T0 + 3003,
      jobId: '',
      state: 'resolved',
      ruleId: 'orphan_rows',
      severity: 'critical',
      findingId: ids[1]!,
      summary: 'no job',
    });
    expect(decodeLivePayload(JSON.stringify(resolved))[0]).toMatchObject({ findingId: ids[1], summary: 'no job', state: 'resolved' });
  });
});
