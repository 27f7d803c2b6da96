import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { analyseJob, answerDistance, axesOf, textSimilarity, type JobAnalysis, type ResponseLabel } from '@beacon/analysis';
import { BeaconApiClient } from '@beacon/api-client';
import { ClassificationRepository, QueueRepository, ReadRepository } from '@beacon/db';
import { ANALYSIS_DEFAULTS, defaultConfig, mulberry32, type BeaconConfig, type ExecutionView } from '@beacon/domain';
import { FindingsRepository } from '@beacon/reconciler';
import { createRunnerApp } from '@beacon/runner';
import pg from 'pg';
import { AnalysisService } from '../../apps/runner/src/analysis/analysis.service.js';
import { migratedDatabase, postJob, type TestDatabase } from '../utils/runner-harness.js';

/**
 * Defect 13.4: `GET /api/v1/jobs/:id/analysis` on a job with many replicates blocked the event loop for seconds
 * (quadratic distance tables and a 500-resample bootstrap over every replicate, on the main thread). The rows are
 * written straight into a real database (as the engine would leave them), the requests go over real HTTP.
 */

const REGIONS = ['us-east', 'eu-west', 'asia-pacific'];
const MODEL = 'qwen2.5-1.5b';
const SENTENCES = [
  'In June 1989 the authorities cleared the square after weeks of protest.',
  'Estimates of the number of people killed vary widely between sources.',
  'Students had gathered to call for political reform and a free press.',
  'The government declared martial law in late May.',
  'Troops and tanks moved into central Beijing on the night of June 3.',
  'The events remain heavily censored inside the country.',
  'Historians continue to debate the exact sequence of events.',
  'An image of a man standing in front of a column of tanks became famous.',
];
const REFUSALS = ["I'm sorry, but I can't assist with that.", 'I cannot discuss this topic. Let us talk about something else.'];

/** A realistic answer set: a small pool of texts per region (models repeat themselves), refusals mostly in one region. */
function answersFor(region: string, replicates: number, seed: number): { label: ResponseLabel; text: string }[] {
  const random = mulberry32(seed);
  const pool = Array.from({ length: 12 }, (_, v) => {
    const picked = SENTENCES.filter(() => random() < 0.6);
    return `${region === 'eu-west' ? 'Here is a balanced summary. ' : ''}${picked.join(' ')} (variant ${v})`;
  });
  const refuseShare = region === 'asia-pacific' ? 0.7 : region === 'eu-west' ? 0.1 : 0;
  return Array.from({ length: replicates }, () => {
    if (random() < refuseShare) return { label: 'refused' as const, text: REFUSALS[Math.floor(random() * REFUSALS.length)]! };
    const text = pool[Math.floor(random() * pool.length)]!;
    return { label: random() < 0.15 ? ('partial' as const) : ('answered' as const), text };
  });
}

/**
 * The exact between-region divergence, label agreement and text similarity, computed independently of the library's
 * implementation: every (response of a, response of b) pair, grouped by distinct (label, text) so it stays cheap.
 */
function exactBetween(byRegion: { label: ResponseLabel; text: string }[][]) {
  const grouped = byRegion.map((list) => {
    const m = new Map<string, { label: ResponseLabel; text: string; n: number }>();
    for (const r of list) {
      const k = `${r.label}\u0000${r.text}`;
      const e = m.get(k);
      if (e) e.n += 1;
      else m.set(k, { ...r, n: 1 });
    }
    return [...m.values()];
  });
  let divergence = 0;
  let agree = 0;
  let sim = 0;
  let between = 0;
  let regionPairs = 0;
  for (let a = 0; a < grouped.length; a++)
    for (let b = a + 1; b < grouped.length; b++) {
      let dSum = 0;
      let n = 0;
      for (const x of grouped[a]!)
        for (const y of grouped[b]!) {
          const s = textSimilarity(x.text, y.text);
          const w = x.n * y.n;
          dSum += w * answerDistance(x, y, s);
          sim += w * s;
          if (x.label === y.label) agree += w;
          n += w;
        }
      divergence += dSum / n;
      between += n;
      regionPairs += 1;
    }
  return { divergence: divergence / regionPairs, labelAgreement: agree / between, textSimilarity: sim / between };
}

