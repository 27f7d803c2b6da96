import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { BeaconApiClient, type LiveStreamNotice } from '@beacon/api-client';
import { classifyResponse } from '@beacon/classifier';
import { LegacyImportRepository, LivePublisher } from '@beacon/db';
import { legacyImportRows, parseLegacyDocument, type LiveEventFilter, type LiveEventView } from '@beacon/domain';
import { ReconcileService } from '@beacon/reconciler';
import { createRunnerApp } from '@beacon/runner';
import { LiveEventsService } from '../../apps/runner/src/live/live-events.service.js';
import { repoRoot } from '../utils/cli.js';
import { closeAllFleets, Fleet, jobSpec, waitFor } from '../utils/fleet.js';
import { openRawSse } from '../utils/sse-reader.js';

afterAll(closeAllFleets);

/** Streams `filter` from `client` into an array until `ac` aborts; resolves once connected. */
async function follow(client: BeaconApiClient, filter: LiveEventFilter, ac: AbortController) {
  const events: LiveEventView[] = [];
  const notices: LiveStreamNotice[] = [];
  const done = (async () => {
    for await (const e of client.events(filter, ac.signal, (n) => notices.push(n))) events.push(e);
  })();
  await waitFor('the stream to connect', () => notices.some((n) => n.type === 'connected'), 10_000);
  return { events, notices, done };
}

/**
 * Plans a job of `cells` cells straight in SQL, so that one UPDATE can change thousands of states; in a region no
 * runner serves, so that nothing claims them.
 */
