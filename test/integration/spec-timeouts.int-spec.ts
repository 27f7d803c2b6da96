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
});
