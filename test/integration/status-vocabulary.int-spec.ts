import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ACTIVE_CELL_STATES_SQL,
  ACTIVE_JOB_STATUSES_SQL,
  CELL_SQL,
  DELIVERY_SQL,
  OUTBOX_SQL,
  OUTCOME_SQL,
  TERMINAL_CELL_STATES_SQL,
  TERMINAL_JOB_STATUSES_SQL,
} from '@beacon/db';
import {
  ACTIVE_EXECUTION_STATES,
  ACTIVE_JOB_STATUSES,
  ATTEMPT_OUTCOMES,
  DELIVERY_OUTCOMES,
  EXECUTION_STATES,
  JOB_STATUSES,
  OUTBOX_STATES,
  TERMINAL_EXECUTION_STATES,
  TERMINAL_JOB_STATUSES,
} from '@beacon/domain';
import type { DataSource } from 'typeorm';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';

/**
 * The domain's status vocabulary is the database's: the CHECK constraints of the migrated schema accept exactly the
 * domain's words, and the SQL the repositories interpolate names the same sets.
 */
describe('status vocabulary: domain and schema', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await migratedDatabase('vocabulary');
    ds = db.ds;
  });
  afterAll(async () => {
    await db?.close();
  });

  /** The words a column's CHECK constraints accept, asked of PostgreSQL one candidate at a time. */
  async function accepted(table: string, column: string, candidates: readonly string[]): Promise<string[]> {
    const [row] = await ds.query<{ defs: string | null }[]>(
      `SELECT string_agg(pg_get_constraintdef(c.oid), ' AND ') AS defs
         FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
        WHERE c.conrelid = $1::regclass AND c.contype = 'c' AND a.attname = $2 AND cardinality(c.conkey) = 1`,
      [table, column],
    );
    expect(row?.defs).toBeTruthy();
    const out: string[] = [];
    for (const word of candidates) {
      // The constraint text is the schema's own; it is evaluated with the column replaced by the candidate.
      const check = row!.defs!.replace(/CHECK \(/g, '(').replace(new RegExp(`\\b${column}\\b`, 'g'), () => '$1::text');
      const [r] = await ds.query<{ ok: boolean }[]>(`SELECT coalesce(${check}, true) AS ok`, [word]);
      if (r?.ok) out.push(word);
    }
    return out;
  }

  const everyWord = [...new Set([...JOB_STATUSES, ...EXECUTION_STATES, ...ATTEMPT_OUTCOMES, 'cancelling', 'unknown'])];

  it('notification_outbox.state and notification_deliveries.outcome accept exactly the domain words, as the SQL names them', async () => {
    const words = [...new Set([...everyWord, ...OUTBOX_STATES, ...DELIVERY_OUTCOMES, 'fenced', 'sent'])];
    expect((await accepted('notification_outbox', 'state', words)).sort()).toEqual([...OUTBOX_STATES].sort());
    expect((await accepted('notification_deliveries', 'outcome', words)).sort()).toEqual([...DELIVERY_OUTCOMES].sort());
    expect(Object.values(OUTBOX_SQL)).toEqual(OUTBOX_STATES.map((w) => `'${w}'`));
    expect(Object.values(DELIVERY_SQL)).toEqual(DELIVERY_OUTCOMES.map((w) => `'${w}'`));
  });

  it('jobs.status accepts exactly the job statuses', async () => {
    expect((await accepted('jobs', 'status', everyWord)).sort()).toEqual([...JOB_STATUSES].sort());
  });

  it('executions.state accepts exactly the cell states', async () => {
    expect((await accepted('executions', 'state', everyWord)).sort()).toEqual([...EXECUTION_STATES].sort());
  });

  it('execution_attempts.outcome accepts exactly the attempt outcomes', async () => {
    expect((await accepted('execution_attempts', 'outcome', everyWord)).sort()).toEqual([...ATTEMPT_OUTCOMES].sort());
  });

  it('the SQL sets are the domain sets, and every job and cell state is either active or terminal', async () => {
    const list = async (sql: string): Promise<string[]> =>
      (await ds.query<{ w: string }[]>(`SELECT unnest(ARRAY[${sql.slice(1, -1)}]::text[]) AS w`)).map((r) => r.w);
    expect(await list(ACTIVE_JOB_STATUSES_SQL)).toEqual([...ACTIVE_JOB_STATUSES]);
    expect(await list(TERMINAL_JOB_STATUSES_SQL)).toEqual([...TERMINAL_JOB_STATUSES]);
    expect(await list(ACTIVE_CELL_STATES_SQL)).toEqual([...ACTIVE_EXECUTION_STATES]);
    expect(await list(TERMINAL_CELL_STATES_SQL)).toEqual([...TERMINAL_EXECUTION_STATES]);
    expect([...ACTIVE_JOB_STATUSES, ...TERMINAL_JOB_STATUSES].sort()).toEqual([...JOB_STATUSES].sort());
    expect([...ACTIVE_EXECUTION_STATES, ...TERMINAL_EXECUTION_STATES].sort()).toEqual([...EXECUTION_STATES].sort());
    expect(CELL_SQL.running).toBe(`'running'`);
    expect(OUTCOME_SQL.lease_expired).toBe(`'lease_expired'`);
  });
});
