import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ControlsRepository, LifecycleRepository, QueueRepository, type AttemptStart, type CallRecord, type ClaimedCell } from '@beacon/db';
import { RollupService } from '@beacon/engine';
import type { DataSource, QueryRunner } from 'typeorm';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';

type Row = Record<string, any>;

/**
 * The queue's SQL, statement by statement, on a real PostgreSQL (no daemon): fencing by lease token, the reaper's
 * expiry re-check, SKIP LOCKED claims under contention, and what a reap does to attempts and failures.
 */
describe('engine queue repository on PostgreSQL', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let queue: QueueRepository;
  const MODEL = 'llama3.2-1b';

  beforeAll(async () => {
    db = await migratedDatabase('queue');
    ds = db.ds;
    queue = new QueueRepository(ds);
  });
  afterAll(async () => {
    await db?.close();
  });

  /** A job with `cells` pending cells in one (region, model), alone in the queue. */
  async function seed(cells: number, opts: { maxAttempts?: number; region?: string } = {}): Promise<{ jobId: string; region: string }> {
    // The reaper works across jobs: start every test on an empty queue.
    await ds.query('DELETE FROM jobs');
    const jobId = `queue-${randomUUID()}`;
    const region = opts.region ?? `r-${randomUUID().slice(0, 8)}`;
    await ds.query(
      `INSERT INTO jobs (id, format, spec_received, spec_hash, spec, cells_expected) VALUES ($1, 'beacon', '{}', 'h', '{}'::jsonb, $2)`,
      [jobId, cells],
    );
    await ds.query(
      `INSERT INTO executions (job_id, question_id, model_id, region, trace_id, max_attempts)
       SELECT $1, 'q' || g, $3, $4, md5($1 || g), $5 FROM generate_series(1, $2) g`,
      [jobId, cells, MODEL, region, opts.maxAttempts ?? 4],
    );
    return { jobId, region };
  }

  function claim(region: string, runnerId: string, limit = 1, leaseMs = 30_000, firstAttemptsOnly = false): Promise<ClaimedCell[]> {
    return queue.claim({ runnerId, region, modelId: MODEL, limit, leaseMs, firstAttemptsOnly });
  }

  function attemptStart(cell: ClaimedCell, runnerId: string): AttemptStart {
    return {
      cell,
      runnerId,
      systemPrompt: 'system',
      userPrompt: `question ${cell.questionId}`,
      parameters: { model: MODEL },
      promptHash: 'p',
      parametersHash: 'q',
      endpoint: 'http://127.0.0.1:1/v1',
      spanId: null,
    };
  }

  function call(response: string | null, httpStatus = 200): CallRecord {
    return {
      httpStatus,
      latencyMs: 5,
      response,
      finishReason: response === null ? null : 'stop',
      inputTokens: 1,
      outputTokens: 1,
      usage: null,
      upstreamRequestId: null,
      error: response === null ? { kind: 'http', message: 'HTTP 503' } : null,
    };
  }

  /** Claims one cell and writes its attempt row, as a runner does before calling. */
  async function claimAndStart(region: string, runnerId: string): Promise<ClaimedCell> {
    const [cell] = await claim(region, runnerId);
    expect(cell).toBeDefined();
    expect([...(await queue.startAttempts([attemptStart(cell!, runnerId)])).keys()]).toEqual([cell!.id]);
    return cell!;
  }

  /** Moves a lease's expiry into the past, as if its holder had stopped renewing `agoMs` ago. */
  async function expire(cellId: string, agoMs = 10_000): Promise<void> {
    await ds.query(`UPDATE executions SET lease_expires_at = now() - make_interval(secs => $2::float8 / 1000) WHERE id = $1`, [
      cellId,
      agoMs,
    ]);
  }

  async function row(cellId: string): Promise<Row> {
    const [r]: Row[] = await ds.query('SELECT to_jsonb(e) AS j FROM executions e WHERE id = $1', [cellId]);
    return r!.j;
  }

  async function attempts(cellId: string): Promise<Row[]> {
    const rows: Row[] = await ds.query('SELECT to_jsonb(a) AS j FROM execution_attempts a WHERE execution_id = $1 ORDER BY attempt', [
      cellId,
    ]);
    return rows.map((r) => r.j);
  }

  /** A QueueRepository whose statements run inside an open transaction of `qr`. */
  async function inTransaction(): Promise<{ qr: QueryRunner; repo: QueueRepository }> {
    const qr = ds.createQueryRunner();
    await qr.connect();
    await qr.startTransaction();
    return { qr, repo: new QueueRepository(qr.manager) };
  }

  it('fences a stale token: heartbeat, complete, fail and release change nothing and the committed result stays', async () => {
    const { region } = await seed(1);
    const lost = await claimAndStart(region, 'runner-a');
    await expire(lost.id);
    expect(await queue.reap(500, 1000)).toBe(1);
    const live = await claimAndStart(region, 'runner-b');
    expect(live.attempt).toBe(2);
    expect(live.leaseToken).not.toBe(lost.leaseToken);

    // While the new lease runs, the old token can neither renew it, finish it, fail it nor hand it back.
    const running = await row(live.id);
    const openAttempt = (await attempts(live.id))[1];
    expect((await queue.heartbeat('runner-a', [{ id: lost.id, token: lost.leaseToken }], 30_000)).held.size).toBe(0);
    expect(await queue.complete(lost, call('late answer from a'), { classification: 'answered', classificationRule: 'answered' })).toBe(
      'fenced',
    );
    // The late answer is kept on the lost attempt's own row only, which stays lease_expired.
    expect((await attempts(live.id))[0]).toMatchObject({ outcome: 'lease_expired', response: 'late answer from a', runner_id: 'runner-a' });
    expect(await queue.fail(lost, call(null, 503), { kind: 'retry', delayMs: 0, outcome: 'retryable_error' })).toBe('fenced');
    expect(await queue.release(lost, 'released')).toBe(false);
    expect(await row(live.id)).toEqual(running);
    const [lostAttempt, liveAttempt] = await attempts(live.id);
    expect(lostAttempt).toMatchObject({ outcome: 'lease_expired', runner_id: 'runner-a' });
    expect(liveAttempt).toEqual(openAttempt);
    expect(liveAttempt).toMatchObject({ outcome: null, runner_id: 'runner-b' });

    expect(await queue.complete(live, call('answer from b'), { classification: 'answered', classificationRule: 'answered' })).toBe(
      'succeeded',
    );
    const committed = await row(live.id);
    expect(committed).toMatchObject({
      state: 'succeeded',
      result_attempt: 2,
      response: 'answer from b',
      lease_token: null,
      failures: 0,
      lease_losses: 1,
    });
    const audit = await attempts(live.id);

    // After the commit, neither the old token nor the spent one changes the cell or the succeeded attempt.
    for (const stale of [lost, live]) {
      expect((await queue.heartbeat('runner-x', [{ id: stale.id, token: stale.leaseToken }], 30_000)).held.size).toBe(0);
      expect(
        await queue.complete(stale, call(`again ${stale.attempt}`), { classification: 'answered', classificationRule: 'answered' }),
      ).toBe('fenced');
      expect(await queue.fail(stale, call(null, 503), { kind: 'fail', outcome: 'final_error' })).toBe('fenced');
      expect(await queue.release(stale, 'cancelled')).toBe(false);
    }
    expect(await row(live.id)).toEqual(committed);
    const after = await attempts(live.id);
    expect(after).toHaveLength(2);
    expect(after[1]).toEqual(audit[1]);
    expect(after[0]).toMatchObject({ outcome: 'lease_expired' });
  });

  it('reaps only leases expired beyond the grace, and never one renewed just before (or while) it runs', async () => {
    const { region } = await seed(6);
    const [expired, recent, valid, renewed, renewing, completing] = await Promise.all(
      ['a', 'b', 'c', 'd', 'e', 'f'].map(async () => claimAndStart(region, 'runner-r')),
    );
    await expire(expired!.id, 10_000);
    await expire(recent!.id, 1000); // expired, but within the reaper's 5 s grace
    for (const c of [renewed!, renewing!, completing!]) await expire(c.id, 10_000);
    // Renewed just before the reaper runs: no longer expired.
    expect((await queue.heartbeat('runner-r', [{ id: renewed!.id, token: renewed!.leaseToken }], 30_000)).held).toEqual(
      new Set([renewed!.id]),
    );

    // A renewal and a completion in flight (uncommitted) while the reaper runs: SKIP LOCKED passes them by…
    const hb = await inTransaction();
    const done = await inTransaction();
    try {
      expect((await hb.repo.heartbeat('runner-r', [{ id: renewing!.id, token: renewing!.leaseToken }], 30_000)).held.size).toBe(1);
      expect(await done.repo.complete(completing!, call('answer'), { classification: 'answered', classificationRule: 'answered' })).toBe(
        'succeeded',
      );
      expect(await queue.reap(500, 5000)).toBe(1);
      await hb.qr.commitTransaction();
      await done.qr.commitTransaction();
    } finally {
      await hb.qr.release();
      await done.qr.release();
    }
    // …and once they commit, the re-check finds nothing to take.
    expect(await queue.reap(500, 5000)).toBe(0);

    expect(await row(expired!.id)).toMatchObject({ state: 'pending', failures: 0, lease_losses: 1, lease_token: null });
    for (const c of [recent!, valid!, renewed!, renewing!]) {
      expect(await row(c.id)).toMatchObject({ state: 'running', failures: 0, lease_token: c.leaseToken });
      expect((await attempts(c.id))[0]).toMatchObject({ outcome: null });
    }
    expect(await row(completing!.id)).toMatchObject({ state: 'succeeded', failures: 0, result_attempt: 1 });
    expect((await attempts(completing!.id))[0]).toMatchObject({ outcome: 'succeeded' });
  });

  it('lets 8 concurrent claimers over 500 cells claim each cell exactly once', async () => {
    const { jobId, region } = await seed(500);
    const claimed: string[][] = Array.from({ length: 8 }, () => []);
    await Promise.all(
      claimed.map(async (mine, i) => {
        for (let empty = 0; empty < 2;) {
          const cells = await claim(region, `claimer-${i}`, 1 + ((i + mine.length) % 7));
          if (cells.length === 0) empty++;
          else {
            await queue.startAttempts(cells.map((c) => attemptStart(c, `claimer-${i}`)));
            mine.push(...cells.map((c) => c.id));
          }
        }
      }),
    );
    const all = claimed.flat();
    expect(all).toHaveLength(500);
    expect(new Set(all).size).toBe(500);
    expect(claimed.filter((c) => c.length > 0).length).toBeGreaterThanOrEqual(2);
    const [r]: Row[] = await ds.query(
      `SELECT count(*) FILTER (WHERE state = 'running' AND attempts = 1)::int AS once,
              (SELECT count(*)::int FROM execution_attempts WHERE job_id = $1) AS attempt_rows,
              (SELECT count(DISTINCT lease_token)::int FROM executions WHERE job_id = $1) AS tokens
         FROM executions WHERE job_id = $1`,
      [jobId],
    );
    expect(r).toEqual({ once: 500, attempt_rows: 500, tokens: 500 });
  });

  it('a concurrency override bounds the running cells of its (region, model) across all claimers, and a claimer unaware of it claims nothing', async () => {
    const { region } = await seed(300);
    const controls = new ControlsRepository(ds);
    await controls.changeKey(region, MODEL, { concurrency: 5 }, 'test');
    const running = async () =>
      (await ds.query(`SELECT count(*)::int AS n FROM executions WHERE region = $1 AND state = 'running'`, [region]))[0].n as number;
    const key = (runnerId: string, limit: number, overridden: boolean) =>
      // Each claimer its own repository, as each daemon has.
      new QueueRepository(ds).claim({ runnerId, region, modelId: MODEL, limit, leaseMs: 30_000, firstAttemptsOnly: false, overridden });

    // Unaware of the override (its daemon has not heard of it yet): nothing.
    expect(await key('stale', 10, false)).toEqual([]);

    // Eight claimers racing, each asking for up to 4 and finishing what it holds now and then: never more than 5
    // running in all (each claimer alone would have been allowed 5).
    let most = 0;
    let done = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const runnerId = `claimer-${i}`;
        for (let round = 0; round < 12; round++) {
          const cells = await key(runnerId, 4, true);
          most = Math.max(most, await running());
          if (cells.length > 0) await queue.startAttempts(cells.map((c) => attemptStart(c, runnerId)));
          for (const c of cells) {
            await queue.complete(c, call(`answer ${c.id}`), { classification: 'answered', classificationRule: 'answered' });
            done++;
          }
        }
      }),
    );
    expect(most).toBeLessThanOrEqual(5);
    expect(done).toBeGreaterThan(5);

    // Lowered under what is held: nothing more until fewer are running.
    const held = await key('holder', 4, true);
    expect(held.length).toBe(4);
    await controls.changeKey(region, MODEL, { concurrency: 2 }, 'test');
    expect(await key('other', 4, true)).toEqual([]);
    for (const c of held.slice(0, 3)) await queue.release(c, 'released');
    expect((await key('other', 4, true)).length).toBe(1);

    // Removed: claimers unaware of any override claim again, within their own limit only.
    await controls.changeKey(region, MODEL, { concurrency: null }, 'test');
    expect((await key('stale', 10, false)).length).toBe(10);
  });

  it("closes a reaped cell's open attempt as lease_expired and counts one lease loss, not a failure", async () => {
    const { region } = await seed(2);
    const cell = await claimAndStart(region, 'runner-dead');
    // Claimed but crashed before writing its attempt row: reaped all the same, with no attempt to close.
    const [bare] = await claim(region, 'runner-dead');
    await expire(cell.id);
    await expire(bare!.id);
    expect(await queue.reap(500, 1000)).toBe(2);

    expect(await row(cell.id)).toMatchObject({
      state: 'pending',
      failures: 0,
      lease_losses: 1,
      attempts: 1,
      lease_token: null,
      lease_owner: null,
      lease_expires_at: null,
      finished_at: null,
      last_error: { kind: 'lease_expired', owner: 'runner-dead', attempt: 1, leaseLosses: 1 },
    });
    const [a] = await attempts(cell.id);
    expect(a).toMatchObject({ outcome: 'lease_expired', runner_id: 'runner-dead' });
    expect(a!.ended_at).not.toBeNull();
    // A claim that never reached its call (claimed ahead) is reaped without counting a failure.
    expect(await row(bare!.id)).toMatchObject({ state: 'pending', failures: 0, lease_losses: 0 });
    expect(await attempts(bare!.id)).toEqual([]);

    // Back in the queue: the called cell as a retry (not taken by a claim restricted to first attempts), the other
    // still as a first attempt.
    expect((await claim(region, 'runner-new', 5, 30_000, true)).map((c) => c.id)).toEqual([bare!.id]);
    const again = await claim(region, 'runner-new', 5);
    expect(again.map((c) => c.id)).toEqual([cell.id]);
    expect(again[0]).toMatchObject({ attempt: 2, failures: 0, leaseLosses: 1 });
  });

  it("defect 13.11d: calls lost with a crashed runner's lease do not count against max_attempts; the cell fails after maxLeaseLosses of them", async () => {
    const { region } = await seed(1, { maxAttempts: 2 });
    // Two crashes mid-call: max_attempts (2) is not spent, the cell stays in the queue.
    for (const runner of ['runner-1', 'runner-2']) {
      const c = await claimAndStart(region, runner);
      await expire(c.id);
      expect(await queue.reap(500, 1000, 3)).toBe(1);
    }
    const cellId = (await ds.query(`SELECT id::text FROM executions WHERE region = $1`, [region]))[0].id as string;
    expect(await row(cellId)).toMatchObject({ state: 'pending', failures: 0, lease_losses: 2, max_attempts: 2, finished_at: null });

    // A call that reached the upstream and failed still counts against max_attempts.
    const failing = await claimAndStart(region, 'runner-3');
    expect(await queue.fail(failing, call(null, 503), { kind: 'retry', delayMs: 0, outcome: 'retryable_error' })).toBe('recorded');
    expect(await row(cellId)).toMatchObject({ state: 'pending', failures: 1, lease_losses: 2 });

    // The third loss reaches the bound (3 here): the cell fails, saying why, and is never claimed again.
    const third = await claimAndStart(region, 'runner-4');
    await expire(third.id);
    expect(await queue.reap(500, 1000, 3)).toBe(1);
    const failed = await row(cellId);
    expect(failed).toMatchObject({
      state: 'failed',
      failures: 1,
      lease_losses: 3,
      max_attempts: 2,
      lease_token: null,
      result_attempt: null,
      last_error: {
        kind: 'lease_expired',
        owner: 'runner-4',
        leaseLosses: 3,
        message: expect.stringContaining("lost with their runner's lease 3 times"),
      },
    });
    expect(failed.finished_at).not.toBeNull();
    expect((await attempts(cellId)).map((a) => a.outcome)).toEqual(['lease_expired', 'lease_expired', 'retryable_error', 'lease_expired']);
    expect(await claim(region, 'runner-5', 5)).toEqual([]);
  });

  it('defect 13.11d: a call its runner abandons while losing its lease is a lease loss at once, not a failure; once the lease is gone it changes nothing', async () => {
    const { region } = await seed(1, { maxAttempts: 1 });
    const cell = await claimAndStart(region, 'runner-fencing');
    const aborted: CallRecord = { ...call(null, 0), httpStatus: null, error: { kind: 'aborted', message: 'aborted: lease_lost' } };
    expect(await queue.abandon(cell, aborted, 2)).toBe('pending');
    expect(await row(cell.id)).toMatchObject({ state: 'pending', failures: 0, lease_losses: 1, lease_token: null, max_attempts: 1 });
    expect((await attempts(cell.id))[0]).toMatchObject({ outcome: 'lease_expired', error: { kind: 'aborted' } });
    // The stale token again: fenced, nothing changes.
    expect(await queue.abandon(cell, aborted, 2)).toBe('fenced');
    expect(await row(cell.id)).toMatchObject({ state: 'pending', lease_losses: 1 });

    const second = await claimAndStart(region, 'runner-fencing-2');
    expect(second).toMatchObject({ id: cell.id, leaseLosses: 1, failures: 0 });
    expect(await queue.abandon(second, aborted, 2)).toBe('failed');
    expect(await row(cell.id)).toMatchObject({
      state: 'failed',
      failures: 0,
      lease_losses: 2,
      last_error: { kind: 'lease_expired', leaseLosses: 2 },
    });
  });

  it('review: a call abandoned while losing its lease is stored with its secrets hidden, like a completed or failed one', async () => {
    const { region } = await seed(1);
    const cell = await claimAndStart(region, 'runner-abandon-secret');
    const key = 'sk-proj-AbCdEfGhIjKlMnOpQrStUvWx0123';
    const echoed: CallRecord = {
      ...call(null, 0),
      httpStatus: null,
      error: {
        kind: 'aborted',
        message: `aborted: lease_lost after upstream said: Incorrect API key provided: Bearer ${key}`,
        detail: { key },
      },
    };
    expect(await queue.abandon(cell, echoed, 2)).toBe('pending');
    const [attempt] = await attempts(cell.id);
    expect(JSON.stringify(attempt)).not.toContain(key);
    expect(attempt).toMatchObject({
      outcome: 'lease_expired',
      error: { kind: 'aborted', message: expect.stringContaining('Bearer [REDACTED]'), detail: { key: '[REDACTED]' } },
    });
  });

  it('runs concurrent reapers over 100 expired leases and reaps each exactly once', async () => {
    const { jobId, region } = await seed(100);
    const cells = await claim(region, 'runner-gone', 100);
    await queue.startAttempts(cells.map((c) => attemptStart(c, 'runner-gone')));
    await ds.query(`UPDATE executions SET lease_expires_at = now() - interval '10 seconds' WHERE job_id = $1`, [jobId]);
    const counts = await Promise.all(
      Array.from({ length: 4 }, () => queue.reap(30, 1000).then(async (n) => n + (await queue.reap(100, 1000)))),
    );
    expect(counts.reduce((a, b) => a + b, 0)).toBe(100);
    const [r]: Row[] = await ds.query(
      `SELECT count(*) FILTER (WHERE state = 'pending' AND lease_losses = 1 AND failures = 0)::int AS reaped_once,
              (SELECT count(*)::int FROM execution_attempts WHERE job_id = $1 AND outcome = 'lease_expired') AS closed
         FROM executions WHERE job_id = $1`,
      [jobId],
    );
    expect(r).toEqual({ reaped_once: 100, closed: 100 });
  });

  it('regression (cancel under load): a retry scheduled by a call in flight when its job was cancelled is never claimed, and the roll-up cancels it before ending the job', async () => {
    const { jobId, region } = await seed(3);
    const lifecycle = new LifecycleRepository(ds);
    const cell = await claimAndStart(region, 'runner-a');
    const cancel = await lifecycle.cancel(jobId);
    expect(cancel).toMatchObject({ found: true, pendingCancelled: 2, running: 1 });
    // The call in flight fails and schedules a retry (as a lease loss or a release would requeue it).
    expect(await queue.fail(cell, call(null, 503), { kind: 'retry', delayMs: 0, outcome: 'retryable_error' })).toBe('recorded');
    // Nothing of a cancelled job is called again: before the fix this claimed the cell and called the provider.
    expect(await claim(region, 'runner-b', 10)).toEqual([]);
    // The roll-up closes the stray retry, then ends the job cancelled with no cell left pending or running.
    const emitted: unknown[] = [];
    await new RollupService(lifecycle, { rollupMs: 1000, random: () => 0 }, (e) => emitted.push(e)).rollup();
    const states: { state: string; n: number }[] = await ds.query(
      'SELECT state, count(*)::int AS n FROM executions WHERE job_id = $1 GROUP BY 1',
      [jobId],
    );
    expect(states).toEqual([{ state: 'cancelled', n: 3 }]);
    const [job] = await ds.query('SELECT status FROM jobs WHERE id = $1', [jobId]);
    expect(job.status).toBe('cancelled');
  });
});
