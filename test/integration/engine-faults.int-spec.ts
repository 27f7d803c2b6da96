import os from 'node:os';
import { afterAll, describe, expect, it } from '@jest/globals';
import { LifecycleRepository, QueueRepository, RunnerRepository, type ClaimedCell, type ClaimRequest } from '@beacon/db';
import { Engine, engineOptions, OpenAiCompatibleProvider } from '@beacon/engine';
import { closeAllFleets, debug, Fleet, jobSpec, waitFor } from '../utils/fleet.js';

type Row = Record<string, any>;

const MODELS = ['llama3.2-1b', 'mistral-7b'];
const REGIONS = ['us-east', 'eu-west'];

/** Each retryable attempt followed by another attempt of its cell: its status, Retry-After hint and the gap. */
async function retryGaps(fleet: Fleet, jobId: string): Promise<Row[]> {
  return fleet.ds.query(
    `SELECT a.execution_id::text, a.attempt, a.http_status, (a.error->>'retryAfterMs')::int AS retry_after_ms,
            extract(epoch FROM (b.started_at - a.ended_at)) * 1000 AS gap_ms
       FROM execution_attempts a
       JOIN execution_attempts b ON b.execution_id = a.execution_id AND b.attempt = a.attempt + 1
      WHERE a.job_id = $1 AND a.outcome = 'retryable_error'`,
    [jobId],
  );
}

/** Cells of a job by region and state, with their highest failure count. */
async function byRegion(fleet: Fleet, jobId: string): Promise<Record<string, Record<string, number> & { maxFailures: number }>> {
  const rows: Row[] = await fleet.ds.query(
    `SELECT region, state, count(*)::int AS n, max(failures)::int AS max_failures
       FROM executions WHERE job_id = $1 GROUP BY 1, 2`,
    [jobId],
  );
  const out: Record<string, Record<string, number> & { maxFailures: number }> = {};
  for (const r of rows) {
    const region = (out[r.region] ??= { maxFailures: 0 });
    region[r.state] = r.n;
    region.maxFailures = Math.max(region.maxFailures, r.max_failures);
  }
  return out;
}