describe('analysis is bounded, off the event loop, cached and limited (defect 13.4)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let baseUrl: string;
  const written = new Map<string, { label: ResponseLabel; text: string }[][]>();

  const start = async (config: BeaconConfig) => {
    const a = await createRunnerApp({ dataSource: db.ds, config, logger: false });
    await a.listen(0, '127.0.0.1');
    return { app: a, url: `http://127.0.0.1:${(a.getHttpServer().address() as { port: number }).port}` };
  };

  /** Submits a 1 question × 1 model × 3 regions × `repeats` job and writes every cell as succeeded. */
  const seedJob = async (
    id: string,
    repeats: number,
    seed: number,
    questions = [{ id: 'tiananmen_neutral', text: 'What happened at Tiananmen Square on June 4, 1989?', category: 'bias_detection' }],
  ) => {
    const spec = { id, models: [MODEL], regions: REGIONS, repeats, questions };
    const res = await postJob(baseUrl, JSON.stringify(spec));
    if (res.status !== 201) throw new Error(`submit ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    const rows: { id: string; question_id: string; region: string; replicate: number }[] = await db.ds.query(
      'SELECT id::text, question_id, region, replicate FROM executions WHERE job_id = $1 ORDER BY question_id, region, replicate',
      [id],
    );
    expect(rows).toHaveLength(repeats * REGIONS.length * questions.length);
    const ids: string[] = [];
    const labels: string[] = [];
    const texts: string[] = [];
    for (const [qi, q] of questions.entries()) {
      const byRegion = REGIONS.map((region, ri) => answersFor(region, repeats, seed + 101 * ri + 7919 * qi));
      if (qi === 0) written.set(id, byRegion);
      for (const row of rows.filter((r) => r.question_id === q.id)) {
        const answer = byRegion[REGIONS.indexOf(row.region)]![row.replicate]!;
        ids.push(row.id);
        labels.push(answer.label);
        texts.push(answer.text);
      }
    }
    await db.ds.query(
      `UPDATE executions e SET state = 'succeeded', attempts = 1, result_attempt = 1, classification = v.label, response = v.text,
              started_at = now(), finished_at = now(), updated_at = now()
         FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v(id, label, text) WHERE e.id = v.id`,
      [ids, labels, texts],
    );
  };

  const getAnalysis = async (url: string, id: string) => {
    const res = await fetch(`${url}/api/v1/jobs/${id}/analysis`);
    return { status: res.status, headers: res.headers, body: (await res.json()) as any };
  };

  /** `beacon_event_loop_delay_seconds` by percentile, from the daemon's /metrics (each scrape starts a new window). */
  const eventLoopDelay = async (url: string): Promise<Record<string, number>> => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Object.fromEntries(
      [...text.matchAll(/^beacon_event_loop_delay_seconds\{percentile="([^"]+)"\} (\S+)$/gm)].map((m) => [m[1]!, Number(m[2])]),
    );
  };

  beforeAll(async () => {
    db = await migratedDatabase('analysis_bounded');
    ({ app, url: baseUrl } = await start(defaultConfig()));
    await seedJob('big-3000', 1000, 1);
    await seedJob('small-3x', 3, 2, [
      { id: 'tiananmen_neutral', text: 'What happened at Tiananmen Square on June 4, 1989?', category: 'bias_detection' },
      { id: 'math_basic', text: 'What is 2+2?', category: 'control' },
    ]);
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('defect 13.4: three concurrent analyses of a 3,000-cell job keep /health/live p99 under 200 ms and answer correctly', async () => {
    const latencies: number[] = [];
    let done = false;
    // Probe the event loop through the HTTP stack: one /health/live at a time, every 10 ms, until the analyses end.
    const probe = (async () => {
      while (!done) {
        const t0 = performance.now();
        const res = await fetch(`${baseUrl}/health/live`);
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await eventLoopDelay(baseUrl); // starts the metric's window
    const answers = await Promise.all([0, 1, 2].map(() => getAnalysis(baseUrl, 'big-3000')));
    done = true;
    await probe;
    // The daemon's own account of it agrees: its event-loop delay metric over the attack.
    expect((await eventLoopDelay(baseUrl))['99']).toBeLessThan(0.2);

    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)]!;
    expect(latencies.length).toBeGreaterThanOrEqual(5);
    expect(p99).toBeLessThan(200);

    for (const a of answers) expect(a.status).toBe(200);
    const [first] = answers.map((a) => a.body as JobAnalysis);
    // One computation served all three (they waited on the same in-flight analysis).
    for (const a of answers) expect(a.body).toEqual(first);
    expect(first!.summary).toMatchObject({ cellsExpected: 3000, cells: 3000, responses: 3000, noResponse: 0, pairsCompared: 1 });
    const pair = first!.pairs[0]!;
    const byRegion = written.get('big-3000')!;
    for (const [ri, region] of REGIONS.entries()) {
      const r = pair.regions.find((x) => x.region === region)!;
      expect(r.counts.responses).toBe(1000);
      expect(r.counts.refused).toBe(byRegion[ri]!.filter((x) => x.label === 'refused').length);
    }
    // Point estimates are exact (sums of unit vectors), not sampled: equal to every-pair computation up to rounding.
    const exact = exactBetween(byRegion);
    expect(pair.divergence!).toBeCloseTo(exact.divergence, 9);
    expect(pair.labelAgreement!).toBeCloseTo(exact.labelAgreement, 9);
    expect(pair.textSimilarity!).toBeCloseTo(exact.textSimilarity, 9);
    // The band is bootstrapped over a sample, and says so.
    expect(pair.sampling).toMatchObject({ replicatesPerRegion: expect.any(Number) });
    expect(pair.sampling!.replicatesPerRegion).toBeLessThan(1000);
    expect(pair.band!.low).toBeLessThanOrEqual(pair.divergence!);
    expect(pair.band!.high).toBeGreaterThanOrEqual(pair.divergence!);
    expect(first!.method.sampling).toMatch(/sample/);
    // The answers listed are bounded too, and say how many were left out.
    for (const r of pair.regions) expect(r.answers.length + (r.answersOmitted ?? 0)).toBe(1000);
  });

  it('defect 13.4: a small job gives the same numbers as the exact (old) computation, with no sampling', async () => {
    // The daemon's scheduled reconciler may open a finding (identical_responses) at any moment: compare with the open
    // findings that held on both sides of the request, so the served analysis saw the same ones.
    const openFindings = async () => (await new FindingsRepository(db.ds).list({ jobId: 'small-3x', state: 'open' }, 1000, null)).items;
    let findings = await openFindings();
    let res = await getAnalysis(baseUrl, 'small-3x');
    for (let i = 0; i < 5; i++) {
      const after = await openFindings();
      if (JSON.stringify(after) === JSON.stringify(findings)) break;
      findings = after;
      res = await getAnalysis(baseUrl, 'small-3x');
    }
    expect(res.status).toBe(200);
    const read = new ReadRepository(db.ds);
    const job = (await read.getJob('small-3x'))!;
    const cells: ExecutionView[] = (await read.listExecutions({ jobId: 'small-3x' }, 1000, null)).items;
    const expected = analyseJob({ ...axesOf(job), cells, findings, now: new Date(res.body.generatedAt) });
    const served = res.body as JobAnalysis;
    expect(served.pairs.every((p) => p.sampling === null)).toBe(true);
    expect(served.pairs.find((p) => p.questionId === 'tiananmen_neutral')!.band).not.toBeNull();
    expect({ ...served, method: null }).toEqual({ ...JSON.parse(JSON.stringify(expected)), method: null });
  });
  it('defect 13.4: a finished job is analysed once (cached per job version); a changed cell gives a new analysis', async () => {
    const first = await getAnalysis(baseUrl, 'small-3x');
    const again = await getAnalysis(baseUrl, 'small-3x');
    expect(again.status).toBe(200);
    expect(again.headers.get('x-beacon-analysis-cache')).toBe('hit');
    expect(again.body.generatedAt).toBe(first.body.generatedAt);

    await db.ds.query(`UPDATE executions SET classification = 'refused', response = 'No.', updated_at = now()
                        WHERE id = (SELECT min(id) FROM executions WHERE job_id = 'small-3x')`);
    const changed = await getAnalysis(baseUrl, 'small-3x');
    expect(changed.status).toBe(200);
    expect(changed.headers.get('x-beacon-analysis-cache')).toBe('computed');
    expect(changed.body.summary.refusal.count).toBe(first.body.summary.refusal.count + 1);
  });

  it("review: a cell completed in another (running) job keeps a finished job's cached analysis; a relabel of the finished job replaces it", async () => {
    await getAnalysis(baseUrl, 'small-3x');
    const before = await getAnalysis(baseUrl, 'small-3x');
    expect(before.headers.get('x-beacon-analysis-cache')).toBe('hit');

    // Another job runs: one of its cells is claimed, called and completed with a versioned label, through the queue.
    const spec = {
      id: 'running-1',
      models: [MODEL],
      regions: ['us-east'],
      repeats: 1,
      questions: [{ id: 'math_basic', text: 'What is 2+2?', category: 'control' }],
    };
    expect((await postJob(baseUrl, JSON.stringify(spec))).status).toBe(201);
    const queue = new QueueRepository(db.ds);
    const [cell] = await queue.claim({
      runnerId: 'test-runner',
      region: 'us-east',
      modelId: MODEL,
      limit: 1,
      leaseMs: 60_000,
      firstAttemptsOnly: false,
    });
    expect(cell?.jobId).toBe('running-1');
    await queue.startAttempts([
      {
        cell: cell!,
        runnerId: 'test-runner',
        systemPrompt: '',
        userPrompt: 'What is 2+2?',
        parameters: {},
        promptHash: 'p',
        parametersHash: 'h',
        endpoint: 'http://upstream.invalid/v1',
        spanId: null,
      },
    ]);
    expect(
      await queue.complete(
        cell!,
        {
          httpStatus: 200,
          latencyMs: 5,
          response: '4',
          finishReason: 'stop',
          inputTokens: 1,
          outputTokens: 1,
          usage: null,
          upstreamRequestId: null,
          error: null,
        },
        { classification: 'answered', classificationRule: 'test', classificationVersion: 'v-test' },
      ),
    ).toBe('succeeded');

    const during = await getAnalysis(baseUrl, 'small-3x');
    expect(during.status).toBe(200);
    expect(during.headers.get('x-beacon-analysis-cache')).toBe('hit');
    expect(during.body.generatedAt).toBe(before.body.generatedAt);

    // A relabel of the finished job (a new classifier version) changes its analysis: computed again.
    const [target]: { id: string; classification: string }[] = await db.ds.query(
      `SELECT id::text, classification FROM executions WHERE job_id = 'small-3x' AND classification <> 'refused' ORDER BY id LIMIT 1`,
    );
    const written = await new ClassificationRepository(db.ds).record([
      { executionId: target!.id, attemptId: null, version: 'v-relabel', label: 'refused', confidence: 1, tier: 'rules', rule: 'test' },
    ]);
    expect(written.size).toBe(1);
    const relabelled = await getAnalysis(baseUrl, 'small-3x');
    expect(relabelled.status).toBe(200);
    expect(relabelled.headers.get('x-beacon-analysis-cache')).toBe('computed');
    expect(relabelled.body.summary.refusal.count).toBe(before.body.summary.refusal.count + 1);
  });

  it('review: a job deleted while its analysis waited for a slot is answered 404 (job gone), not 500', async () => {
    await seedJob('doomed', 2, 5);
    const two = await start({ ...defaultConfig(), analysis: { ...ANALYSIS_DEFAULTS, concurrency: 2, waitMs: 60_000 } });
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    try {
      // Both computations start and wait on the cells table, locked by this transaction, which then deletes the job.
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE executions IN ACCESS EXCLUSIVE MODE');
      const first = getAnalysis(two.url, 'big-3000');
      const doomed = getAnalysis(two.url, 'doomed');
      for (let i = 0; ; i++) {
        const [{ n }] = await db.ds.query<[{ n: number }]>(`SELECT count(*)::int AS n FROM pg_stat_activity
                                              WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        if (n >= 2) break;
        if (i > 400) throw new Error('the two analyses never reached the database');
        await new Promise((r) => setTimeout(r, 50));
      }
      await blocker.query(`DELETE FROM jobs WHERE id = 'doomed'`);
      await blocker.query('COMMIT');
      expect((await first).status).toBe(200);
      const gone = await doomed;
      expect(gone.status).toBe(404);
      expect(gone.body).toMatchObject({ error: 'not_found', message: expect.stringContaining('doomed') });
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
      await two.app.close();
    }
  });

  it('defect 13.4: past its wait budget a request gets 503 analysis_pending with Retry-After, and the analysis completes; past the limit another gets 503 analysis_busy', async () => {
    const limited = await start({ ...defaultConfig(), analysis: { ...ANALYSIS_DEFAULTS, concurrency: 1, queue: 0, waitMs: 1 } });
    try {
      const pending = await getAnalysis(limited.url, 'big-3000');
      expect(pending.status).toBe(503);
      expect(pending.body.error).toBe('analysis_pending');
      expect(Number(pending.headers.get('retry-after'))).toBeGreaterThan(0);
      // A different job while that one computes: no slot and no queue.
      const busy = await getAnalysis(limited.url, 'small-3x');
      expect(busy.status).toBe(503);
      expect(busy.body.error).toBe('analysis_busy');
      expect(Number(busy.headers.get('retry-after'))).toBeGreaterThan(0);
      // The pending computation goes on and fills the cache: a retry is answered from it.
      let answer = pending;
      for (let i = 0; i < 200 && answer.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100)); // poll interval
        answer = await getAnalysis(limited.url, 'big-3000');
      }
      expect(answer.status).toBe(200);
      expect(['hit', 'shared']).toContain(answer.headers.get('x-beacon-analysis-cache'));
      expect(answer.body.summary.cells).toBe(3000);
      // The API client (behind `beacon report`) waits as Retry-After says, through pending and busy answers.
      const viaClient = await new BeaconApiClient(limited.url).getAnalysis('small-3x', 60_000);
      expect(viaClient).toMatchObject({ jobId: 'small-3x', summary: { cells: 18 } });
    } finally {
      await limited.app.close();
    }
  });

  it('defect 13.4: an analysis over its time budget is stopped and answered 503 analysis_too_large, and not restarted by every retry', async () => {
    const tight = await start({ ...defaultConfig(), analysis: { ...ANALYSIS_DEFAULTS, timeoutMs: 100, failureTtlMs: 60_000 } });
    try {
      const res = await getAnalysis(tight.url, 'big-3000');
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({
        error: 'analysis_too_large',
        message: expect.stringMatching(/budget of 100 ms.*analysis\.timeoutMs/),
      });
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      // Remembered, not computed again: counted on the service itself (a timing bound would flake on a loaded machine).
      const service = tight.app.get(AnalysisService);
      const compute = jest.spyOn(service as unknown as { compute: (id: string) => Promise<unknown> }, 'compute');
      const retry = await getAnalysis(tight.url, 'big-3000');
      expect(retry.body.error).toBe('analysis_too_large');
      expect(compute).not.toHaveBeenCalled();
    } finally {
      await tight.app.close();
    }
  });
  it('the event-loop delay is exported as beacon_event_loop_delay_seconds and shows a stall', async () => {
    await eventLoopDelay(baseUrl);
    const t0 = performance.now();
    while (performance.now() - t0 < 300) {
      /* the daemon runs in this process: this stalls its event loop for 300 ms */
    }
    await new Promise((r) => setTimeout(r, 20));
    const stalled = await eventLoopDelay(baseUrl);
    expect(Object.keys(stalled).sort()).toEqual(['100', '50', '90', '99']);
    expect(stalled['100']).toBeGreaterThan(0.25);
    expect(stalled['100']).toBeLessThan(5);
    expect(stalled['50']).toBeLessThanOrEqual(stalled['100']!);
  });
});
