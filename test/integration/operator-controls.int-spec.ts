import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { hashToken } from '@beacon/domain';
import { cliEnv, runCli } from '../utils/cli.js';
import { closeAllFleets, Fleet, invariants, jobSpec, waitFor, type JobSpecInput } from '../utils/fleet.js';
import type { Daemon } from '../utils/cli.js';

/**
 * Operator controls end to end: a `beacon serve` daemon with tokens, the simulator with faults, Postgres, and the
 * `beacon` CLI over HTTP. Every figure is checked against the rows (`executions`, `execution_attempts`, `audit_log`).
 */

afterAll(closeAllFleets);

const MODEL = 'qwen2.5-1.5b';
const OPERATOR = { name: 'otto', secret: 'bct_controls-operator-secret' };
const VIEWER = { name: 'vera', secret: 'bct_controls-viewer-secret' };

let fleet: Fleet;
let daemon: Daemon;
let asOperator: NodeJS.ProcessEnv;
let asViewer: NodeJS.ProcessEnv;

type Row = Record<string, any>;

beforeAll(async () => {
  fleet = await Fleet.create({
    prefix: 'controls',
    models: [MODEL],
    regions: { 'us-east': { concurrency: 8 }, 'eu-west': { concurrency: 8 } },
    env: {
      BEACON_AUTH_TOKENS: [
        `${OPERATOR.name}:operator:${hashToken(OPERATOR.secret)}`,
        `${VIEWER.name}:viewer:${hashToken(VIEWER.secret)}`,
      ].join(' '),
    },
  });
  daemon = await fleet.startDaemon();
  asOperator = cliEnv({ BEACON_API_URL: daemon.url, BEACON_TOKEN: OPERATOR.secret });
  asViewer = cliEnv({ BEACON_API_URL: daemon.url, BEACON_TOKEN: VIEWER.secret });
}, 180_000);

afterAll(async () => {
  await fleet?.close();
});

async function submit(spec: JobSpecInput): Promise<string> {
  const res = await fetch(`${daemon.url}/api/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR.secret}` },
    body: JSON.stringify(spec),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** A bodiless POST with the operator's token. */
function operatorPost(path: string): Promise<Response> {
  return fetch(`${daemon.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR.secret}` },
  });
}

async function dbNow(): Promise<Date> {
  const [r]: Row[] = await fleet.ds.query('SELECT now() AS now');
  return r!.now as Date;
}

/** Attempts of a job opened after `t` (a call started then), and claims counted by `executions.attempts`. */
async function activitySince(jobId: string, t: Date): Promise<{ startedAfter: number; claims: number; running: number }> {
  const [r]: Row[] = await fleet.ds.query(
    `SELECT (SELECT count(*)::int FROM execution_attempts WHERE job_id = $1 AND started_at > $2) AS started_after,
            (SELECT coalesce(sum(attempts), 0)::int FROM executions WHERE job_id = $1) AS claims,
            (SELECT count(*)::int FROM executions WHERE job_id = $1 AND state = 'running') AS running`,
    [jobId, t],
  );
  return { startedAfter: r!.started_after, claims: r!.claims, running: r!.running };
}

/** The most attempts of `jobId` open at once, from the rows: at each attempt's start, how many had started and not ended. */
async function maxOverlap(jobId: string, region: string): Promise<number> {
  const [r]: Row[] = await fleet.ds.query(
    `SELECT coalesce(max(n), 0)::int AS n FROM (
       SELECT (SELECT count(*) FROM execution_attempts b JOIN executions eb ON eb.id = b.execution_id
                WHERE b.job_id = a.job_id AND eb.region = $2
                  AND b.started_at <= a.started_at AND coalesce(b.ended_at, 'infinity') > a.started_at) AS n
         FROM execution_attempts a JOIN executions ea ON ea.id = a.execution_id
        WHERE a.job_id = $1 AND ea.region = $2) x`,
    [jobId, region],
  );
  return r!.n;
}

/** Attempts of a job in one region: when each opened and closed (null: still open), and how it ended. */
async function attemptIntervals(jobId: string, region: string): Promise<{ start: number; end: number; outcome: string | null }[]> {
  const rows: Row[] = await fleet.ds.query(
    `SELECT a.started_at, a.ended_at, a.outcome FROM execution_attempts a JOIN executions e ON e.id = a.execution_id
      WHERE a.job_id = $1 AND e.region = $2`,
    [jobId, region],
  );
  return rows.map((r) => ({
    start: (r.started_at as Date).getTime(),
    end: r.ended_at === null ? Infinity : (r.ended_at as Date).getTime(),
    outcome: r.outcome as string | null,
  }));
}

