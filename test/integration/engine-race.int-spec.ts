import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { debug, Fleet, jobSpec } from '../utils/fleet.js';

/**
 * F4: several `beacon serve` daemons race on one 2,000-cell job over one database. Claims use SKIP LOCKED and
 * leases, so every cell must run exactly once: one provider call, one succeeded attempt, one result, no two
 * attempts of a cell at the same time, and each daemon doing part of the work.
 */
describe('engine: daemons racing on one job', () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await Fleet.create({
      prefix: 'race',
      faults: { latencyMs: { min: 2, max: 20 } },
      // The race is over claims, not leases or timeouts: a lease and a provider timeout long enough that a loaded
      // machine's stalls (seconds, on a busy 2-core CI runner: two CI runs saw 5 s timeouts of 20 ms calls there) never
      // cost one, so each cell has exactly one attempt and one call. Timeouts and lease losses have their own tests.
      regions: { 'us-east': { timeoutMs: 30_000 }, 'eu-west': { timeoutMs: 30_000 } },
      env: { BEACON_LEASE_MS: '20000' },
    });
  });
  afterAll(async () => {
    await fleet?.close();
  });

  /** Each live daemon (its runner id, registered by pid) owns some of the job's attempts. */
  async function expectEveryDaemonWorked(byRunner: Record<string, number>, daemons: number) {
    const live = fleet.daemons.filter((d) => d.proc.exitCode === null);
    expect(live).toHaveLength(daemons);
    expect(Object.keys(byRunner).length).toBeGreaterThanOrEqual(2);
    for (const d of live) expect(byRunner[await fleet.runnerIdOf(d)] ?? 0).toBeGreaterThan(0);
  }

  async function raceOneJob(daemons: number, spec: ReturnType<typeof jobSpec>) {
    while (fleet.daemons.filter((d) => d.proc.exitCode === null).length < daemons) await fleet.startDaemon();
    const job = await fleet.submit(spec);
    expect(job.cells).toBe(2000);
    const status = await fleet.waitForJob(job.id, 90_000);
    const result = { job, status, inv: await fleet.invariants(job.id), calls: await fleet.simCalls(job.id) };
    debug(`race ${daemons}`, { status, byRunner: result.inv.attemptsByRunner, calls: { ...result.calls, repeatedCellIds: undefined } });
    // Any attempt beyond a cell's one success is shown in full, so that a failure below says what it was.
    const extra: { outcome: string; has_response: boolean }[] = await fleet.ds.query(
      `SELECT a.execution_id, a.attempt, a.outcome, a.runner_id, a.error, a.started_at, a.ended_at,
              a.response IS NOT NULL AS has_response
         FROM execution_attempts a JOIN executions e ON e.id = a.execution_id
        WHERE e.job_id = $1 AND a.outcome IS DISTINCT FROM 'succeeded' ORDER BY a.execution_id, a.attempt`,
      [job.id],
    );
    if (extra.length > 0) console.log(`race ${daemons}: attempts other than the one success`, JSON.stringify(extra.slice(0, 20), null, 1));
    return { ...result, extra };
  }

  /**
   * Exactly once in effect: one succeeded attempt and one provider call per cell (the simulator's counts, checked by
   * each test). A loaded runner may still lose a lease it held for a cell claimed ahead and not yet called (a
   * heartbeat that could not reach the database in time), or hand such a cell back; that attempt made no call and
   * holds no answer, and another daemon runs the cell once. Anything else beyond the one success fails here.
   */
  function expectNoOtherWork(inv: { attemptsByOutcome: Record<string, number> }, extra: { outcome: string; has_response: boolean }[]) {
    expect(inv.attemptsByOutcome.succeeded).toBe(2000);
    for (const a of extra) {
      expect(['lease_expired', 'released', 'deferred']).toContain(a.outcome);
      expect(a.has_response).toBe(false);
    }
  }

  it('two daemons run each of 2,000 cells (100 questions × 2 models × 2 regions × 5 repeats) exactly once', async () => {
    const spec = jobSpec('race-two', 100, ['llama3.2-1b', 'mistral-7b'], ['us-east', 'eu-west'], { repeats: 5 });
    const { status, inv, calls, extra } = await raceOneJob(2, spec);
    expect(status).toBe('completed');
    expect(inv).toMatchObject({
      cells: 2000,
      terminal: 2000,
      succeeded: 2000,
      running: 0,
      pending: 0,
      cellsWithMoreThanOneSucceededAttempt: 0,
      cellsWithResultButNotSucceeded: 0,
      succeededWithoutMatchingAttempt: 0,
      overlapping: { total: 0, involvingLostLease: 0, other: 0 },
      openAttempts: 0,
    });
    expectNoOtherWork(inv, extra);
    // The five repeats of a question share their prompts, so the simulator counts them under one key: exactly
    // five calls per key, 2,000 in all, and none beyond the number of cells (extraCalls per job = 0).
    expect(calls).toMatchObject({ calls: 2000, answered: 2000, extraCalls: 0, callsWithoutAttempt: 0, keysNeverCalled: 0 });
    await expectEveryDaemonWorked(inv.attemptsByRunner, 2);
  });

  it('three daemons run each of 2,000 distinct cells (500 questions × 2 models × 2 regions) exactly once', async () => {
    fleet.sim.resetStats();
    const spec = jobSpec('race-three', 500, ['llama3.2-1b', 'mistral-7b'], ['us-east', 'eu-west']);
    const { status, inv, calls, extra } = await raceOneJob(3, spec);
    expect(status).toBe('completed');
    expect(inv).toMatchObject({
      cells: 2000,
      terminal: 2000,
      succeeded: 2000,
      running: 0,
      pending: 0,
      cellsWithMoreThanOneSucceededAttempt: 0,
      cellsWithResultButNotSucceeded: 0,
      succeededWithoutMatchingAttempt: 0,
      overlapping: { total: 0, involvingLostLease: 0, other: 0 },
      openAttempts: 0,
    });
    expectNoOtherWork(inv, extra);
    // Every prompt is distinct here, so the simulator's own counters must show no call beyond the first.
    const stats = fleet.sim.stats();
    expect(stats.extraCalls).toBe(0);
    expect(stats.cells.reduce((sum, c) => sum + c.calls, 0)).toBe(2000);
    expect(calls).toMatchObject({ calls: 2000, extraCalls: 0, callsWithoutAttempt: 0 });
    await expectEveryDaemonWorked(inv.attemptsByRunner, 3);
  });
});
