import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cliEnv, runCli } from '../utils/cli.js';
import { closeAllFleets, Fleet, jobSpec, type JobSpecInput } from '../utils/fleet.js';

/**
 * Issue 17.3: fallbacks never hide a region change. us-east's own provider answers every call 503; its chain falls
 * back to eu-west (the simulator). Without `allow_region_fallback` in the spec the fallback is never used and the
 * cells fail; with it, the retry is served from eu-west, the attempt records it, and the reconciler flags it.
 */
describe('fallback chains', () => {
  let down: Server;
  let downUrl: string;
  let downCalls = 0;
  let fleet: Fleet;

  beforeAll(async () => {
    down = createServer((req, res) => {
      downCalls += 1;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'upstream overloaded' } }));
    });
    await new Promise<void>((r) => down.listen(0, '127.0.0.1', r));
    downUrl = `http://127.0.0.1:${(down.address() as AddressInfo).port}/v1`;
    fleet = await Fleet.create({
      prefix: 'fallback',
      regions: { 'us-east': { baseUrl: downUrl, fallbacks: [{ region: 'eu-west' }] }, 'eu-west': {} },
      models: ['llama3.2-1b'],
    });
    await fleet.startInProcess();
  });
  afterAll(async () => {
    await fleet?.close();
    await closeAllFleets();
    await new Promise((r) => down.close(r));
  });

  const served = (jobId: string) =>
    fleet.ds.query<{ attempt: number; outcome: string; served_region: string; provider_kind: string; n: number }[]>(
      `SELECT a.attempt, a.outcome, a.served_region, a.provider_kind, count(*)::int AS n
         FROM execution_attempts a WHERE a.job_id = $1 GROUP BY 1, 2, 3, 4 ORDER BY 1`,
      [jobId],
    );

  it('without the spec allowing it, a cross-region fallback is never used: the cells fail in their region', async () => {
    fleet.sim.resetStats();
    downCalls = 0;
    const job = await fleet.submit({ ...jobSpec('no-fallback', 2, ['llama3.2-1b'], ['us-east']), max_attempts: 2 });
    expect(await fleet.waitForJob(job.id, 60_000)).toBe('failed');
    expect(await served(job.id)).toEqual([
      { attempt: 1, outcome: 'retryable_error', served_region: 'us-east', provider_kind: 'openai', n: 2 },
      { attempt: 2, outcome: 'retryable_error', served_region: 'us-east', provider_kind: 'openai', n: 2 },
    ]);
    expect(fleet.sim.stats().cells.reduce((n, c) => n + c.calls, 0)).toBe(0);
    expect(downCalls).toBe(4);
  });

  it('with allow_region_fallback, the retry is served from eu-west, recorded on the attempt, and flagged by the reconciler', async () => {
    fleet.sim.resetStats();
    const spec = { ...jobSpec('with-fallback', 2, ['llama3.2-1b'], ['us-east']), max_attempts: 2 } as JobSpecInput & {
      constraints: Record<string, unknown>;
    };
    spec.constraints = { allow_region_fallback: true };
    const job = await fleet.submit(spec);
    expect(await fleet.waitForJob(job.id, 60_000)).toBe('completed');
    expect(await served(job.id)).toEqual([
      { attempt: 1, outcome: 'retryable_error', served_region: 'us-east', provider_kind: 'openai', n: 2 },
      { attempt: 2, outcome: 'succeeded', served_region: 'eu-west', provider_kind: 'openai', n: 2 },
    ]);
    // The fallback answered with the cell's own (us-east) system prompt: the cell is still asked as us-east.
    const prompts: { system_prompt: string }[] = await fleet.ds.query(
      `SELECT DISTINCT system_prompt FROM execution_attempts WHERE job_id = $1`,
      [job.id],
    );
    expect(prompts).toHaveLength(1);
    expect(prompts[0]!.system_prompt).toContain('region us-east');
    expect(fleet.sim.stats().cells.reduce((n, c) => n + c.calls, 0)).toBe(2);

    const rec = await runCli(['reconcile', '--job', job.id, '--json'], {
      env: cliEnv({ DATABASE_URL: fleet.db.url, BEACON_CONFIG: fleet.configPath }),
    });
    const { findings } = JSON.parse(rec.stdout) as {
      findings: { ruleId: string; fingerprint: string; evidence: Record<string, unknown> }[];
    };
    const flagged = findings.filter((f) => f.ruleId === 'served_elsewhere');
    expect(flagged.map((f) => f.fingerprint)).toEqual([`served_elsewhere:${job.id}:us-east:eu-west`]);
    expect(flagged[0]!.evidence).toMatchObject({ requestedRegion: 'us-east', servedRegion: 'eu-west', attempts: 2, succeeded: 2 });
  });
});