async function plantJob(fleet: Fleet, id: string, cells: number): Promise<void> {
  // One transaction, as a submission is: a roll-up never sees the job without its cells (it would end it `failed`).
  await fleet.ds.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO jobs (id, format, spec_received, spec_hash, spec, cells_expected) VALUES ($1, 'beacon', '{}', 'x', '{}', $2)`,
      [id, cells],
    );
    await tx.query(
      `INSERT INTO executions (job_id, question_id, model_id, region, trace_id)
       SELECT $1, 'q' || i, 'llama3.2-1b', 'nowhere', md5($1 || i) FROM generate_series(1, $2) i`,
      [id, cells],
    );
  });
}

describe('GET /api/v1/events', () => {
  let fleet: Fleet;
  let apiUrl: string;

  beforeAll(async () => {
    fleet = await Fleet.create({ prefix: 'live' });
    apiUrl = (await fleet.startInProcess({}, false)).url;
  });
  afterAll(async () => fleet?.close());

  it('streams the attempts and states another daemon produces, filtered, in order', async () => {
    const client = new BeaconApiClient(apiUrl);
    const ac = new AbortController();
    const spec = jobSpec('live-a', 3, ['llama3.2-1b', 'mistral-7b'], ['us-east', 'eu-west']);
    const all = await follow(client, { job: spec.id }, ac);
    const eu = await follow(client, { job: spec.id, region: 'eu-west', kind: 'attempt_finished,execution_state' }, ac);
    const other = await follow(client, { job: 'some-other-job' }, ac);
    try {
      await fleet.submit(spec, apiUrl);
      const worker = await fleet.startInProcess();
      await waitFor(
        'job_state completed',
        () => all.events.some((e) => e.kind === 'job_state' && e.state === 'completed'),
        30_000,
        () => JSON.stringify(all.events.slice(-5)),
      );
      await waitFor('the filtered stream to catch up', () => eu.events.filter((e) => e.kind === 'attempt_finished').length === 6, 10_000);

      const of = (kind: string) => all.events.filter((e) => e.kind === kind);
      expect(new Set(of('attempt_started').map((e) => e.executionId)).size).toBe(12);
      expect(of('attempt_started').every((e) => e.runnerId === worker.options.runnerId && e.attempt === 1)).toBe(true);
      const finished = of('attempt_finished');
      expect(finished).toHaveLength(12);
      expect(
        finished.every(
          (e) =>
            e.outcome === 'succeeded' &&
            e.state === 'succeeded' &&
            e.classification !== null &&
            typeof e.latencyMs === 'number' &&
            e.httpStatus === 200 &&
            e.attemptId !== null,
        ),
      ).toBe(true);
      // Moves into and out of `running` travel on the attempt events (which carry the state after), not as their own.
      expect(of('execution_state')).toEqual([]);
      // The roll-up may see the job start and finish in one pass, so `running` is optional.
      expect(
        of('job_state')
          .map((e) => e.state)
          .filter((st) => st !== 'running'),
      ).toEqual(['queued', 'completed']);
      const seqs = all.events.map((e) => Number(e.seq));
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);

      expect(eu.events.length).toBeGreaterThan(0);
      expect(eu.events.every((e) => e.region === 'eu-west' && ['attempt_finished', 'execution_state'].includes(e.kind))).toBe(true);
      expect(other.events).toEqual([]);

      // Resume: a reconnect naming the 5th event gets exactly the ones after it, replayed from the daemon's buffer.
      const resumed = await openRawSse(`${apiUrl}/api/v1/events?job=${spec.id}`, { 'last-event-id': all.events[4]!.seq });
      try {
        const expected = all.events.slice(5).map((e) => e.seq);
        await waitFor('the replay', () => resumed.messages.length >= expected.length, 10_000);
        expect(resumed.messages.map((m) => m.id)).toEqual(expected);
        expect(resumed.messages.map((m) => (JSON.parse(m.data) as LiveEventView).kind)).toEqual(all.events.slice(5).map((e) => e.kind));
      } finally {
        resumed.close();
      }
      // An id this daemon never issued: a gap notice, then live events only.
      const stale = await openRawSse(`${apiUrl}/api/v1/events?job=${spec.id}`, { 'last-event-id': '12' });
      try {
        await waitFor('the gap notice', () => stale.messages.length > 0, 10_000);
        expect(stale.messages[0]).toMatchObject({ event: 'gap', data: JSON.stringify({ dropped: 0, reason: 'resume_unavailable' }) });
      } finally {
        stale.close();
      }
    } finally {
      ac.abort();
      await Promise.all([all.done, eu.done, other.done]);
    }
  });

  it('rejects an unknown kind with a 400 naming the parameter', async () => {
    const res = await fetch(`${apiUrl}/api/v1/events?kind=attempt_finished,bogus`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { message: string; problems: { path: string }[] };
    expect(body.problems[0]!.path).toBe('kind');
    expect(body.message).toContain('bogus');
    const client = new BeaconApiClient(apiUrl);
    await expect(
      (async () => {
        for await (const _ of client.events({ kind: 'bogus' })) break;
      })(),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('a client that stops reading loses its oldest events, is told how many, and the daemon buffers at most its limit', async () => {
    const app: INestApplication = await createRunnerApp({
      dataSource: fleet.ds,
      config: fleet.config,
      logger: false,
      live: { clientBuffer: 200 },
    });
    await app.listen(0, '127.0.0.1');
    try {
      const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
      const live = app.get(LiveEventsService);
      // Events as a busy daemon's engine publishes them: 5,000 per round, batched into NOTIFYs.
      const publisher = new LivePublisher(fleet.ds);
      const stream = await openRawSse(`${url}/api/v1/events?job=live-slow&kind=execution_state`);
      stream.pause();
      const session = () => [...live.sessions][0]!;
      let rounds = 0;
      let maxBuffered = 0;
      const sampler = setInterval(() => {
        maxBuffered = Math.max(maxBuffered, live.sessions.size ? session().buffered : 0);
      }, 5);
      try {
        await waitFor(
          'the daemon to drop events for the paused client',
          async () => {
            const state = rounds % 2 === 0 ? 'cancelled' : 'pending';
            for (let i = 0; i < 5000; i++)
              publisher.push({
                kind: 'execution_state',
                at: Date.now(),
                jobId: 'live-slow',
                executionId: String(i + 1),
                region: 'nowhere',
                modelId: 'llama3.2-1b',
                questionId: `q${i}`,
                state,
              });
            await publisher.flush();
            rounds++;
            return session().dropped > 0;
          },
          60_000,
          () => `rounds ${rounds}, written ${session().written}, buffered ${session().buffered}`,
          10,
        );
      } finally {
        clearInterval(sampler);
      }
      expect(maxBuffered).toBeLessThanOrEqual(200);
      expect(publisher.dropped).toBe(0);
      const sent = rounds * 5000;
      stream.resume();
      const count = () => {
        const events = stream.messages.filter((m) => m.event === 'execution_state').length;
        const dropped = stream.messages
          .filter((m) => m.event === 'gap')
          .reduce((a, m) => a + (JSON.parse(m.data) as { dropped: number }).dropped, 0);
        return { events, dropped };
      };
      await waitFor(
        'every event to be delivered or reported dropped',
        () => {
          const c = count();
          return c.events + c.dropped === sent;
        },
        30_000,
        () => JSON.stringify({ ...count(), sent }),
      );
      const gaps = stream.messages.filter((m) => m.event === 'gap').map((m) => JSON.parse(m.data) as { reason: string; dropped: number });
      expect(gaps.length).toBeGreaterThan(0);
      expect(gaps.every((g) => g.reason === 'slow_client' && g.dropped > 0)).toBe(true);
      // What did arrive is in order.
      const ids = stream.messages.filter((m) => m.id !== null && m.event !== 'gap').map((m) => Number(m.id));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      stream.close();
    } finally {
      await app.close();
    }
  });

  it('tells clients when its database listener reconnects, and keeps streaming', async () => {
    const client = new BeaconApiClient(apiUrl);
    const ac = new AbortController();
    const s = await follow(client, { kind: 'job_state' }, ac);
    const gaps: LiveStreamNotice[] = [];
    try {
      const killed = await fleet.ds.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'beacon-live' AND datname = current_database()`,
      );
      expect(killed.length).toBeGreaterThan(0);
      await waitFor(
        'the reconnect notice',
        () => {
          gaps.push(...s.notices.filter((n) => n.type === 'gap'));
          return gaps.length > 0;
        },
        15_000,
      );
      expect(gaps[0]).toEqual({ type: 'gap', dropped: 0, reason: 'listener_reconnected' });
      await plantJob(fleet, 'live-after-reconnect', 1);
      await waitFor('the next event', () => s.events.some((e) => e.jobId === 'live-after-reconnect' && e.state === 'queued'), 10_000);
    } finally {
      ac.abort();
      await s.done;
    }
  });

  it('publishes the findings the reconciler opens', async () => {
    const client = new BeaconApiClient(apiUrl);
    const ac = new AbortController();
    const s = await follow(client, { kind: 'finding' }, ac);
    try {
      const doc = parseLegacyDocument(JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/incident-2025-09-30.json'), 'utf8')));
      const imported = await new LegacyImportRepository(fleet.ds, classifyResponse).store(legacyImportRows(doc));
      // Waits for the lock: the daemons' own scheduled passes may hold it at this moment.
      const result = await new ReconcileService(fleet.ds).run({ persist: true, scope: { jobId: imported.jobId }, lockWaitMs: 30_000 });
      if (result.skipped) throw new Error('reconciler lock held');
      await waitFor('the finding events', () => s.events.length >= result.findings.length, 10_000);
      expect(new Set(s.events.map((e) => e.ruleId))).toEqual(new Set(result.findings.map((f) => f.ruleId)));
      const dup = s.events.find((e) => e.ruleId === 'duplicate_cell')!;
      expect(dup).toMatchObject({ kind: 'finding', jobId: imported.jobId, state: 'open', severity: 'critical' });
      expect(dup.summary).toEqual(expect.any(String));
      expect(dup.findingId).toMatch(/^\d+$/);
    } finally {
      ac.abort();
      await s.done;
    }
  });
});