describe('engine: provider faults (in-process runner against the simulator)', () => {
  afterAll(closeAllFleets);

  it('F10 5xx and 429 mix: every cell ends, no cell over max_attempts, and a retry after a 429 waits its Retry-After', async () => {
    // Retry-After 3 s: longer than the backoff of a first or second retry (equal jitter: 1–2 s, then 2–4 s), so
    // the gaps below can only hold if the hint is honoured. With a 1 s hint the backoff floor alone (1 s) would pass.
    const retryAfterMs = 3000;
    const fleet = await Fleet.create({
      prefix: 'faults_mix',
      faults: { errorRate: 0.3, rateLimitRate: 0.2, retryAfterSeconds: retryAfterMs / 1000 },
    });
    try {
      const runner = await fleet.startInProcess({ breakerFailures: 5, breakerHalfOpenMs: 1000 });
      const job = await fleet.submit(jobSpec('faults-mix', 30, MODELS, REGIONS, { max_attempts: 4 }));
      await fleet.waitForJob(job.id, 90_000);
      const inv = await fleet.invariants(job.id);
      debug('F10', { inv, calls: await fleet.simCalls(job.id), byStatus: fleet.sim.stats().byStatus });

      expect(inv).toMatchObject({
        cells: 120,
        terminal: 120,
        running: 0,
        pending: 0,
        openAttempts: 0,
        cellsWithMoreThanOneSucceededAttempt: 0,
        cellsWithResultButNotSucceeded: 0,
        succeededWithoutMatchingAttempt: 0,
        resultNotFromItsAttempt: 0,
        cellsFailuresOverMax: 0,
        cellsCountedAttemptsOverMax: 0,
        overlapping: { total: 0, involvingLostLease: 0, other: 0 },
      });
      expect(inv.maxCountedAttemptsPerCell).toBeLessThanOrEqual(4);
      expect(inv.attemptsByOutcome).not.toHaveProperty('final_error');
      // Half the calls fail, so a cell fails only when all four of its attempts do (≈ 6 %).
      expect(inv.succeeded).toBeGreaterThanOrEqual(96);
      const failed: Row[] = await fleet.ds.query(
        `SELECT failures, max_attempts, last_error->>'kind' AS kind FROM executions WHERE job_id = $1 AND state = 'failed'`,
        [job.id],
      );
      for (const f of failed) expect(f).toMatchObject({ failures: 4, max_attempts: 4, kind: 'http' });

      const gaps = await retryGaps(fleet, job.id);
      const after429 = gaps.filter((g) => g.http_status === 429);
      expect(after429.length).toBeGreaterThan(0);
      for (const g of after429) {
        expect(g.retry_after_ms).toBe(retryAfterMs);
        expect(Number(g.gap_ms)).toBeGreaterThanOrEqual(retryAfterMs - 50);
      }
      // Every other retry waits at least the backoff floor (half of the 2 s base).
      for (const g of gaps) expect(Number(g.gap_ms)).toBeGreaterThanOrEqual(1000 - 50);

      const calls = await fleet.simCalls(job.id);
      expect(calls.callsWithoutAttempt).toBe(0);
      expect(runner.events.filter((e) => e.type === 'error')).toEqual([]);
    } finally {
      await fleet.close();
    }
  });

  it('4xx is final: with every call answered 400, each cell fails after exactly one final_error attempt', async () => {
    const fleet = await Fleet.create({ prefix: 'faults_400', faults: { badRequestRate: 1 } });
    try {
      await fleet.startInProcess({ breakerFailures: 3 });
      const job = await fleet.submit(jobSpec('faults-400', 10, ['llama3.2-1b'], REGIONS, { max_attempts: 4 }));
      expect(await fleet.waitForJob(job.id, 30_000)).toBe('failed');
      const inv = await fleet.invariants(job.id);
      expect(inv).toMatchObject({
        cells: 20,
        terminal: 20,
        failed: 20,
        succeeded: 0,
        openAttempts: 0,
        maxFailures: 1,
        attemptsByOutcome: { final_error: 20 },
        attemptsPerCell: { 1: 20 },
        cellsWithResultButNotSucceeded: 0,
      });
      const [codes]: Row[] = await fleet.ds.query(
        `SELECT count(*) FILTER (WHERE http_status = 400)::int AS n400, count(*)::int AS n FROM execution_attempts WHERE job_id = $1`,
        [job.id],
      );
      expect(codes).toEqual({ n400: 20, n: 20 });
      // Not one retry reached the provider, and a 4xx never opened the breaker (no deferrals).
      const calls = await fleet.simCalls(job.id);
      expect(calls).toMatchObject({ calls: 20, extraCalls: 0, callsWithoutAttempt: 0 });
    } finally {
      await fleet.close();
    }
  });

  it('hung calls: with 30 % of calls never answered and a 500 ms timeout, each hang is one timeout attempt and every cell ends', async () => {
    // One region: its 16 calls in flight fit the provider's 16 connections to the simulator's origin, so no
    // request waits for a connection while its 500 ms timeout runs (that would be a timeout without a hang).
    const fleet = await Fleet.create({ prefix: 'faults_hang', faults: { hangRate: 0.3 }, regions: { 'us-east': { timeoutMs: 500 } } });
    try {
      await fleet.startInProcess({ leaseMs: 3000, breakerFailures: 5, breakerHalfOpenMs: 1000 });
      const job = await fleet.submit(jobSpec('faults-hang', 40, MODELS, ['us-east'], { max_attempts: 4 }));
      await fleet.waitForJob(job.id, 90_000);
      const inv = await fleet.invariants(job.id);
      expect(inv).toMatchObject({
        cells: 80,
        terminal: 80,
        running: 0,
        pending: 0,
        openAttempts: 0,
        cellsWithMoreThanOneSucceededAttempt: 0,
        cellsWithResultButNotSucceeded: 0,
        succeededWithoutMatchingAttempt: 0,
        cellsFailuresOverMax: 0,
        cellsCountedAttemptsOverMax: 0,
        overlapping: { total: 0, involvingLostLease: 0, other: 0 },
      });
      expect(inv.attemptsByOutcome).not.toHaveProperty('lease_expired');
      // All four attempts of a cell hang with probability 0.3^4 ≈ 1 %.
      expect(inv.succeeded).toBeGreaterThanOrEqual(76);

      const [t]: Row[] = await fleet.ds.query(
        `SELECT count(*) FILTER (WHERE error->>'kind' = 'timeout')::int AS timeouts,
                count(*) FILTER (WHERE error->>'kind' = 'timeout' AND outcome = 'retryable_error')::int AS retryable,
                count(*) FILTER (WHERE outcome = 'retryable_error' AND error->>'kind' <> 'timeout')::int AS other_errors
           FROM execution_attempts WHERE job_id = $1`,
        [job.id],
      );
      const hangs = fleet.sim.stats().byStatus.hang ?? 0;
      debug('hang', { inv, t, hangs });
      expect(hangs).toBeGreaterThan(0);
      // Nothing lost: every hung call is exactly one attempt closed retryable_error / timeout, and nothing else failed.
      expect(t).toEqual({ timeouts: hangs, retryable: hangs, other_errors: 0 });
      const calls = await fleet.simCalls(job.id);
      expect(calls.callsWithoutAttempt).toBe(0);
    } finally {
      await fleet.close();
    }
  });

  it('F11 outage then recovery: an open breaker keeps the down region pending, not failed, within the breaker and budget bounds', async () => {
    const down = 'us-east';
    const healthy = 'eu-west';
    const fleet = await Fleet.create({
      prefix: 'faults_outage',
      // Down from the simulator's start until the test ends the window.
      faults: { outages: [{ region: down, startMs: 0, endMs: 3_600_000 }] },
    });
    try {
      const runner = await fleet.startInProcess({ breakerFailures: 3, breakerHalfOpenMs: 1000 });
      const opts = runner.options;
      const started = Date.now();
      const job = await fleet.submit(jobSpec('faults-outage', 20, MODELS, REGIONS, { max_attempts: 4 }));

      // During the outage: the healthy region finishes; no down-region cell ever fails or succeeds.
      let worstDown = { failed: 0, succeeded: 0, maxFailures: 0 };
      const during = await waitFor(
        'the healthy region to finish during the outage',
        async () => {
          const regions = await byRegion(fleet, job.id);
          const d = regions[down] ?? { maxFailures: 0 };
          worstDown = {
            failed: Math.max(worstDown.failed, d.failed ?? 0),
            succeeded: Math.max(worstDown.succeeded, d.succeeded ?? 0),
            maxFailures: Math.max(worstDown.maxFailures, d.maxFailures),
          };
          return (regions[healthy]?.succeeded ?? 0) === 40 && Date.now() - started >= 5000 ? regions : null;
        },
        60_000,
        () => fleet.diagnose(job.id),
      );
      const down503 = fleet.sim.stats().byStatus['503'] ?? 0;
      const outageMs = Date.now() - started;
      fleet.sim.setFaults({ outages: [] });

      expect(worstDown).toMatchObject({ failed: 0, succeeded: 0 });
      expect(worstDown.maxFailures).toBeLessThan(4);
      expect((during[down]!.pending ?? 0) + (during[down]!.running ?? 0)).toBe(40);
      expect(runner.events).toContainEqual({ type: 'breaker', key: `${down}|llama3.2-1b`, state: 'open' });
      expect(runner.events.some((e) => e.type === 'breaker' && e.key.startsWith(`${healthy}|`))).toBe(false);

      // Breaker bound on calls to the down region while it was down, per (region, model) key: calls started while
      // the breaker was closed (at most the region's concurrency in flight when it opened, plus the
      // breakerFailures − 1 failures that completed before), then one half-open probe per breakerHalfOpenMs.
      const concurrency = fleet.config.regions[down]!.concurrency;
      const probes = Math.ceil(outageMs / opts.breakerHalfOpenMs) + 1;
      const breakerBound = MODELS.length * (concurrency + opts.breakerFailures - 1 + probes);
      debug('F11 outage', { outageMs, down503, breakerBound, worstDown, events: runner.events });
      expect(down503).toBeLessThanOrEqual(breakerBound);

      // After the outage everything succeeds, and no cell's failures reached max_attempts.
      expect(await fleet.waitForJob(job.id, 60_000)).toBe('completed');
      const elapsedMs = Date.now() - started;
      const inv = await fleet.invariants(job.id);
      expect(inv).toMatchObject({
        cells: 80,
        succeeded: 80,
        openAttempts: 0,
        cellsWithMoreThanOneSucceededAttempt: 0,
        cellsWithResultButNotSucceeded: 0,
        cellsFailuresOverMax: 0,
        cellsCountedAttemptsOverMax: 0,
      });
      expect(inv.maxFailures).toBeLessThan(4);

      // I6, the retry budget, per key over the whole run, in the budget's own accounting: each claim is a first
      // attempt (no failure before it) or a retry, probes and claims later deferred included; over each window,
      // retries ≤ ratio × first attempts + minPerSecond × window seconds. Hence the form of §6.2:
      // provider calls ≤ (1 + ratio) × first attempts + floor × windows (a deferred claim makes no call).
      // With 20 cells per key the 60-retry floor makes this loose; the breaker bound above is what holds calls down
      // during an outage, and the next test removes the floor so that the budget itself binds.
      const windows = Math.ceil(elapsedMs / opts.retryBudgetWindowMs);
      const floor = opts.retryBudgetMinPerSecond * Math.ceil(opts.retryBudgetWindowMs / 1000) * windows;
      const perKey: Row[] = await fleet.ds.query(
        `SELECT e.model_id,
                count(*) FILTER (WHERE a.prior_failures = 0)::int AS first_claims,
                count(*) FILTER (WHERE a.prior_failures > 0)::int AS retry_claims,
                count(*) FILTER (WHERE a.outcome <> 'deferred')::int AS calls
           FROM (SELECT x.execution_id, x.outcome,
                        coalesce(count(*) FILTER (WHERE x.outcome IN ('retryable_error', 'final_error', 'lease_expired'))
                          OVER (PARTITION BY x.execution_id ORDER BY x.attempt ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
                          AS prior_failures
                   FROM execution_attempts x WHERE x.job_id = $1) a
           JOIN executions e ON e.id = a.execution_id
          WHERE e.region = $2
          GROUP BY 1`,
        [job.id, down],
      );
      debug('F11 budget', { perKey, floor, inv });
      expect(perKey).toHaveLength(2);
      for (const k of perKey) {
        expect(k.retry_claims).toBeLessThanOrEqual(opts.retryBudgetRatio * k.first_claims + floor);
        expect(k.calls).toBeLessThanOrEqual((1 + opts.retryBudgetRatio) * k.first_claims + floor);
      }
      const calls = await fleet.simCalls(job.id);
      expect(calls.callsWithoutAttempt).toBe(0);
    } finally {
      await fleet.close();
    }
  });

  it('I6 retry budget: with no floor and ratio 0.2, 20 rate-limited cells get at most 4 retries; the rest wait pending', async () => {
    // Retry-After 3 s for every call: all 20 cells become due for their retry within a few milliseconds of each
    // other, so one claim could take them all if the budget were only checked per claim.
    const fleet = await Fleet.create({
      prefix: 'faults_budget',
      regions: { 'us-east': {} },
      models: ['llama3.2-1b'],
      faults: { rateLimitRate: 1, retryAfterSeconds: 3 },
    });
    const claims: { at: number; firstAttemptsOnly: boolean; got: number }[] = [];
    class CountingQueue extends QueueRepository {
      override async claim(req: ClaimRequest): Promise<ClaimedCell[]> {
        const at = Date.now();
        const cells = await super.claim(req);
        claims.push({ at, firstAttemptsOnly: req.firstAttemptsOnly, got: cells.length });
        return cells;
      }
    }
    const provider = new OpenAiCompatibleProvider(16);
    let engine: Engine | null = null;
    try {
      const api = await fleet.startInProcess({}, false);
      const opts = engineOptions({
        runnerId: `budget:${process.pid}`,
        config: fleet.config,
        leaseMs: 3000,
        pollMs: 100,
        rollupMs: 200,
        breakerFailures: 1_000_000,
        retryBudgetRatio: 0.2,
        retryBudgetMinPerSecond: 0,
        retryBudgetWindowMs: 60_000,
      });
      engine = new Engine(
        opts,
        {
          queue: new CountingQueue(fleet.ds),
          lifecycle: new LifecycleRepository(fleet.ds),
          runners: new RunnerRepository(fleet.ds),
        },
        provider,
      );
      const job = await fleet.submit(jobSpec('faults-budget', 20, ['llama3.2-1b'], ['us-east'], { max_attempts: 4 }), api.url);
      await engine.start('test', os.hostname());

      // Wait until every cell has failed once and is due again, then for ten more claim rounds.
      const due = await waitFor(
        'every cell to be due for a retry',
        async () => {
          const [r]: Row[] = await fleet.ds.query(
            `SELECT count(*) FILTER (WHERE failures >= 1)::int AS failed_once,
                  coalesce(bool_and(run_after <= now()) FILTER (WHERE failures = 1 AND state = 'pending'), true) AS first_retries_due
             FROM executions WHERE job_id = $1`,
            [job.id],
          );
          return r!.failed_once === 20 && r!.first_retries_due ? Date.now() : null;
        },
        30_000,
        () => fleet.diagnose(job.id),
        50,
      );
      await waitFor('ten claim rounds after that', () => claims.filter((c) => c.at > due).length >= 10, 10_000);
      await engine.stop();

      const [r]: Row[] = await fleet.ds.query(
        `SELECT count(*) FILTER (WHERE a.attempt > 1)::int AS retries, count(*)::int AS calls
           FROM execution_attempts a WHERE a.job_id = $1 AND a.outcome NOT IN ('deferred', 'released')`,
        [job.id],
      );
      const inv = await fleet.invariants(job.id);
      debug('I6', { r, inv, claims: claims.length });
      // 0.2 × 20 first attempts + a floor of 0 = 4 retries in the 60 s window.
      expect(r!.retries).toBeLessThanOrEqual(4);
      expect(r!.retries).toBeGreaterThan(0);
      expect(fleet.sim.stats().requests).toBe(r!.calls);
      // Cells the budget holds back wait in the queue without burning attempts.
      expect(inv.failed).toBe(0);
      expect(inv.pending).toBe(20);
      expect(inv.maxFailures).toBeLessThanOrEqual(2);
    } finally {
      await engine?.stop().catch(() => undefined);
      await provider.close();
      await fleet.close();
    }
  });
});
