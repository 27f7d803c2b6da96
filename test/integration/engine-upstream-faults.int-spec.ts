import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { closeAllFleets, debug, Fleet, waitFor, type JobSpecInput } from '../utils/fleet.js';
import { startHostileUpstream, type HostileUpstream } from '../utils/hostile-upstream.js';

type Row = Record<string, any>;

const MODEL = 'llama3.2-1b';
const REGION = 'us-east';

/** A spec whose question `i` carries `faults[i]` (a `#fault:<mode>:<n>` tag, or '' for a normal answer). */
function faultSpec(id: string, faults: string[], extra: Partial<JobSpecInput> = {}): JobSpecInput {
  return {
    id,
    models: [MODEL],
    regions: [REGION],
    max_attempts: 4,
    constraints: { min_success_rate: 0, min_regions: 1 },
    questions: faults.map((f, i) => ({ id: `q${i + 1}`, text: `[${id}] Question ${i + 1}: what is 2 + 2? ${f}`.trim() })),
    ...extra,
  };
}

/** Every cell of a job with its attempts (oldest first) and the upstream calls its prompt received. */
async function cells(fleet: Fleet, up: HostileUpstream, jobId: string): Promise<Row[]> {
  const rows: Row[] = await fleet.ds.query(
    `SELECT e.id::text, e.question_id, e.state, e.failures, e.response, e.finish_reason, e.last_error, e.region, e.model_id,
            (SELECT a.user_prompt FROM execution_attempts a WHERE a.execution_id = e.id LIMIT 1) AS user_prompt,
            coalesce((SELECT jsonb_agg(jsonb_build_object('attempt', a.attempt, 'outcome', a.outcome, 'http_status', a.http_status,
                        'error', a.error, 'response', a.response, 'usage', a.usage, 'finish_reason', a.finish_reason,
                        'storage_note', a.storage_note) ORDER BY a.attempt)
                        FROM execution_attempts a WHERE a.execution_id = e.id), '[]'::jsonb) AS attempts
       FROM executions e WHERE e.job_id = $1 ORDER BY e.question_id`,
    [jobId],
  );
  return rows.map((r) => ({ ...r, calls: up.calls.get(`${r.region}|${MODEL}|${r.user_prompt}`) ?? 0 }));
}

/** Fleet with its one region pointed at a hostile upstream. */
async function hostileFleet(prefix: string, up: HostileUpstream, timeoutMs = 1500): Promise<Fleet> {
  return Fleet.create({ prefix, models: [MODEL], regions: { [REGION]: { baseUrl: up.baseUrlFor(REGION), timeoutMs, concurrency: 8 } } });
}

