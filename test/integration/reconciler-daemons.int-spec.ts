import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RECONCILER_LOCK_KEY } from '@beacon/reconciler';
import pg from 'pg';
import { cliEnv, requireBuild, startDaemon, type Daemon } from '../utils/cli.js';
import { waitFor } from '../utils/fleet.js';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';

type Runs = Record<'ok' | 'failed' | 'skipped', number>;

/** The daemon's `beacon_reconciler_runs_total` by result. */
async function runs(d: Daemon): Promise<Runs> {
  const text = await (await fetch(`${d.url}/metrics`)).text();
  const get = (result: string): number =>
    Number(new RegExp(`^beacon_reconciler_runs_total\\{result="${result}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { ok: get('ok'), failed: get('failed'), skipped: get('skipped') };
}

/**
 * Two real daemons on one database, each with the scheduled reconciler ticking every second: while one is in the
 * middle of a run, the other's tick is skipped, and the recorded runs never overlap in time.
 */
describe('scheduled reconciler across daemons', () => {
  let db: TestDatabase;
  const daemons: Daemon[] = [];
  let blocker: pg.Client | null = null;

  beforeAll(async () => {
    requireBuild();
    db = await migratedDatabase('recdaemons');
  });
  afterAll(async () => {
    await blocker?.end();
    await Promise.all(daemons.map((d) => d.stop('SIGKILL')));
    await db?.close();
  });

  /** Backends holding the reconciler's advisory lock (a bigint key shows as classid = high half, objid = low half). */
  const lockHolders = async (): Promise<number[]> =>
    (
      await db.ds.query(
        `SELECT pid FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND objsubid = 1
        AND classid::bigint = ($1::bigint >> 32) AND objid::bigint = ($1::bigint & 4294967295)`,
        [RECONCILER_LOCK_KEY],
      )
    ).map((r: { pid: number }) => r.pid);

  // Regression: the schedules module and the reconciler module each imported ScheduleModule.forRoot(), so every
  // @Cron method was registered by two explorers: a lone daemon ran its reconciler tick twice per firing, one of the
  // two always skipped on its own lock, and with a blocked run both daemons counted skips.
  it('a lone daemon never skips its own tick: one reconciler job, one run per firing', async () => {
    const env = cliEnv({ DATABASE_URL: db.url, BEACON_RECONCILE_CRON: '* * * * * *', BEACON_LOG_LEVEL: 'warn' });
    const lone = await startDaemon({ env });
    try {
      await waitFor('the daemon to reconcile five times', async () => (await runs(lone)).ok >= 5, 30_000);
      const r = await runs(lone);
      expect(r.skipped).toBe(0);
      expect(r.failed).toBe(0);
    } finally {
      await lone.stop('SIGTERM');
    }
  });

  it('skips a tick while another daemon holds the lock, and never runs two passes at once', async () => {
    const env = cliEnv({ DATABASE_URL: db.url, BEACON_RECONCILE_CRON: '* * * * * *', BEACON_LOG_LEVEL: 'warn' });
    daemons.push(...(await Promise.all([startDaemon({ env }), startDaemon({ env })])));
    await waitFor(
      'both daemons to reconcile',
      async () => {
        const [a, b] = await Promise.all(daemons.map(runs));
        return a!.ok + a!.skipped > 0 && b!.ok + b!.skipped > 0;
      },
      30_000,
    );

    // Hold every run in its persistence step: the daemon that has the lock stays inside its run.
    blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE reconciler_findings IN ACCESS EXCLUSIVE MODE');
    const before = await Promise.all(daemons.map(runs));

    // One daemon is inside its run: it holds the lock (on its lock session) while its write waits for the table.
    const holder = await waitFor(
      'a daemon to be blocked inside a run',
      async () => {
        const pids = await lockHolders();
        if (pids.length !== 1) return null;
        const [w]: { n: number }[] = await db.ds.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity a
          WHERE a.wait_event_type = 'Lock' AND a.query ~ '^\\s*(UPDATE|INSERT INTO) reconciler_findings'`,
        );
        return w!.n > 0 ? pids[0] : null;
      },
      30_000,
      async () =>
        JSON.stringify(
          await db.ds.query(
            `SELECT pid, state, wait_event_type, left(query, 100) AS query FROM pg_stat_activity WHERE datname = current_database()`,
          ),
        ),
    );
    // The other daemon ticks within a second and must find the lock taken.
    const skippedBy = await waitFor(
      'the other daemon to skip a tick',
      async () => {
        const now = await Promise.all(daemons.map(runs));
        const grew = now.map((r, i) => r.skipped - before[i]!.skipped);
        return grew.some((g) => g > 0) ? grew : null;
      },
      30_000,
    );
    expect(skippedBy.filter((g) => g > 0)).toHaveLength(1);
    expect(await lockHolders()).toEqual([holder]);

    await blocker.query('ROLLBACK');
    await blocker.end();
    blocker = null;

    // Both go on reconciling; the recorded runs are strictly sequential.
    const runsBefore: number = (await db.ds.query('SELECT count(*)::int AS n FROM reconciler_runs'))[0].n;
    await waitFor(
      'more runs after the block is lifted',
      async () => {
        const [r]: { n: number }[] = await db.ds.query('SELECT count(*)::int AS n FROM reconciler_runs');
        return r!.n >= runsBefore + 4;
      },
      30_000,
    );
    const recorded: { started_at: Date; finished_at: Date }[] = await db.ds.query(
      'SELECT started_at, finished_at FROM reconciler_runs ORDER BY started_at',
    );
    expect(recorded.length).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < recorded.length; i++) {
      expect(recorded[i]!.started_at.getTime()).toBeGreaterThanOrEqual(recorded[i - 1]!.finished_at.getTime());
    }
    const after = await Promise.all(daemons.map(runs));
    expect(after.map((r) => r.failed)).toEqual([0, 0]);
  });
});
