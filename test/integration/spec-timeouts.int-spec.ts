import { afterAll, describe, expect, it } from '@jest/globals';
import { closeAllFleets, Fleet, jobSpec, type JobSpecInput } from '../utils/fleet.js';

afterAll(closeAllFleets);

/**
 * Issue 17.5: the old runner's `constraints.provider_timeout` (nanoseconds) is applied to every call of its job,
 * instead of being stored and ignored. Upstream answers take 1.5 s; the region allows 10 s.
 */
describe('timeouts from the spec', () => {
  it('applies constraints.provider_timeout to each call of the job, and the region timeout to a job without one', async () => {
    const fleet = await Fleet.create({
      prefix: 'spectimeout',
      faults: { latencyMs: { min: 1500, max: 1500 } },
      regions: { 'us-east': { timeoutMs: 10_000 } },
      models: ['llama3.2-1b'],
    });
    try {
      await fleet.startInProcess();
      const tight = { ...jobSpec('provider-timeout', 2, ['llama3.2-1b'], ['us-east']), max_attempts: 1 } as JobSpecInput & {
        constraints: Record<string, unknown>;
      };
      tight.constraints = { provider_timeout: 300_000_000 }; // 300 ms as a Go duration
      const loose = jobSpec('region-timeout', 2, ['llama3.2-1b'], ['us-east']);
      const [a, b] = await Promise.all([fleet.submit(tight), fleet.submit(loose)]);
      expect(await fleet.waitForJob(a.id, 30_000)).toBe('failed');
      expect(await fleet.waitForJob(b.id, 30_000)).toBe('completed');
      const errors: { message: string; n: number }[] = await fleet.ds.query(
        `SELECT a.error->>'message' AS message, count(*)::int AS n FROM execution_attempts a WHERE a.job_id = $1 GROUP BY 1`,
        [a.id],
      );
      expect(errors).toEqual([{ message: 'no answer within 300 ms', n: 2 }]);
    } finally {
      await fleet.close();
    }
  });

  it('stops a job at its constraints.timeout deadline: pending cells cancelled with the reason, no call started after, the job cancelled with the stamp', async () => {
    const fleet = await Fleet.create({
      prefix: 'specdeadline',
      faults: { latencyMs: { min: 1500, max: 1500 } },
      regions: { 'us-east': { concurrency: 1, timeoutMs: 10_000 } },
      models: ['llama3.2-1b'],
    });
    try {
      const runner = await fleet.startInProcess({ leaseMs: 3000 });
      const spec = jobSpec('deadline', 6, ['llama3.2-1b'], ['us-east']) as JobSpecInput & { constraints: Record<string, unknown> };
      spec.constraints = { timeout_ms: 1000 };
      const job = await fleet.submit(spec);
      expect(await fleet.waitForJob(job.id, 30_000)).toBe('cancelled');
      const view = (await (await fetch(`${runner.url}/api/v1/jobs/${job.id}`)).json()) as { deadlineExceededAt: string | null };
      expect(view.deadlineExceededAt).not.toBeNull();
      const cells: { state: string; kind: string | null; n: number }[] = await fleet.ds.query(
        `SELECT state, last_error->>'kind' AS kind, count(*)::int AS n FROM executions WHERE job_id = $1 GROUP BY 1, 2 ORDER BY 2`,
        [job.id],
      );
      // One call was in flight at the deadline (concurrency 1): it is stopped as a cancel stops it, or kept if it answered
      // before the roll-up saw the deadline; a cell claimed ahead is cancelled; the rest never started.
      const closed = cells.find((c) => c.kind === 'deadline_exceeded');
      expect(closed?.state).toBe('cancelled');
      expect(closed!.n).toBeGreaterThanOrEqual(4);
      expect(cells.filter((c) => c.state !== 'cancelled').map((c) => [c.state, c.n])).toEqual(
        cells.some((c) => c.state === 'succeeded') ? [['succeeded', 1]] : [],
      );
      expect(cells.reduce((n, c) => n + c.n, 0)).toBe(6);
      // A runner learns of a cancel at its next heartbeat (a third of the 3 s lease): a cell it had claimed ahead may
      // start its call until then, and is stopped there. Nothing starts later than that (2 s: the heartbeat and a margin).
      const [late]: { n: number }[] = await fleet.ds.query(
        `SELECT count(*)::int AS n FROM execution_attempts a JOIN jobs j ON j.id = a.job_id
          WHERE a.job_id = $1 AND a.started_at > j.deadline_exceeded_at + interval '2 seconds'`,
        [job.id],
      );
      expect(late!.n).toBe(0);
    } finally {
      await fleet.close();
    }
  });

  it('reads the Go runner zero duration as no deadline', async () => {
    const fleet = await Fleet.create({ prefix: 'specnodeadline', faults: { latencyMs: { min: 5, max: 5 } }, models: ['llama3.2-1b'] });
    try {
      await fleet.startInProcess();
      const spec = jobSpec('no-deadline', 2, ['llama3.2-1b'], ['us-east']) as JobSpecInput & { constraints: Record<string, unknown> };
      spec.constraints = { timeout: 0, provider_timeout: 0 };
      const job = await fleet.submit(spec);
      expect(await fleet.waitForJob(job.id, 30_000)).toBe('completed');
    } finally {
      await fleet.close();
    }
  });
});
