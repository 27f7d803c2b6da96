import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createRunnerApp } from '@beacon/runner';
import type { INestApplication } from '@nestjs/common';
import type { TrendSeries } from '@beacon/domain';
import { cliEnv, requireBuild, runCli } from '../utils/cli.js';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';
import { call, flushAudit, securedConfig, TOKENS } from '../utils/security.js';
import { expectedSeries, historyArb, readSeriesRows, writeHistory, type GenHistory } from '../utils/trend-history.js';

/**
 * `GET /api/v1/trends`, `POST /api/v1/retention/prune`, `beacon trend` and `beacon prune` over real HTTP and a real
 * database: every number is compared with the series computed from the rows (`test/utils/trend-history.ts`).
 */
describe('trends over the API and the CLI', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let baseUrl: string;
  const viewer = TOKENS.viewer.secret;
  const operator = TOKENS.operator.secret;
  const cli = (args: string[], token: string = viewer) => runCli(args, { env: cliEnv({ BEACON_API_URL: baseUrl, BEACON_TOKEN: token }) });
  const get = (qs: string, token: string = viewer) => call(baseUrl, 'GET', `/api/v1/trends${qs}`, { token });

  beforeAll(async () => {
    requireBuild();
    db = await migratedDatabase('trendsapi');
    app = await createRunnerApp({ dataSource: db.ds, config: securedConfig(), logger: false, engine: null });
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  let n = 0;
  it('GET /api/v1/trends?jobs= and ?schedule= answer the series computed from the rows', async () => {
    await fc.assert(
      fc.asyncProperty(historyArb(5), fc.boolean(), async (h: GenHistory, filter) => {
        const name = `api${++n}`;
        const ids = await writeHistory(db.ds, name, h);
        const question = filter ? h.questions[0]!.id : null;
        const expected = expectedSeries(await readSeriesRows(db.ds, ids), question);
        const q = question ? `&question=${encodeURIComponent(question)}` : '';
        const byJobs = await get(`?jobs=${ids.map(encodeURIComponent).join(',')}${q}`);
        expect(byJobs.status).toBe(200);
        expect(byJobs.body).toEqual({ source: { kind: 'jobs', jobIds: ids }, ...expected });
        const bySchedule = await get(`?schedule=${name}${q}`);
        expect(bySchedule.status).toBe(200);
        expect(bySchedule.body).toEqual({ source: { kind: 'schedule', scheduleId: name }, ...expected });
      }),
      { numRuns: 12 },
    );
  });

  it('GET /api/v1/trends/cells answers the per-cell summary of the series computed from the rows (strips, flips, newest sample)', async () => {
    await fc.assert(
      fc.asyncProperty(historyArb(5), fc.boolean(), async (h: GenHistory, filter) => {
        const name = `cells${++n}`;
        const ids = await writeHistory(db.ds, name, h);
        const question = filter ? h.questions[0]!.id : null;
        const expected = expectedSeries(await readSeriesRows(db.ds, ids), question);
        const q = question ? `&question=${encodeURIComponent(question)}` : '';
        const res = await call(baseUrl, 'GET', `/api/v1/trends/cells?schedule=${name}${q}`, { token: viewer });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ source: { kind: 'schedule', scheduleId: name }, runs: expected.runs, cells: summaryOf(expected) });
        expect(JSON.stringify(res.body)).not.toContain('"points"');
      }),
      { numRuns: 10 },
    );
    const bad = await call(baseUrl, 'GET', '/api/v1/trends/cells?schedule=x&jobs=y', { token: viewer });
    expect(bad.status).toBe(400);
    expect((await call(baseUrl, 'GET', '/api/v1/trends/cells?schedule=x', { token: 'bct_not-a-real-token' })).status).toBe(401);
  });

  it("beacon trend --json prints the API series; the table shows each cell's sparkline, last label, flips and similarity", async () => {
    const h = fc.sample(historyArb(6), { seed: 21, numRuns: 1 })[0]!;
    const ids = await writeHistory(db.ds, 'clitrend', h);
    const expected = expectedSeries(await readSeriesRows(db.ds, ids));
    const json = await cli(['trend', 'clitrend', '--json']);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ source: { kind: 'schedule', scheduleId: 'clitrend' }, ...expected });

    const text = await cli(['trend', ...ids]);
    expect(text.code).toBe(0);
    const glyph = (r: number | null) => (r === null ? '·' : '▁▂▃▄▅▆▇█'[Math.round(r * 7)]);
    const last = expected.runs.length - 1;
    const cellKeys = [...new Set(expected.points.map((p) => JSON.stringify([p.questionId, p.model, p.region])))];
    for (const key of cellKeys) {
      const [q, m, r] = JSON.parse(key) as [string, string, string];
      const pts = expected.points.filter((p) => p.questionId === q && p.model === m && p.region === r);
      const byRun = new Map(pts.map((p) => [p.runIndex, p]));
      const rates = expected.runs.map((run) => {
        const p = byRun.get(run.index);
        return p && p.responses > 0 ? p.counts.refused / p.responses : null;
      });
      let flips = 0;
      for (let i = 1; i <= last; i++) {
        const a = byRun.get(i - 1)?.label ?? null;
        const b = byRun.get(i)?.label ?? null;
        if (a && b && a !== b) flips++;
      }
      const lp = byRun.get(last);
      const line = text.stdout.split('\n').find((l) => new RegExp(`^${q}\\s+${m}\\s+${r}\\s`).test(l));
      expect(line).toBeDefined();
      const cols = line!.trim().split(/\s{2,}/);
      expect(cols[3]).toBe(rates.map(glyph).join(''));
      expect(cols[4]).toBe(`${lp?.label ?? '-'}${rates[last] == null ? '' : ` ${Math.round(rates[last] * 100)}%`}`);
      expect(cols[5]).toBe(String(flips));
      expect(cols[6]).toBe(lp?.similarityToPrevious == null ? '-' : lp.similarityToPrevious.toFixed(2));
    }
  });

  it('refuses bad requests with a 4xx naming the parameter, and more than 1,000 runs with a clear 400', async () => {
    const ids = await writeHistory(db.ds, 'bad', fc.sample(historyArb(2), { seed: 2, numRuns: 1 })[0]!);
    const cases: [string, number, string][] = [
      ['', 400, 'jobs'],
      [`?jobs=${ids[0]}&schedule=bad`, 400, 'schedule'],
      [`?jobs=${ids[0]},,x`, 400, 'jobs'],
      [`?jobs=${ids[0]}&last=3`, 400, 'last'],
      ['?schedule=bad&last=0', 400, 'last'],
      ['?schedule=bad&last=1001', 400, 'last'],
      [`?jobs=${ids[0]}&colour=red`, 400, 'colour'],
      [`?jobs=${Array.from({ length: 1001 }, (_, i) => `j${i}`).join(',')}`, 400, 'jobs'],
    ];
    for (const [qs, status, path] of cases) {
      const res = await get(qs);
      expect({ qs, status: res.status }).toEqual({ qs, status });
      expect(res.body.problems.map((p: { path: string }) => p.path)).toContain(path);
    }
    const many = await get(`?jobs=${Array.from({ length: 1001 }, (_, i) => `j${i}`).join(',')}`);
    expect(many.body.message).toMatch(/at most 1000 runs; 1001 were asked for/);
    const unknown = await get(`?jobs=${ids[0]},nope-9`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('"nope-9"');
    expect((await get('?schedule=no-such-schedule')).status).toBe(404);
    expect((await get(`?jobs=${ids[0]}`, 'bct_not-a-real-token')).status).toBe(401);
    const cliUnknown = await cli(['trend', ids[0]!, 'nope-9']);
    expect(cliUnknown.code).toBe(4);
    const cliBad = await cli(['trend', 'bad', '--last', '0']);
    expect(cliBad.code).toBe(2);
  });

  it('a schedule of more than 1,000 runs is refused without last=N and read with it', async () => {
    const h: GenHistory = {
      questions: [{ id: 'q', category: null }],
      models: ['m1'],
      regions: ['us-east'],
      runs: Array.from({ length: 1001 }, (_, i) => ({
        status: 'completed' as const,
        createdAtS: i,
        cells: [[{ state: 'succeeded' as const, classification: i % 3 ? 'answered' : 'refused', response: `answer ${i % 7}` }]],
      })),
    };
    const ids = await writeHistory(db.ds, 'big', h);
    const refused = await get('?schedule=big');
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('last=N');
    const newest = await get('?schedule=big&last=1000');
    expect(newest.status).toBe(200);
    expect(newest.body).toEqual({
      source: { kind: 'schedule', scheduleId: 'big' },
      ...expectedSeries(await readSeriesRows(db.ds, ids.slice(1))),
    });
  });

  it('POST /api/v1/retention/prune: operator only, skips active jobs, and the series stays the same', async () => {
    const h = fc.sample(historyArb(5), { seed: 4, numRuns: 1 })[0]!;
    h.runs = [...h.runs, { ...h.runs[0]!, status: 'running' }];
    const ids = await writeHistory(db.ds, 'prune', h);
    const before = await get('?schedule=prune');
    expect(before.status).toBe(200);
    const body = JSON.stringify({ jobs: ids });
    expect((await call(baseUrl, 'POST', '/api/v1/retention/prune', { token: viewer, body })).status).toBe(403);
    expect((await call(baseUrl, 'POST', '/api/v1/retention/prune', { token: TOKENS.submitter.secret, body })).status).toBe(403);
    for (const bad of ['{}', '{"jobs":[]}', '{"jobs":["a"],"olderThan":"soon"}', '{"jobs":["a"],"extra":1}', '{"jobs":[1]}']) {
      const res = await call(baseUrl, 'POST', '/api/v1/retention/prune', { token: operator, body: bad });
      expect({ bad, status: res.status }).toEqual({ bad, status: 400 });
    }
    const [{ n: still }] = await db.ds.query(`SELECT count(*)::int AS n FROM jobs WHERE id = ANY($1)`, [ids]);
    expect(still).toBe(ids.length);

    const dry = await cli(['prune', ...ids, '--dry-run', '--json'], operator);
    expect(dry.code).toBe(0);
    const finished = ids.filter((_, i) => !['running', 'queued'].includes(h.runs[i]!.status));
    expect(JSON.parse(dry.stdout)).toMatchObject({ pruned: finished, dryRun: true });
    const done = await cli(['prune', ...ids, '--json'], operator);
    expect(done.code).toBe(0);
    const out = JSON.parse(done.stdout);
    expect(out.pruned).toEqual(finished);
    expect(out.skipped.map((s: { jobId: string; reason: string }) => s.reason).every((r: string) => r === 'active')).toBe(true);
    const [{ n: left }] = await db.ds.query(`SELECT count(*)::int AS n FROM jobs WHERE id = ANY($1)`, [ids]);
    expect(left).toBe(ids.length - finished.length);
    const after = await get('?schedule=prune');
    expect(after.body).toEqual(before.body);
    await flushAudit(app);
    const audit = await db.ds.query(`SELECT principal, status FROM audit_log WHERE path = '/api/v1/retention/prune' ORDER BY id`);
    expect(audit.filter((a: { status: number }) => a.status === 200).map((a: { principal: string }) => a.principal)).toEqual([
      'otto',
      'otto',
    ]);
  });
});

