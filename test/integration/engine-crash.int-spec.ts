import os from 'node:os';
import { afterAll, describe, expect, it } from '@jest/globals';
import { LifecycleRepository, QueueRepository, RunnerRepository, type ClaimedCell, type ClaimRequest } from '@beacon/db';
import { Engine, engineOptions, OpenAiCompatibleProvider } from '@beacon/engine';
import { closeAllFleets, debug, Fleet, jobSpec, waitFor } from '../utils/fleet.js';

type Row = Record<string, any>;

const MODELS = ['llama3.2-1b'];
const REGIONS = ['us-east', 'eu-west'];

/** Open attempts (outcome NULL) of a job, optionally of one runner. */
async function openAttempts(fleet: Fleet, jobId: string, runnerId?: string): Promise<Row[]> {
  return fleet.ds.query(
    `SELECT id::text, execution_id::text, attempt FROM execution_attempts
      WHERE job_id = $1 AND outcome IS NULL AND ($2::text IS NULL OR runner_id = $2)`,
    [jobId, runnerId ?? null],
  );
}

/** Connections of `beacon serve` processes to the fleet's database; `active` only those running a statement. */
async function daemonBackends(fleet: Fleet, active = false): Promise<number> {
  const [row]: Row[] = await fleet.ds.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = 'beacon-runner' AND ($1::boolean IS FALSE OR state = 'active')`,
    [active],
  );
  return row!.n;
}

/** Each attempt of `ids` with its cell and the cell's succeeded attempt (if any). */
async function attemptsWithCells(fleet: Fleet, ids: string[]): Promise<Row[]> {
  return fleet.ds.query(
    `SELECT a.id::text, a.execution_id::text, a.attempt, a.outcome, a.runner_id, a.ended_at, a.response IS NOT NULL AS has_response,
            e.state, e.failures, e.lease_losses, e.result_attempt,
            (SELECT s.attempt FROM execution_attempts s WHERE s.execution_id = a.execution_id AND s.outcome = 'succeeded') AS succeeded_attempt,
            (SELECT s.runner_id FROM execution_attempts s WHERE s.execution_id = a.execution_id AND s.outcome = 'succeeded') AS succeeded_by
       FROM execution_attempts a JOIN executions e ON e.id = a.execution_id
      WHERE a.id = ANY($1::bigint[])
      ORDER BY a.id`,
    [ids],
  );
}

/** I1–I5 for a job that must have ended with every cell succeeded exactly once. */
function expectExactlyOnce(inv: Awaited<ReturnType<Fleet['invariants']>>, cells: number): void {
  expect(inv).toMatchObject({
    cells,
    terminal: cells,
    succeeded: cells,
    running: 0,
    pending: 0,
    openAttempts: 0,
    cellsWithMoreThanOneSucceededAttempt: 0,
    cellsWithResultButNotSucceeded: 0,
    succeededWithoutMatchingAttempt: 0,
    resultNotFromItsAttempt: 0,
    cellsFailuresOverMax: 0,
    cellsCountedAttemptsOverMax: 0,
  });
  expect(inv.attemptsByOutcome.succeeded).toBe(cells);
}

describe('engine: daemons that crash, freeze or are told to stop', () => {
  afterAll(closeAllFleets);

  it('F1 kill -9 mid-call: a new daemon rescues every orphaned call as lease_expired and runs each cell to one result', async () => {
    const fleet = await Fleet.create({
      prefix: 'crash_kill',
      faults: { latencyMs: { min: 300, max: 800 } },
      // Long enough that the rescuing daemon never loses a lease to a loaded machine's stall (each rescued cell is
      // checked for exactly one lease loss), short enough that orphans expire quickly.
      env: { BEACON_LEASE_MS: '5000' },
    });
    try {
      const first = await fleet.startDaemon();
      const job = await fleet.submit(jobSpec('crash-kill', 100, MODELS, REGIONS));
      await waitFor(
        '20 cells done and 20 calls in flight',
        async () => ((await fleet.states(job.id)).succeeded ?? 0) >= 20 && (await openAttempts(fleet, job.id)).length >= 20,
        30_000,
        () => fleet.diagnose(job.id),
        20,
      );
      expect(await first.stop('SIGKILL')).toBeNull();
      // A statement the dead process had already sent still commits server-side; count orphans once it has gone.
      await waitFor("the killed daemon's connections to close", async () => (await daemonBackends(fleet)) === 0, 20_000);
      const orphans = await openAttempts(fleet, job.id);
      // About 20 calls were in flight at the kill; how many were still open when it landed depends on the machine's
      // load (completions already sent still commit), so the test asks for some orphans and then checks every one.
      expect(orphans.length).toBeGreaterThan(0);

      await fleet.startDaemon();
      expect(await fleet.waitForJob(job.id, 60_000)).toBe('completed');

      const inv = await fleet.invariants(job.id);
      expectExactlyOnce(inv, 200);
      // Orphans end before their successor starts: no two attempts of a cell ever overlap here.
      expect(inv.overlapping).toEqual({ total: 0, involvingLostLease: 0, other: 0 });
      expect(inv.attemptsByOutcome.lease_expired).toBeGreaterThanOrEqual(orphans.length);

      // Every call the dead daemon left unfinished is an attempt closed lease_expired, counted as one lease loss (not
      // a failure: it says nothing of the upstream), and followed by a later attempt that succeeded.
      const rescued = await attemptsWithCells(
        fleet,
        orphans.map((o) => o.id),
      );
      expect(rescued).toHaveLength(orphans.length);
      for (const r of rescued) {
        expect(r).toMatchObject({ outcome: 'lease_expired', state: 'succeeded', failures: 0, lease_losses: 1 });
        expect(r.succeeded_attempt).toBeGreaterThan(r.attempt);
        expect(r.result_attempt).toBe(r.succeeded_attempt);
      }

      // The simulator saw one call per cell plus at most one per orphan (an orphan may have died before its
      // request left), never a call without an attempt row, and only orphaned cells were called twice.
      const calls = await fleet.simCalls(job.id);
      debug('F1', { orphans: orphans.length, inv, calls: { ...calls, repeatedCellIds: calls.repeatedCellIds.length } });
      expect(calls.callsWithoutAttempt).toBe(0);
      expect(calls.keysNeverCalled).toBe(0);
      expect(calls.calls).toBe(200 + calls.extraCalls);
      expect(calls.extraCalls).toBeLessThanOrEqual(orphans.length);
      const orphanCells = new Set(orphans.map((o) => o.execution_id));
      for (const id of calls.repeatedCellIds) expect(orphanCells).toContain(id);
    } finally {
      await fleet.close();
    }
  });

  it('F5 frozen daemon: after SIGSTOP for 3 × its lease its late results are fenced, never a committed result', async () => {
    // A call timeout longer than the freeze, so that on SIGCONT the answers that arrived meanwhile are delivered
    // (and must be fenced) rather than timed out first.
    const fleet = await Fleet.create({
      prefix: 'crash_pause',
      faults: { latencyMs: { min: 300, max: 800 } },
      env: { BEACON_LEASE_MS: '2000' },
      regions: { 'us-east': { timeoutMs: 30_000 }, 'eu-west': { timeoutMs: 30_000 } },
    });
    try {
      const paused = await fleet.startDaemon();
      const pausedId = await fleet.runnerIdOf(paused);
      const job = await fleet.submit(jobSpec('crash-pause', 100, MODELS, REGIONS));
      await waitFor(
        '20 cells done and 20 calls in flight',
        async () => ((await fleet.states(job.id)).succeeded ?? 0) >= 20 && (await openAttempts(fleet, job.id)).length >= 20,
        30_000,
        () => fleet.diagnose(job.id),
        20,
      );
      process.kill(paused.proc.pid!, 'SIGSTOP');
      const stoppedAt = Date.now();
      // Statements already sent complete server-side; after that the frozen daemon can change nothing.
      await waitFor(
        "the frozen daemon's statements to finish",
        async () => (await daemonBackends(fleet, true)) === 0,
        10_000,
        undefined,
        20,
      );
      const stopAt = await fleet.dbNow();
      const frozen = await openAttempts(fleet, job.id, pausedId);
      expect(frozen.length).toBeGreaterThan(0);
      const frozenIds = frozen.map((f) => f.id);

      const live = await fleet.startDaemon();
      const liveId = await fleet.runnerIdOf(live);
      // Hold the freeze until the live daemon has reaped every frozen lease and re-run some of those cells,
      // and at least 3 × the lease has passed.
      await waitFor(
        'the live daemon to take over',
        async () => {
          const rows = await attemptsWithCells(fleet, frozenIds);
          return (
            Date.now() - stoppedAt >= 6000 &&
            rows.every((r) => r.outcome === 'lease_expired') &&
            rows.some((r) => r.succeeded_by === liveId)
          );
        },
        30_000,
        () => fleet.diagnose(job.id),
      );

      const resumeAt = await fleet.dbNow();
      process.kill(paused.proc.pid!, 'SIGCONT');
      expect(await fleet.waitForJob(job.id, 60_000)).toBe('completed');
      // The resumed daemon delivers its late answers (or aborts those calls); each such write touches only its own
      // lease_expired attempt row.
      await waitFor(
        'the resumed daemon to record its late calls',
        async () => {
          const rows: Row[] = await fleet.ds.query(
            `SELECT count(*)::int AS n FROM execution_attempts WHERE id = ANY($1::bigint[]) AND ended_at >= $2::timestamptz`,
            [frozenIds, resumeAt],
          );
          return rows[0]!.n === frozenIds.length;
        },
        20_000,
        () => fleet.diagnose(job.id),
      );

      const inv = await fleet.invariants(job.id);
      expectExactlyOnce(inv, 200);
      // Overlaps exist only between a lost lease's attempt and its successor (the frozen call ran on).
      expect(inv.overlapping.other).toBe(0);

      const late = await attemptsWithCells(fleet, frozenIds);
      // A frozen call whose answer is read after SIGCONT has its complete() fenced, the answer kept on the lost
      // attempt's row only; a call the resumed lease keeper aborts first (its lost lease seen before the socket is
      // read, which on a loaded runner can be every call) leaves none. Which one wins is a race, so both are checked
      // below row by row rather than a count of either (the fenced complete() itself: engine-queue.int-spec).
      console.log(`F5: ${late.filter((r) => r.has_response).length} of ${late.length} late answers delivered and fenced`);
      for (const r of late) {
        expect(['lease_expired', 'fenced']).toContain(r.outcome);
        expect(r.state).toBe('succeeded');
        expect(r.result_attempt).not.toBe(r.attempt);
        expect(r.succeeded_attempt).toBeGreaterThan(r.attempt);
      }
      // No attempt of the frozen daemon that was started before the freeze committed anything after it.
      const [lateCommits]: Row[] = await fleet.ds.query(
        `SELECT count(*)::int AS n FROM execution_attempts
          WHERE job_id = $1 AND runner_id = $2 AND started_at < $3::timestamptz AND ended_at >= $3::timestamptz
            AND outcome NOT IN ('lease_expired', 'fenced')`,
        [job.id, pausedId, stopAt],
      );
      expect(lateCommits!.n).toBe(0);

      const calls = await fleet.simCalls(job.id);
      debug('F5', {
        frozen: frozen.length,
        late: late.map((r) => [r.outcome, r.has_response]),
        inv,
        calls: { ...calls, repeatedCellIds: calls.repeatedCellIds.length },
      });
      expect(calls.callsWithoutAttempt).toBe(0);
      expect(calls.extraCalls).toBeLessThanOrEqual(frozen.length + (inv.attemptsByOutcome.lease_expired ?? 0));

      // The resumed daemon is healthy: it stops gracefully.
      expect(await paused.stop('SIGTERM')).toBe(0);
    } finally {
      await fleet.close();
    }
  });

  it('F15 SIGTERM under load: the daemon exits 0, releases its calls without counting failures, leaves nothing running', async () => {
    const fleet = await Fleet.create({
      prefix: 'crash_term',
      faults: { latencyMs: { min: 1000, max: 2000 } },
      env: { BEACON_LEASE_MS: '3000', BEACON_SHUTDOWN_GRACE_MS: '500' },
    });
    try {
      const daemon = await fleet.startDaemon();
      const runnerId = await fleet.runnerIdOf(daemon);
      const job = await fleet.submit(jobSpec('crash-term', 100, MODELS, REGIONS));
      // 2 regions × concurrency 16 = 32 calls in flight.
      await waitFor(
        '30 calls in flight',
        async () => (await openAttempts(fleet, job.id)).length >= 30,
        30_000,
        () => fleet.diagnose(job.id),
        20,
      );
      const inFlight = (await openAttempts(fleet, job.id)).map((a) => a.id);

      expect(await daemon.stop('SIGTERM')).toBe(0);

      const afterExit = await fleet.invariants(job.id);
      expect(afterExit.running).toBe(0);
      expect(afterExit.openAttempts).toBe(0);
      const released: Row[] = await fleet.ds.query(
        `SELECT a.id::text, a.outcome, e.state, e.failures, e.lease_token
           FROM execution_attempts a JOIN executions e ON e.id = a.execution_id
          WHERE a.job_id = $1 AND a.outcome = 'released'`,
        [job.id],
      );
      // Calls last 1–2 s and the grace is 0.5 s: most in-flight calls are released.
      expect(released.length).toBeGreaterThan(0);
      for (const r of released) expect(r).toMatchObject({ state: 'pending', failures: 0, lease_token: null });
      // Each call in flight at SIGTERM either finished within the grace or was released; none failed.
      const ends = await attemptsWithCells(fleet, inFlight);
      for (const r of ends) expect(['succeeded', 'released']).toContain(r.outcome);
      expect(afterExit.attemptsByOutcome).not.toHaveProperty('retryable_error');
      expect(afterExit.attemptsByOutcome).not.toHaveProperty('lease_expired');
      expect(afterExit.maxFailures).toBe(0);
      const [runner]: Row[] = await fleet.ds.query('SELECT stopped_at FROM runners WHERE id = $1', [runnerId]);
      expect(runner!.stopped_at).not.toBeNull();

      // Released cells are ordinary pending work for the next daemon, and run once more without a failure.
      fleet.sim.setFaults({ latencyMs: { min: 2, max: 20 } });
      await fleet.startDaemon();
      expect(await fleet.waitForJob(job.id, 60_000)).toBe('completed');
      const inv = await fleet.invariants(job.id);
      expectExactlyOnce(inv, 200);
      expect(inv.maxFailures).toBe(0);
      expect(inv.overlapping.total).toBe(0);
      expect(inv.attemptsByOutcome.released).toBe(released.length);
      const calls = await fleet.simCalls(job.id);
      debug('F15', {
        inFlight: inFlight.length,
        released: released.length,
        ends: ends.map((e) => e.outcome),
        inv,
        calls: { ...calls, repeatedCellIds: calls.repeatedCellIds.length },
      });
      expect(calls.callsWithoutAttempt).toBe(0);
      expect(calls.extraCalls).toBeLessThanOrEqual(released.length);
    } finally {
      await fleet.close();
    }
  });

  it('F15 stop() while a claim is on the wire: the claimed cells are run or released before stop() returns, never left running', async () => {
    const fleet = await Fleet.create({ prefix: 'crash_stopclaim', regions: { 'us-east': {} }, models: ['llama3.2-1b'] });
    let claimCommitted!: () => void;
    const committed = new Promise<void>((resolve) => {
      claimCommitted = resolve;
    });
    /** The first claim that gets cells commits, then its answer takes 300 ms to come back (a slow network). */
    class SlowAnswerQueue extends QueueRepository {
      private slowed = false;
      override async claim(req: ClaimRequest): Promise<ClaimedCell[]> {
        const cells = await super.claim(req);
        if (cells.length > 0 && !this.slowed) {
          this.slowed = true;
          claimCommitted();
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
        return cells;
      }
    }
    const provider = new OpenAiCompatibleProvider(16);
    const engine = new Engine(
      engineOptions({ runnerId: `stopclaim:${process.pid}`, config: fleet.config, leaseMs: 3000, pollMs: 100, shutdownGraceMs: 5000 }),
      { queue: new SlowAnswerQueue(fleet.ds), lifecycle: new LifecycleRepository(fleet.ds), runners: new RunnerRepository(fleet.ds) },
      provider,
    );
    try {
      const api = await fleet.startInProcess({}, false);
      const job = await fleet.submit(jobSpec('stop-claim', 10, ['llama3.2-1b'], ['us-east']), api.url);
      await engine.start('test', os.hostname());
      await committed;
      // SIGTERM arrives now: the cells are leased to this runner in the database, but not yet in its hands.
      await engine.stop();

      // stop() promises that no cell is left running: each claimed cell was called within the grace period (or
      // released), and no attempt is left open for a runner that has stopped.
      const inv = await fleet.invariants(job.id);
      debug('stop-claim', inv);
      expect(inv.running).toBe(0);
      expect(inv.openAttempts).toBe(0);
      expect(inv.cellsWithMoreThanOneSucceededAttempt).toBe(0);
      const [runner]: Row[] = await fleet.ds.query('SELECT stopped_at FROM runners WHERE id = $1', [`stopclaim:${process.pid}`]);
      expect(runner!.stopped_at).not.toBeNull();
    } finally {
      await engine.stop().catch(() => undefined);
      await provider.close();
      await fleet.close();
    }
  });
});