/**
 * The most attempts open at once at `from` or later, computed here from the intervals (not by the SQL of
 * {@link maxOverlap}): the count only rises when an attempt opens, so it is enough to count at `from` and at each
 * opening after it.
 */
function mostOpenSince(intervals: { start: number; end: number }[], from: number): number {
  const openAt = (t: number) => intervals.filter((i) => i.start <= t && t < i.end).length;
  return Math.max(openAt(from), ...intervals.filter((i) => i.start >= from).map((i) => openAt(i.start)));
}

describe('operator controls', () => {
  it('retry --failed re-runs the failed cells after the faults are gone: one result per cell, earlier attempts kept', async () => {
    fleet.sim.setFaults({ errorRate: 1 });
    const jobId = await submit(jobSpec('retry-1', 3, [MODEL], ['us-east', 'eu-west'], { max_attempts: 2 }));
    expect(await fleet.waitForJob(jobId, 120_000)).toBe('failed');
    const before: Row[] = await fleet.ds.query(
      'SELECT id::text AS id, execution_id::text AS execution_id, attempt, outcome FROM execution_attempts WHERE job_id = $1 ORDER BY execution_attempts.id',
      [jobId],
    );
    const [failed]: Row[] = await fleet.ds.query(`SELECT count(*)::int AS n FROM executions WHERE job_id = $1 AND state = 'failed'`, [
      jobId,
    ]);
    expect(failed!.n).toBe(6);

    // Without a terminal and without --yes nothing is changed; a viewer is refused.
    const unconfirmed = await runCli(['retry', jobId, '--failed'], { env: asOperator });
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/--yes/);
    const viewer = await runCli(['retry', jobId, '--failed', '--yes'], { env: asViewer });
    expect(viewer.code).toBe(3);
    expect(viewer.stderr).toMatch(/operator/);
    expect(await fleet.states(jobId)).toEqual({ failed: 6 });

    fleet.sim.setFaults({ errorRate: 0 });
    const r = await runCli(['retry', jobId, '--failed', '--yes', '--json'], { env: asOperator });
    expect(r.code).toBe(0);
    const answer = JSON.parse(r.stdout) as { retried: number; status: string; previousStatus: string; cellIds: string[] };
    expect(answer).toMatchObject({ retried: failed!.n, status: 'running', previousStatus: 'failed' });
    expect(await fleet.waitForJob(jobId, 120_000)).toBe('completed');

    const inv = await invariants(fleet.ds, jobId);
    expect(inv).toMatchObject({ cells: 6, succeeded: 6, cellsWithMoreThanOneSucceededAttempt: 0, cellsWithResultButNotSucceeded: 0 });
    expect(inv.succeededWithoutMatchingAttempt).toBe(0);
    expect(inv.resultNotFromItsAttempt).toBe(0);
    const after: Row[] = await fleet.ds.query(
      'SELECT id::text AS id, execution_id::text AS execution_id, attempt, outcome FROM execution_attempts WHERE job_id = $1 ORDER BY execution_attempts.id',
      [jobId],
    );
    // Every earlier attempt row is still there, unchanged; the new ones are one succeeded call per cell.
    expect(after.slice(0, before.length)).toEqual(before);
    const added = after.slice(before.length);
    expect(added.filter((a) => a.outcome === 'succeeded')).toHaveLength(6);
    expect(after.length).toBe(before.length + added.length);
    const perCell: Row[] = await fleet.ds.query(
      `SELECT e.reruns, count(*) FILTER (WHERE a.outcome = 'succeeded')::int AS results,
              count(*)::int AS rows, max(a.attempt) AS last_attempt, e.attempts
         FROM executions e JOIN execution_attempts a ON a.execution_id = e.id WHERE e.job_id = $1 GROUP BY e.id`,
      [jobId],
    );
    for (const c of perCell) {
      expect(c.reruns).toBe(1);
      expect(c.results).toBe(1);
      expect(c.rows).toBeGreaterThanOrEqual(3); // two failed calls, then the re-run's
    }

    // Nothing left to re-run: 409, exit 5; the audit log has the operator's request with the job as target.
    const again = await runCli(['retry', jobId, '--yes'], { env: asOperator });
    expect(again.code).toBe(5);
    const audit: Row[] = await waitFor(
      'the audit rows',
      async () => {
        const rows: Row[] = await fleet.ds.query(
          `SELECT principal, role, status, target_id, error FROM audit_log WHERE path = $1 ORDER BY id`,
          [`/api/v1/jobs/${jobId}/retry`],
        );
        return rows.length >= 3 ? rows : null;
      },
      20_000,
    );
    expect(audit).toEqual([
      expect.objectContaining({ principal: VIEWER.name, role: 'viewer', status: 403, error: 'forbidden' }),
      expect.objectContaining({ principal: OPERATOR.name, role: 'operator', status: 200, target_id: jobId }),
      expect.objectContaining({ principal: OPERATOR.name, status: 409, error: 'nothing_to_retry' }),
    ]);
  }, 300_000);

  it('retry --cells re-runs only the named failed cells; bad input is a 400 naming the field, with nothing changed', async () => {
    fleet.sim.setFaults({ badRequestRate: 1 });
    const jobId = await submit(jobSpec('retry-cells', 2, [MODEL], ['us-east']));
    expect(await fleet.waitForJob(jobId, 120_000)).toBe('failed');
    fleet.sim.setFaults({ badRequestRate: 0 });
    const cells: Row[] = await fleet.ds.query('SELECT id::text AS id FROM executions WHERE job_id = $1 ORDER BY id', [jobId]);
    const bad = await fetch(`${daemon.url}/api/v1/jobs/${jobId}/retry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR.secret}` },
      body: JSON.stringify({ cells: [cells[0]!.id, 'x'] }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { problems: { path: string }[] }).problems.map((p) => p.path)).toEqual(['cells.1']);
    expect(await fleet.states(jobId)).toEqual({ failed: 2 });

    const r = await runCli(['retry', jobId, '--cells', cells[0]!.id, '--yes', '--json'], { env: asOperator });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ retried: 1, cellIds: [cells[0]!.id] });
    // One of two cells is below the default min_success_rate: the job is rolled up `failed` again, now with a result.
    expect(await fleet.waitForJob(jobId, 120_000)).toBe('failed');
    expect(await fleet.states(jobId)).toEqual({ succeeded: 1, failed: 1 });
    const [kept]: Row[] = await fleet.ds.query(`SELECT state, reruns FROM executions WHERE id = $1`, [cells[1]!.id]);
    expect(kept).toEqual({ state: 'failed', reruns: 0 });
  }, 300_000);

  it('pause and resume of a job: no call starts and nothing is claimed while paused; in-flight calls finish', async () => {
    // About 15 s of calls at the region's concurrency: the CLI's pause lands while the job runs.
    fleet.sim.setFaults({ latencyMs: { min: 800, max: 1400 } });
    try {
      const jobId = await submit(jobSpec('pause-job', 120, [MODEL], ['us-east']));
      await waitFor('some calls to end', async () => (await fleet.states(jobId)).succeeded ?? 0, 60_000);
      // Through the HTTP API (a CLI process may take seconds to start on a busy machine; `beacon pause` is the key test's).
      const p = await operatorPost(`/api/v1/jobs/${jobId}/pause`);
      expect(p.status).toBe(200);
      expect(await p.json()).toMatchObject({ paused: true, pausedBy: OPERATOR.name, changed: true });
      const t0 = await dbNow();
      // Calls in flight finish and cells claimed ahead go back: nothing of the job is running any more …
      await waitFor('the calls in flight to end', async () => (await activitySince(jobId, t0)).running === 0, 60_000);
      const settled = await activitySince(jobId, t0);
      // … and while it stays paused (several poll intervals of the daemon), nothing is claimed or called.
      await new Promise((r) => setTimeout(r, 1500));
      const still = await activitySince(jobId, t0);
      expect(still).toEqual({ startedAfter: 0, claims: settled.claims, running: 0 });
      const states = await fleet.states(jobId);
      expect(states.pending ?? 0).toBeGreaterThan(0);

      const resume = await runCli(['resume', jobId, '--json'], { env: asOperator });
      expect(resume.code).toBe(0);
      expect(JSON.parse(resume.stdout)).toMatchObject({ paused: false, changed: true });
      expect(await fleet.waitForJob(jobId, 120_000)).toBe('completed');
      const inv = await invariants(fleet.ds, jobId);
      expect(inv).toMatchObject({ succeeded: 120, cellsWithMoreThanOneSucceededAttempt: 0 });
      const late = await runCli(['pause', jobId, '--yes'], { env: asOperator });
      expect([late.code, late.stderr]).toEqual([5, `error: job ${jobId} has finished (completed): there is nothing to pause\n`]);
      expect(inv.overlapping.total).toBe(0);
    } finally {
      fleet.sim.setFaults({ latencyMs: { min: 2, max: 20 } });
    }
  }, 300_000);

  it('pause and resume of a (region, model): none of its cells is claimed while paused, the other region runs', async () => {
    const p = await runCli(['pause', '--region', 'eu-west', '--model', MODEL, '--yes', '--json'], { env: asOperator });
    expect(p.code).toBe(0);
    expect(JSON.parse(p.stdout)).toMatchObject({ region: 'eu-west', model: MODEL, paused: true, pausedBy: OPERATOR.name });
    const listed = await runCli(['controls', '--json'], { env: asViewer });
    expect(JSON.parse(listed.stdout)).toMatchObject({ items: [{ region: 'eu-west', model: MODEL, paused: true }], nextCursor: null });

    const jobId = await submit(jobSpec('pause-key', 5, [MODEL], ['us-east', 'eu-west']));
    await waitFor(
      'the us-east cells to finish',
      async () => {
        const [r]: Row[] = await fleet.ds.query(
          `SELECT count(*) FILTER (WHERE state = 'succeeded')::int AS n FROM executions WHERE job_id = $1 AND region = 'us-east'`,
          [jobId],
        );
        return r!.n === 5;
      },
      60_000,
    );
    // A few more poll intervals while paused: eu-west is never claimed.
    await new Promise((r) => setTimeout(r, 1000));
    const [eu]: Row[] = await fleet.ds.query(
      `SELECT coalesce(sum(attempts), 0)::int AS claims, count(*) FILTER (WHERE state = 'pending')::int AS pending,
              (SELECT count(*)::int FROM execution_attempts a JOIN executions e ON e.id = a.execution_id
                WHERE a.job_id = $1 AND e.region = 'eu-west') AS calls
         FROM executions WHERE job_id = $1 AND region = 'eu-west'`,
      [jobId],
    );
    expect(eu).toEqual({ claims: 0, pending: 5, calls: 0 });

    const r = await runCli(['resume', '--region', 'eu-west', '--model', MODEL, '--json'], { env: asOperator });
    expect(r.code).toBe(0);
    expect(await fleet.waitForJob(jobId, 120_000)).toBe('completed');
    const after = await runCli(['controls', '--json'], { env: asViewer });
    expect(JSON.parse(after.stdout).items).toEqual([]);
  }, 300_000);

  it('a concurrency override is respected: never more calls of the (region, model) open at once than it allows', async () => {
    const c = await runCli(['concurrency', '--region', 'us-east', '--model', MODEL, '2', '--yes', '--json'], { env: asOperator });
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ concurrency: 2 });
    fleet.sim.setFaults({ latencyMs: { min: 50, max: 120 } });
    try {
      const jobId = await submit(jobSpec('concurrency-2', 24, [MODEL], ['us-east']));
      expect(await fleet.waitForJob(jobId, 120_000)).toBe('completed');
      const overlap = await maxOverlap(jobId, 'us-east');
      expect(overlap).toBeGreaterThanOrEqual(1);
      expect(overlap).toBeLessThanOrEqual(2);
    } finally {
      fleet.sim.setFaults({ latencyMs: { min: 2, max: 20 } });
      await runCli(['concurrency', '--region', 'us-east', '--model', MODEL, 'off', '--yes'], { env: asOperator });
    }
  }, 300_000);

  it('a concurrency override is a run-time setting: raised above the region, lowered under the calls in flight, removed', async () => {
    // us-east is configured for 8. Slow answers so that calls overlap as much as the limit lets them.
    const set = async (n: string) => {
      const r = await runCli(['concurrency', '--region', 'us-east', '--model', MODEL, n, '--yes', '--json'], { env: asOperator });
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as { concurrency: number | null };
    };
    fleet.sim.setFaults({ latencyMs: { min: 900, max: 1300 } });
    try {
      // Raised to 12, above the region's 8: the daemon resizes its slots; never more than 12 attempts open at once
      // (the claim bounds the key's running cells across daemons), and more than the old 8 at some point.
      expect(await set('12')).toMatchObject({ concurrency: 12 });
      const raised = await submit(jobSpec('concurrency-up', 96, [MODEL], ['us-east']));
      expect(await fleet.waitForJob(raised, 180_000)).toBe('completed');
      const up = await attemptIntervals(raised, 'us-east');
      expect(up.length).toBe(96);
      expect(mostOpenSince(up, 0)).toBeLessThanOrEqual(12);
      expect(mostOpenSince(up, 0)).toBeGreaterThan(8);
      expect(await maxOverlap(raised, 'us-east')).toBe(mostOpenSince(up, 0));

      // Lowered to 3 while more than 3 calls are in flight: those finish (none aborted), and once every cell held at
      // the change has been let go, never more than 3 attempts are open again.
      // Slower calls for this step (about 2 s): more than 3 must still be in flight when the change is read back, after
      // the POST (auth, audit, notify), on a loaded machine; fewer cells, so the step still ends in about 40 s.
      fleet.sim.setFaults({ latencyMs: { min: 1800, max: 2200 } });
      const lowered = await submit(jobSpec('concurrency-down', 60, [MODEL], ['us-east']));
      await waitFor(
        'more than 3 calls in flight',
        async () => {
          const [r]: Row[] = await fleet.ds.query(
            'SELECT count(*)::int AS n FROM execution_attempts WHERE job_id = $1 AND ended_at IS NULL',
            [lowered],
          );
          return r!.n > 3;
        },
        120_000,
      );
      // Through the API, not the CLI: the CLI's start-up can outlast this job's calls on a loaded machine.
      const change = await fetch(`${daemon.url}/api/v1/controls/keys/concurrency`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR.secret}` },
        body: JSON.stringify({ region: 'us-east', model: MODEL, concurrency: 3 }),
      });
      expect(change.status).toBe(200);
      expect(await change.json()).toMatchObject({ concurrency: 3 });
      const heldAtChange: Row[] = await fleet.ds.query(`SELECT id, lease_token FROM executions WHERE job_id = $1 AND state = 'running'`, [
        lowered,
      ]);
      expect(heldAtChange.length).toBeGreaterThan(3);
      await waitFor(
        'the cells held at the change to be let go',
        async () => {
          const [r]: Row[] = await fleet.ds.query(
            `SELECT count(*)::int AS n FROM executions e JOIN unnest($1::bigint[], $2::uuid[]) AS h(id, token)
                ON e.id = h.id AND e.lease_token = h.token WHERE e.state = 'running'`,
            [heldAtChange.map((h) => h.id), heldAtChange.map((h) => h.lease_token)],
          );
          return r!.n === 0;
        },
        120_000,
      );
      const settled = (await dbNow()).getTime();
      expect(await fleet.waitForJob(lowered, 300_000)).toBe('completed');
      const down = await attemptIntervals(lowered, 'us-east');
      expect(down.filter((a) => a.outcome !== 'succeeded')).toEqual([]); // no call was aborted by the change
      expect(down.filter((a) => a.start >= settled).length).toBeGreaterThan(0);
      expect(mostOpenSince(down, settled)).toBeLessThanOrEqual(3);

      // Removed: back to the region's 8, shared by the region's models; calls overlap beyond the old 3 again.
      fleet.sim.setFaults({ latencyMs: { min: 900, max: 1300 } });
      expect(await set('off')).toMatchObject({ concurrency: null });
      fleet.sim.resetStats();
      const restored = await submit(jobSpec('concurrency-off', 64, [MODEL], ['us-east']));
      expect(await fleet.waitForJob(restored, 180_000)).toBe('completed');
      expect(mostOpenSince(await attemptIntervals(restored, 'us-east'), 0)).toBeGreaterThan(3);
      // The provider's own count of requests in flight (it answers only this job now): the region's 8 at most.
      expect(fleet.sim.stats().maxInFlight).toBeLessThanOrEqual(8);
    } finally {
      fleet.sim.setFaults({ latencyMs: { min: 2, max: 20 } });
      await runCli(['concurrency', '--region', 'us-east', '--model', MODEL, 'off', '--yes'], { env: asOperator });
    }
  }, 600_000);

  it('drain: the daemon claims nothing more and finishes its calls; the daemons view shows it; undo lets it claim', async () => {
    const list = await runCli(['daemons', '--json'], { env: asViewer });
    expect(list.code).toBe(0);
    const daemons = JSON.parse(list.stdout) as { items: { id: string; draining: boolean; host: string }[]; nextCursor: null };
    const [registered]: Row[] = await fleet.ds.query('SELECT id FROM runners WHERE stopped_at IS NULL');
    expect(daemons.items.map((d) => d.id)).toEqual([registered!.id]);
    const id = daemons.items[0]!.id;

    fleet.sim.setFaults({ latencyMs: { min: 800, max: 1400 } });
    try {
      const jobId = await submit(jobSpec('drain-1', 120, [MODEL], ['us-east']));
      await waitFor('some calls to end', async () => (await fleet.states(jobId)).succeeded ?? 0, 60_000);
      const d = await operatorPost(`/api/v1/daemons/${encodeURIComponent(id)}/drain`);
      expect(d.status).toBe(200);
      expect(await d.json()).toMatchObject({ id, draining: true, drainingBy: OPERATOR.name });
      const t0 = await dbNow();
      await waitFor('the drained daemon to hold nothing', async () => (await activitySince(jobId, t0)).running === 0, 60_000);
      const view = JSON.parse((await runCli(['daemons', '--json'], { env: asViewer })).stdout) as {
        items: { id: string; draining: boolean; claims: unknown[] }[];
      };
      expect(view.items[0]).toMatchObject({ id, draining: true, claims: [] });
      const settled = await activitySince(jobId, t0);
      await new Promise((r) => setTimeout(r, 1500));
      expect(await activitySince(jobId, t0)).toEqual({ startedAfter: 0, claims: settled.claims, running: 0 });

      const undo = await runCli(['drain', id, '--undo', '--json'], { env: asOperator });
      expect(JSON.parse(undo.stdout)).toMatchObject({ draining: false });
      expect(await fleet.waitForJob(jobId, 120_000)).toBe('completed');
    } finally {
      fleet.sim.setFaults({ latencyMs: { min: 2, max: 20 } });
    }
  }, 300_000);

  it('refuses viewers (403) for every control and bad input with a 400 naming the field, never a 5xx', async () => {
    const post = (path: string, token: string, body?: unknown) =>
      fetch(`${daemon.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    for (const path of [
      '/api/v1/jobs/retry-1/retry',
      '/api/v1/jobs/retry-1/pause',
      '/api/v1/jobs/retry-1/resume',
      '/api/v1/controls/keys/pause',
      '/api/v1/controls/keys/resume',
      '/api/v1/controls/keys/concurrency',
      '/api/v1/daemons/x/drain',
      '/api/v1/daemons/x/undrain',
    ]) {
      const res = await post(path, VIEWER.secret, {});
      expect([path, res.status]).toEqual([path, 403]);
    }
    const cases: [string, unknown, string][] = [
      ['/api/v1/controls/keys/concurrency', { region: 'us-east', model: MODEL, concurrency: -1 }, 'concurrency'],
      ['/api/v1/controls/keys/concurrency', { region: 'us-east', model: MODEL, concurrency: 1.5 }, 'concurrency'],
      ['/api/v1/controls/keys/concurrency', { region: 'us-east', model: MODEL, concurrency: 1025 }, 'concurrency'],
      ['/api/v1/controls/keys/concurrency', { region: 'mars', model: MODEL, concurrency: 1 }, 'region'],
      ['/api/v1/controls/keys/pause', { region: 'us-east', model: 'gpt-9' }, 'model'],
      ['/api/v1/controls/keys/pause', { region: 'us-east' }, 'model'],
      ['/api/v1/controls/keys/pause', { region: 'us-east', model: MODEL, extra: 1 }, 'extra'],
      ['/api/v1/jobs/retry-1/retry', { failed: true, cells: ['1'] }, 'cells'],
      ['/api/v1/jobs/retry-1/retry', { cells: [] }, 'cells'],
    ];
    for (const [path, body, field] of cases) {
      const res = await post(path, OPERATOR.secret, body);
      const answer = (await res.json()) as { problems?: { path: string }[] };
      expect([path, body, res.status, answer.problems?.map((p) => p.path)]).toEqual([path, body, 400, [field]]);
    }
    expect(
      (await fleet.ds.query('SELECT count(*)::int AS n FROM key_controls WHERE paused_at IS NOT NULL OR concurrency IS NOT NULL'))[0].n,
    ).toBe(0);
    expect((await post('/api/v1/jobs/nope/pause', OPERATOR.secret)).status).toBe(404);
    expect((await post('/api/v1/daemons/nope/drain', OPERATOR.secret)).status).toBe(404);
    expect((await post('/api/v1/jobs/retry-1/pause', OPERATOR.secret)).status).toBe(409); // finished: nothing to pause
    const cli = await runCli(['concurrency', '--region', 'us-east', '--model', MODEL, 'lots', '--yes'], { env: asOperator });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/<n>: must be a whole number/);
  }, 120_000);
});