/**
 * The per-cell summary of a series, computed here from its points on their own (not with the code under test): for each
 * (question, model, region) in code-unit order, per run the refusal rate and the majority label, a flip where two
 * labelled runs in a row differ, and the newest run's sample and similarity.
 */
function summaryOf(series: Pick<TrendSeries, 'runs' | 'points'>) {
  const n = series.runs.length;
  const keys = [...new Set(series.points.map((p) => JSON.stringify([p.questionId, p.model, p.region])))].sort((a, b) => {
    const [x, y] = [JSON.parse(a) as string[], JSON.parse(b) as string[]];
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
    return 0;
  });
  return keys.map((k) => {
    const [questionId, model, region] = JSON.parse(k) as string[];
    const mine = series.points.filter((p) => p.questionId === questionId && p.model === model && p.region === region);
    const at = (i: number) => mine.find((p) => p.runIndex === i);
    const labels = Array.from({ length: n }, (_, i) => at(i)?.label ?? null);
    const rates = Array.from({ length: n }, (_, i) => {
      const p = at(i);
      return p && p.responses > 0 ? p.counts.refused / p.responses : null;
    });
    const flipAt = labels.map((l, i) => i > 0 && l !== null && labels[i - 1] !== null && l !== labels[i - 1]);
    return {
      questionId,
      model,
      region,
      category: mine.find((p) => p.category !== null)?.category ?? null,
      rates,
      labels,
      flipAt,
      flips: flipAt.filter(Boolean).length,
      lastLabel: labels[n - 1] ?? null,
      lastSimilarity: at(n - 1)?.similarityToPrevious ?? null,
      newestSample: at(n - 1)?.sample ?? null,
    };
  });
}