describe('engine against a misbehaving upstream (real HTTP on 127.0.0.1)', () => {
  const ups: HostileUpstream[] = [];
  afterAll(async () => {
    await closeAllFleets();
    await Promise.all(ups.map((u) => u.close()));
  });
  async function upstream(): Promise<HostileUpstream> {
    const up = await startHostileUpstream();
    ups.push(up);
    return up;
  }

  it('defect 13.6: an answer or error body holding U+0000 or unpaired surrogates is recorded at once, replaced by U+FFFD and noted on the attempt', async () => {
    const up = await upstream();
    const fleet = await hostileFleet('content_nul', up);
    try {
      await fleet.startInProcess({ leaseMs: 3000 });
      const job = await fleet.submit(
        faultSpec(`nul-${randomUUID().slice(0, 8)}`, [
          '#fault:nul-content:all',
          '#fault:nul-error:all',
          '#fault:bad-utf8:all',
          '#fault:nul-5xx:1',
        ]),
      );
      await fleet.waitForJob(job.id, 60_000);
      const [content, error, badUtf8, retried] = await cells(fleet, up, job.id);
      debug('defect 6', { content, error, badUtf8, retried });

      // The answer is the cell's result, with what PostgreSQL cannot hold replaced; one call, one attempt.
      expect(content).toMatchObject({
        state: 'succeeded',
        calls: 1,
        response: 'before\ufffdafter \ufffd lone',
        finish_reason: 'stop\ufffd',
      });
      expect(content!.attempts).toHaveLength(1);
      expect(content!.attempts[0]).toMatchObject({ outcome: 'succeeded', http_status: 200, response: 'before\ufffdafter \ufffd lone' });
      expect(content!.attempts[0].usage).toMatchObject({ 'odd\ufffdkey': 'v\ufffdal', note: '\ufffd' });
      expect(content!.attempts[0].storage_note).toMatch(/replaced by U\+FFFD/);

      // The 400 is a final error whose status and message are kept.
      expect(error).toMatchObject({ state: 'failed', calls: 1 });
      expect(error!.attempts).toHaveLength(1);
      expect(error!.attempts[0]).toMatchObject({ outcome: 'final_error', http_status: 400 });
      expect(error!.attempts[0].error.message).toContain('bad\ufffdrequest');
      expect(error!.attempts[0].storage_note).toMatch(/replaced by U\+FFFD/);
      expect(error!.last_error.message).toContain('bad\ufffdrequest');

      // Bytes that are not UTF-8 were already decoded to U+FFFD: stored as read, nothing to note.
      expect(badUtf8).toMatchObject({ state: 'succeeded', calls: 1 });
      expect(badUtf8!.response).toMatch(/^caf\ufffd/);
      expect(badUtf8!.attempts[0].storage_note).toBeNull();

      // A retryable 503 with NUL in its body is recorded and retried like any other.
      expect(retried).toMatchObject({ state: 'succeeded', calls: 2 });
      expect(retried!.attempts.map((a: Row) => [a.outcome, a.http_status])).toEqual([
        ['retryable_error', 503],
        ['succeeded', 200],
      ]);
      expect(retried!.attempts[0].response).toMatch(/\ufffd\ufffdA\ufffd$/);
      expect(retried!.attempts[0].storage_note).toMatch(/^3 characters .* replaced by U\+FFFD in response$/);

      const inv = await fleet.invariants(job.id);
      expect(inv.attemptsByOutcome).not.toHaveProperty('lease_expired');
      expect(inv).toMatchObject({ openAttempts: 0, running: 0, pending: 0, cellsWithMoreThanOneSucceededAttempt: 0 });
    } finally {
      await fleet.close();
    }
  });

  it('defect 13.6: an outcome that cannot be stored for a data reason is recorded at once as a final error with the reason, not left running', async () => {
    const up = await upstream();
    const fleet = await hostileFleet('content_refused', up);
    try {
      const runner = await fleet.startInProcess({ leaseMs: 3000 });
      const job = await fleet.submit(faultSpec(`refused-${randomUUID().slice(0, 8)}`, ['#fault:deep-usage:all']));
      await fleet.waitForJob(job.id, 60_000);
      const [cell] = await cells(fleet, up, job.id);
      debug('defect 6 refused', { cell, events: runner.events });
      // Recorded by the runner that made the call, not by the reaper after its lease: one call, one final attempt.
      expect(cell).toMatchObject({ state: 'failed', calls: 1, last_error: { kind: 'unrecordable' } });
      expect(cell!.attempts).toHaveLength(1);
      expect(cell!.attempts[0]).toMatchObject({ outcome: 'final_error', http_status: 200, error: { kind: 'unrecordable' } });
      expect(cell!.attempts[0].error.message).toMatch(/could not be stored: .*call stack/);
      expect(runner.events.filter((e) => e.type === 'error')).toEqual([]);
    } finally {
      await fleet.close();
    }
  });
  it('defect 13.11a: a Retry-After of 100000 s parks its cell only limits.maxRetryAfterMs; the job view shows it waiting and until when, the attempt and timeline the asked and applied values', async () => {
    const up = await upstream();
    const fleet = await hostileFleet('retry_after', up);
    try {
      const capMs = 4000;
      const runner = await fleet.startInProcess({
        leaseMs: 3000,
        config: { ...fleet.config, limits: { ...fleet.config.limits, maxRetryAfterMs: capMs } },
      });
      const job = await fleet.submit(faultSpec(`ra-${randomUUID().slice(0, 8)}`, ['#fault:retry-after-100000:1', '']));
      const parked = await waitFor(
        'the rate-limited cell to show as waiting in the job view',
        async () => {
          const view = (await (await fetch(`${runner.url}/api/v1/jobs/${job.id}`)).json()) as Row;
          return view.waiting?.cells === 1 ? view : null;
        },
        20_000,
        () => fleet.diagnose(job.id),
      );
      expect(parked.waiting.nextAt).toBe(parked.waiting.lastAt);
      const [first]: Row[] = await fleet.ds.query(
        `SELECT a.ended_at, a.error, e.run_after FROM execution_attempts a JOIN executions e ON e.id = a.execution_id
          WHERE a.job_id = $1 AND a.http_status = 429`,
        [job.id],
      );
      // Parked until the capped time exactly (both times from the database clock, written by one statement).
      expect(Date.parse(parked.waiting.nextAt)).toBe(new Date(first!.run_after).getTime());
      expect(new Date(first!.run_after).getTime() - new Date(first!.ended_at).getTime()).toBeGreaterThanOrEqual(capMs);
      expect(new Date(first!.run_after).getTime() - new Date(first!.ended_at).getTime()).toBeLessThan(capMs + 1000);
      expect(first!.error).toMatchObject({ kind: 'http', retryAfterMs: capMs, retryAfterAskedMs: 100_000_000 });
      expect(first!.error.message).toContain('Retry-After 100000 s cut to 4 s');

      expect(await fleet.waitForJob(job.id, 30_000)).toBe('completed');
      const done = (await (await fetch(`${runner.url}/api/v1/jobs/${job.id}`)).json()) as Row;
      expect(done.waiting).toEqual({ cells: 0, nextAt: null, lastAt: null });
      const timeline = (await (await fetch(`${runner.url}/api/v1/jobs/${job.id}/timeline`)).json()) as Row;
      const errors = timeline.lanes.flatMap((l: Row) => l.attempts.map((a: Row) => a.error)).filter(Boolean);
      expect(errors).toEqual([expect.stringContaining('Retry-After 100000 s cut to 4 s')]);
    } finally {
      await fleet.close();
    }
  });

  it('defect 13.11b: an answer over limits.maxResponseBytes is one final response_too_large attempt, not retried as a network error', async () => {
    const up = await upstream();
    const fleet = await hostileFleet('too_large', up, 20_000);
    try {
      await fleet.startInProcess({
        leaseMs: 3000,
        config: { ...fleet.config, limits: { ...fleet.config.limits, maxResponseBytes: 1024 * 1024 } },
      });
      const job = await fleet.submit(faultSpec(`big-${randomUUID().slice(0, 8)}`, ['#fault:huge:all', '#fault:huge-length:all', '']));
      await fleet.waitForJob(job.id, 60_000);
      const [huge, announced, plain] = await cells(fleet, up, job.id);
      for (const c of [huge!, announced!]) {
        expect(c).toMatchObject({ state: 'failed', calls: 1, last_error: { kind: 'response_too_large' } });
        expect(c.attempts).toEqual([
          expect.objectContaining({
            outcome: 'final_error',
            http_status: 200,
            error: expect.objectContaining({ kind: 'response_too_large' }),
          }),
        ]);
      }
      expect(plain).toMatchObject({ state: 'succeeded', calls: 1 });
      // Read up to the cap, then the connection was dropped: far from the 50 MB offered.
      for (const written of up.hugeBytesWritten) expect(written).toBeLessThan(16 * 1024 * 1024);
    } finally {
      await fleet.close();
    }
  });
  it('property: upstream faults heal by themselves (hang before or after headers, reset, 50 MB, NUL, invalid UTF-8): the job ends, no cell has two results, no call goes unrecorded, and the runner goes on', async () => {
    const up = await upstream();
    const fleet = await hostileFleet('heal', up, 1500);
    try {
      // A small response cap, so that reading up to it stays well within the 1.5 s call timeout on a loaded machine.
      const runner = await fleet.startInProcess({
        leaseMs: 3000,
        breakerHalfOpenMs: 1000,
        config: { ...fleet.config, limits: { ...fleet.config.limits, maxResponseBytes: 256 * 1024 } },
      });
      // Each fault hits a cell's first call only (then the upstream answers), three cells each, all in flight at once.
      const faults = ['hang-headers', 'hang-body', 'reset', 'nul-5xx', 'huge', 'huge-length', 'nul-content', 'bad-utf8'];
      const tags = [0, 1, 2].flatMap(() => [...faults.map((f) => `#fault:${f}:1`), '']);
      const job = await fleet.submit(faultSpec(`heal-${randomUUID().slice(0, 8)}`, tags, { max_attempts: 2 }));
      expect(await fleet.waitForJob(job.id, 60_000)).toBe('partially_completed');
      const all = await cells(fleet, up, job.id);
      debug('heal', { served: up.served, maxInFlight: up.maxInFlight, hugeBytesWritten: up.hugeBytesWritten });

      const inv = await fleet.invariants(job.id);
      expect(inv).toMatchObject({
        cells: 27,
        terminal: 27,
        running: 0,
        pending: 0,
        openAttempts: 0,
        cellsWithMoreThanOneSucceededAttempt: 0,
        cellsWithResultButNotSucceeded: 0,
        succeededWithoutMatchingAttempt: 0,
        resultNotFromItsAttempt: 0,
        overlapping: { total: 0, involvingLostLease: 0, other: 0 },
        cellsCountedAttemptsOverMax: 0,
      });
      expect(inv.attemptsByOutcome).not.toHaveProperty('lease_expired');
      // Every upstream call is an attempt with a recorded outcome: no extra calls (the bound is the calls in flight at
      // the fault; nothing was lost here, so it is zero).
      const extra = all.reduce(
        (n, c) =>
          n +
          Math.max(0, c.calls - c.attempts.filter((a: Row) => ['succeeded', 'retryable_error', 'final_error'].includes(a.outcome)).length),
        0,
      );
      expect(extra).toBe(0);

      const byFault = (f: string) => all.filter((c) => String(c.user_prompt).includes(`#fault:${f}:`));
      const retried: Record<string, string> = { 'hang-headers': 'timeout', 'hang-body': 'timeout', reset: 'network', 'nul-5xx': 'http' };
      for (const [f, kind] of Object.entries(retried)) {
        for (const c of byFault(f)) {
          expect(c).toMatchObject({ state: 'succeeded', calls: 2 });
          // Deferred claims (the breaker opened on the burst of health failures) are no calls.
          const calls = c.attempts.filter((a: Row) => a.outcome !== 'deferred');
          expect(calls.map((a: Row) => [a.outcome, a.error?.kind ?? null])).toEqual([
            ['retryable_error', kind],
            ['succeeded', null],
          ]);
        }
      }
      for (const f of ['huge', 'huge-length']) {
        for (const c of byFault(f)) expect(c).toMatchObject({ state: 'failed', calls: 1, last_error: { kind: 'response_too_large' } });
      }
      for (const f of ['nul-content', 'bad-utf8']) {
        for (const c of byFault(f)) expect(c).toMatchObject({ state: 'succeeded', calls: 1 });
      }
      expect(up.hugeBytesWritten).toHaveLength(6);
      for (const written of up.hugeBytesWritten) expect(written).toBeLessThan(16 * 1024 * 1024);
      expect(runner.events.filter((e) => e.type === 'error' || e.type === 'lease_lost')).toEqual([]);

      // No human action: the same runner takes the next job at once and completes it.
      expect((await fetch(`${runner.url}/health/live`)).status).toBe(200);
      const next = await fleet.submit(faultSpec(`after-${randomUUID().slice(0, 8)}`, ['', '']));
      expect(await fleet.waitForJob(next.id, 30_000)).toBe('completed');
    } finally {
      await fleet.close();
    }
  });
});
