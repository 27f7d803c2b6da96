import { afterAll, describe, expect, it } from '@jest/globals';
import { LifecycleRepository, QueueRepository, RunnerRepository } from '@beacon/db';
import { Engine, OpenAiCompatibleProvider, engineOptions } from '@beacon/engine';
import { closeAllFleets, Fleet, jobSpec, waitFor } from '../utils/fleet.js';

/** The real queue, counting claim statements. */
class CountingQueue extends QueueRepository {
  claims = 0;

  override claim(...args: Parameters<QueueRepository['claim']>): ReturnType<QueueRepository['claim']> {
    this.claims++;
    return super.claim(...args);
  }
}

afterAll(closeAllFleets);

describe('engine: job lifecycle', () => {
  it('cancel: pending cells are cancelled at once, running calls stop at the next heartbeat, the job ends cancelled', async () => {
    const fleet = await Fleet.create({
      prefix: 'cancel',
      faults: { latencyMs: { min: 8000, max: 8000 } },
      regions: { 'us-east': { concurrency: 4 } },
      models: ['llama3.2-1b'],
    });
    try {
      // A lease of 4 s (heartbeat every 1.3 s): a heartbeat delayed on a loaded machine (a shared Postgres busy with
      // another suite's 100,000-row plan) must not let the leases expire first, which would end the calls
      // `lease_expired` through the reaper instead of `cancelled` through the heartbeat.
      const runner = await fleet.startInProcess({ leaseMs: 4000 });
      const { id } = await fleet.submit(jobSpec('cancel-me', 20, ['llama3.2-1b'], ['us-east']));
      await waitFor('calls in flight', async () => ((await fleet.states(id)).running ?? 0) >= 4, 20_000);
      const res = await fetch(`${runner.url}/api/v1/jobs/${id}/cancel`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { status: string; pendingCancelled: number; running: number };
      expect(body.status).toBe('cancelling');
      expect(body.running).toBeGreaterThanOrEqual(4);
      expect(body.pendingCancelled + body.running).toBe(20);
      // Well before the 8 s calls would have answered, the heartbeat aborts them.
      const status = await fleet.waitForJob(id, 20_000);
      expect(status).toBe('cancelled');
      const states = await fleet.states(id);
      expect(states).toEqual({ cancelled: 20 });
      const outcomes = await fleet.ds.query(`SELECT outcome, count(*)::int AS n FROM execution_attempts WHERE job_id = $1 GROUP BY 1`, [
        id,
      ]);
      // The 4 calls in flight (the region's concurrency) end as cancelled attempts; a cell leased ahead of its call
      // is cancelled without ever having an attempt.
      expect(outcomes).toEqual([{ outcome: 'cancelled', n: 4 }]);
      const again = (await (
        await fetch(`${runner.url}/api/v1/jobs/${id}/cancel`, { method: 'POST', headers: { 'content-type': 'application/json' } })
      ).json()) as { alreadyFinished: boolean };
      expect(again.alreadyFinished).toBe(true);
      expect(
        (await fetch(`${runner.url}/api/v1/jobs/nope/cancel`, { method: 'POST', headers: { 'content-type': 'application/json' } })).status,
      ).toBe(404);
    } finally {
      await fleet.close();
    }
  });

  it('idle: a (region, model) with nothing to do is polled less and less often, and wake() claims at once', async () => {
    const fleet = await Fleet.create({ prefix: 'idle', regions: { 'us-east': {} }, models: ['llama3.2-1b'] });
    const queue = new CountingQueue(fleet.ds);
    const provider = new OpenAiCompatibleProvider(4);
    const engine = new Engine(
      engineOptions({ runnerId: 'idle-test', config: fleet.config, pollMs: 50, idlePollMaxMs: 1000, rollupMs: 60_000 }),
      { queue, lifecycle: new LifecycleRepository(fleet.ds), runners: new RunnerRepository(fleet.ds) },
      provider,
    );
    try {
      await engine.start('test', 'test');
      await new Promise((r) => setTimeout(r, 3000));
      // One key, 3 s idle: waits of 50, 100, 200, 400, 800, then 1000 ms make about 7 claims; a fixed 50 ms poll, 60.
      expect(queue.claims).toBeGreaterThanOrEqual(4);
      expect(queue.claims).toBeLessThanOrEqual(12);
      const before = queue.claims;
      engine.wake();
      // Under the idle wait (1,000 ms by now): only the wake explains a claim this soon, with room for a loaded machine.
      await waitFor('a claim right after wake()', () => queue.claims > before, 900);
    } finally {
      await engine.stop();
      await provider.close();
      await fleet.close();
    }
  });

  it('an idle daemon claims a submitted job when the submission is announced, not at its next poll', async () => {
    const fleet = await Fleet.create({ prefix: 'wake', regions: { 'us-east': { concurrency: 4 } }, models: ['llama3.2-1b'] });
    try {
      // Polls a minute apart: without the submission's NOTIFY this daemon would not look for work for about 50 s.
      await fleet.startDaemon({ BEACON_POLL_MS: '60000', BEACON_IDLE_POLL_MAX_MS: '60000' });
      const api = await fleet.startInProcess({}, false);
      const { id } = await fleet.submit(jobSpec('wake', 6, ['llama3.2-1b'], ['us-east']), api.url);
      expect(await fleet.waitForJob(id, 20_000)).toBe('completed');
      expect(await fleet.states(id)).toEqual({ succeeded: 6 });
    } finally {
      await fleet.close();
    }
  });

  it('--regions: a runner pinned to some regions claims only their cells', async () => {
    const fleet = await Fleet.create({ prefix: 'pinned' });
    try {
      await fleet.startInProcess({ regions: ['eu-west'] });
      const { id } = await fleet.submit(jobSpec('pinned', 5, ['llama3.2-1b', 'mistral-7b'], ['us-east', 'eu-west']));
      await waitFor(
        'the eu-west cells',
        async () => {
          const rows = await fleet.ds.query(
            `SELECT count(*)::int AS n FROM executions WHERE job_id = $1 AND region = 'eu-west' AND state = 'succeeded'`,
            [id],
          );
          return rows[0].n === 10;
        },
        20_000,
      );
      const us = await fleet.ds.query(`SELECT state, attempts FROM executions WHERE job_id = $1 AND region = 'us-east'`, [id]);
      expect(us).toHaveLength(10);
      for (const row of us) expect(row).toEqual({ state: 'pending', attempts: 0 });
      // The roll-up (every 200 ms) marks the half-done job running; it must not call it finished.
      await waitFor(
        'the job rolled up as running',
        async () => (await fleet.ds.query(`SELECT status FROM jobs WHERE id = $1`, [id]))[0].status === 'running',
        5_000,
      );
      // A second runner for the other region finishes the job.
      await fleet.startInProcess({ regions: ['us-east'] });
      expect(await fleet.waitForJob(id, 20_000)).toBe('completed');
    } finally {
      await fleet.close();
    }
  });

  it('min_success_rate and min_regions decide between partially_completed and failed', async () => {
    const fleet = await Fleet.create({ prefix: 'rollup' });
    try {
      const api = await fleet.startInProcess({}, false);
      const models = ['llama3.2-1b', 'mistral-7b'];
      const a = await fleet.submit(
        jobSpec('rollup-partial', 4, models, ['us-east', 'eu-west'], { constraints: { min_success_rate: 0.5, min_regions: 2 } }),
        api.url,
      );
      const b = await fleet.submit(
        jobSpec('rollup-failed', 4, models, ['us-east', 'eu-west'], { constraints: { min_success_rate: 0.9, min_regions: 1 } }),
        api.url,
      );
      // Before any runner works on them, point mistral-7b at a model name the simulator does not serve: every such
      // call is a 404, a final error, so exactly half of each job's cells fail.
      await fleet.ds.query(`UPDATE jobs SET spec = jsonb_set(spec, '{models,1,name}', '"no-such-model"') WHERE id = ANY($1)`, [
        [a.id, b.id],
      ]);
      await fleet.startInProcess();
      expect(await fleet.waitForJob(a.id, 20_000)).toBe('partially_completed');
      expect(await fleet.waitForJob(b.id, 20_000)).toBe('failed');
      expect(await fleet.states(a.id)).toEqual({ succeeded: 8, failed: 8 });
      const finals = await fleet.ds.query(
        `SELECT count(*)::int AS n FROM execution_attempts WHERE job_id = $1 AND outcome = 'final_error' AND http_status = 404`,
        [a.id],
      );
      expect(finals[0].n).toBe(8);
    } finally {
      await fleet.close();
    }
  });
});
