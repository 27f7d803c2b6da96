import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { defaultConfig, roleAtLeast, type Role } from '@beacon/domain';
import { rowCounts, startTestRunner, type TestRunner } from '../utils/runner-harness.js';
import { call, flushAudit, listRoutes, securedConfig, TOKENS } from '../utils/security.js';

/** Routes whose role differs from the default (viewer for GET, admin for anything else); `null` is public. */
const DECLARED: Record<string, Role | null> = {
  'GET /health/live': null,
  'GET /health/ready': null,
  'POST /api/v1/jobs': 'submitter',
  'POST /api/v1/jobs/:id/cancel': 'submitter',
  'POST /api/v1/schedules': 'operator',
  'PATCH /api/v1/schedules/:name': 'operator',
  'POST /api/v1/schedules/:name/pause': 'operator',
  'POST /api/v1/schedules/:name/resume': 'operator',
  'POST /api/v1/schedules/:name/run-now': 'operator',
  'DELETE /api/v1/schedules/:name': 'operator',
  'POST /api/v1/retention/prune': 'operator',
  'POST /api/v1/notifications/outbox/:id/retry': 'operator',
  'POST /api/v1/jobs/:id/retry': 'operator',
  'POST /api/v1/jobs/:id/pause': 'operator',
  'POST /api/v1/jobs/:id/resume': 'operator',
  'POST /api/v1/controls/keys/pause': 'operator',
  'POST /api/v1/controls/keys/resume': 'operator',
  'POST /api/v1/controls/keys/concurrency': 'operator',
  'POST /api/v1/daemons/:id/drain': 'operator',
  'POST /api/v1/daemons/:id/undrain': 'operator',
};

function spec(id: string): string {
  return JSON.stringify({ id, questions: ['math_basic'], models: ['llama3.2-1b'], regions: ['us-east'] });
}

describe('API authentication and roles', () => {
  let runner: TestRunner;
  let jobId: string;
  beforeAll(async () => {
    // Every route is tried without and with an unknown token: more failed authentications than the default allowance.
    runner = await startTestRunner(securedConfig({ limits: { maxJobsInFlightPerToken: 1000, failedAuthPerMinutePerAddress: 10_000 } }));
    const res = await call(runner.baseUrl, 'POST', '/api/v1/jobs', { token: TOKENS.submitter.secret, body: spec('owned-by-sam') });
    expect(res.status).toBe(201);
    jobId = res.body.id;
  });
  afterAll(async () => {
    await runner?.close();
  });

  it('finds the job routes among the registered routes', () => {
    const routes = listRoutes(runner.app).map((r) => `${r.method} ${r.path}`);
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /api/v1/jobs',
        'GET /api/v1/jobs',
        'GET /api/v1/jobs/:id',
        'POST /api/v1/jobs/:id/cancel',
        'GET /metrics',
      ]),
    );
  });

  it('answers every registered route for every role as its declared (or default) role requires', async () => {
    const routes = listRoutes(runner.app);
    const failures: string[] = [];
    let checked = 0;
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      const needed = key in DECLARED ? DECLARED[key]! : route.method === 'GET' || route.method === 'HEAD' ? 'viewer' : 'admin';
      const path = route.path.replace(/:id\b/g, encodeURIComponent(jobId)).replace(/\*path$/, '');
      const body =
        route.method === 'POST' && route.path === '/api/v1/jobs' ? spec(`matrix-${checked}`) : route.method === 'GET' ? undefined : '{}';
      const anonymous = await call(runner.baseUrl, route.method, path, { body });
      const expectAnon = needed === null ? 'open' : 401;
      if ((expectAnon === 401) !== (anonymous.status === 401)) failures.push(`${key} without a token: ${anonymous.status}`);
      if (needed === null) continue;
      const forged = await call(runner.baseUrl, route.method, path, { token: 'bct_not-a-real-token', body });
      if (forged.status !== 401) failures.push(`${key} with an unknown token: ${forged.status}`);
      for (const t of [TOKENS.viewer, TOKENS.submitter, TOKENS.operator, TOKENS.admin]) {
        const res = await call(runner.baseUrl, route.method, path.replace('matrix-', `matrix-${t.name}-`), {
          token: t.secret,
          body: body?.replace(`matrix-${checked}`, `matrix-${checked}-${t.name}`),
        });
        const allowed = roleAtLeast(t.role, needed);
        const denied = res.status === 403 || res.status === 401;
        if (allowed === denied || res.status >= 500)
          failures.push(`${key} as ${t.role}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        if (!allowed && res.body?.error !== 'forbidden') failures.push(`${key} as ${t.role}: error ${res.body?.error}`);
        checked++;
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(4 * 8);
  });

  it('distinguishes 401 (who are you?) from 403 (not allowed), with explanations and a challenge', async () => {
    const none = await call(runner.baseUrl, 'GET', '/api/v1/jobs');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="beacon"');
    expect(none.body).toMatchObject({ error: 'unauthenticated', message: expect.stringContaining('BEACON_TOKEN') });
    const unknown = await call(runner.baseUrl, 'GET', '/api/v1/jobs', { token: 'bct_wrong' });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toBe('Bearer realm="beacon", error="invalid_token"');
    expect(unknown.body).toMatchObject({ error: 'invalid_token', message: expect.stringContaining('not recognised') });
    const basic = await call(runner.baseUrl, 'GET', '/api/v1/jobs', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.body.error).toBe('invalid_token');
    const low = await call(runner.baseUrl, 'POST', '/api/v1/jobs', { token: TOKENS.viewer.secret, body: spec('viewer-try') });
    expect(low.status).toBe(403);
    expect(low.body).toMatchObject({
      error: 'forbidden',
      message: 'POST /api/v1/jobs needs role submitter; token "vera" has role viewer',
      problems: [{ path: 'authorization', message: 'role submitter or above is required' }],
    });
  });

  it('lets a submitter cancel only its own jobs, and an operator any job', async () => {
    const other = await call(runner.baseUrl, 'POST', `/api/v1/jobs/${jobId}/cancel`, { token: TOKENS.submitter2.secret });
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject({ error: 'not_owner', message: expect.stringContaining('needs role operator') });
    const [job] = await runner.ds.query('SELECT submitter FROM jobs WHERE id = $1', [jobId]);
    expect(job.submitter).toBe('sam');
    const mine = await call(runner.baseUrl, 'POST', '/api/v1/jobs', { token: TOKENS.submitter2.secret, body: spec('owned-by-sue') });
    expect((await call(runner.baseUrl, 'POST', '/api/v1/jobs/owned-by-sue/cancel', { token: TOKENS.submitter2.secret })).status).toBe(200);
    expect(mine.status).toBe(201);
    expect((await call(runner.baseUrl, 'POST', `/api/v1/jobs/${jobId}/cancel`, { token: TOKENS.operator.secret })).status).toBe(200);
  });

  it('writes one audit row per mutating call: who, role, what, target, status, error, from where', async () => {
    await flushAudit(runner.app);
    const before: number = (await runner.ds.query('SELECT count(*)::int AS n FROM audit_log'))[0].n;
    await call(runner.baseUrl, 'GET', '/api/v1/jobs', { token: TOKENS.viewer.secret });
    await call(runner.baseUrl, 'POST', `/api/v1/jobs/${jobId}/cancel`, { token: TOKENS.submitter2.secret });
    await call(runner.baseUrl, 'POST', '/api/v1/jobs', { token: TOKENS.admin.secret, body: spec('audited-1') });
    await call(runner.baseUrl, 'POST', '/api/v1/jobs', { body: spec('audited-2') });
    await flushAudit(runner.app);
    const rows = await runner.ds.query(
      `SELECT principal, role, method, path, target_id, status, error, remote_address FROM audit_log WHERE id > (SELECT max(id) - 3 FROM audit_log) ORDER BY id`,
    );
    expect((await runner.ds.query('SELECT count(*)::int AS n FROM audit_log'))[0].n).toBe(before + 3);
    const local = expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$/);
    // Each row is written when its answer is finished, on its own pooled connection: ids follow commit order, which
    // need not be request order (a 201 that planned a job can commit after the next request's 401).
    expect(rows).toHaveLength(3);
    expect(rows).toEqual(
      expect.arrayContaining([
        {
          principal: 'sue',
          role: 'submitter',
          method: 'POST',
          path: `/api/v1/jobs/${jobId}/cancel`,
          target_id: jobId,
          status: 403,
          error: 'not_owner',
          remote_address: local,
        },
        {
          principal: 'ada',
          role: 'admin',
          method: 'POST',
          path: '/api/v1/jobs',
          target_id: 'audited-1',
          status: 201,
          error: null,
          remote_address: local,
        },
        {
          principal: 'anonymous',
          role: null,
          method: 'POST',
          path: '/api/v1/jobs',
          target_id: null,
          status: 401,
          error: 'unauthenticated',
          remote_address: local,
        },
      ]),
    );
    const [at] = await runner.ds.query(`SELECT max(at) > now() - interval '1 minute' AS recent FROM audit_log`);
    expect(at.recent).toBe(true);
  });

  it('refuses a body over the limit with 413, and writes no job', async () => {
    const before = await rowCounts(runner.ds);
    const res = await call(runner.baseUrl, 'POST', '/api/v1/jobs', {
      token: TOKENS.admin.secret,
      body: JSON.stringify({ pad: 'x'.repeat(1_100_000) }),
    });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: 'body_too_large', message: expect.stringContaining('1048576') });
    expect(await rowCounts(runner.ds)).toEqual(before);
  });
});

describe('API limits per token', () => {
  let runner: TestRunner;
  beforeAll(async () => {
    runner = await startTestRunner(securedConfig({ limits: { requestsPerMinutePerToken: 5, maxJobsInFlightPerToken: 2 } }));
  });
  afterAll(async () => {
    await runner?.close();
  });

  it('refuses a token over its jobs in flight with 429, leaving no row', async () => {
    for (const id of ['f1', 'f2'])
      expect((await call(runner.baseUrl, 'POST', '/api/v1/jobs', { token: TOKENS.submitter.secret, body: spec(id) })).status).toBe(201);
    const before = await rowCounts(runner.ds);
    const third = await call(runner.baseUrl, 'POST', '/api/v1/jobs', { token: TOKENS.submitter.secret, body: spec('f3') });
    expect(third.status).toBe(429);
    expect(third.body).toMatchObject({ error: 'too_many_jobs_in_flight', message: expect.stringContaining('sam already has 2 jobs') });
    expect(await rowCounts(runner.ds)).toEqual(before);
    // Another token has its own allowance; resubmitting an existing job is not a new job in flight.
    expect((await call(runner.baseUrl, 'POST', '/api/v1/jobs', { token: TOKENS.submitter2.secret, body: spec('g1') })).status).toBe(201);
  });

  it('refuses requests over the per-minute rate with 429 and Retry-After, per token', async () => {
    const statuses: number[] = [];
    let last = await call(runner.baseUrl, 'GET', '/api/v1/jobs', { token: TOKENS.viewer.secret });
    statuses.push(last.status);
    while (last.status === 200 && statuses.length < 10) {
      last = await call(runner.baseUrl, 'GET', '/api/v1/jobs', { token: TOKENS.viewer.secret });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(last.body).toMatchObject({ error: 'rate_limited', message: expect.stringContaining('more than 5 requests in a minute') });
    expect((await call(runner.baseUrl, 'GET', '/api/v1/jobs', { token: TOKENS.operator.secret })).status).toBe(200);
    expect((await call(runner.baseUrl, 'GET', '/health/live')).status).toBe(200);
  });
});

describe('API without tokens', () => {
  let runner: TestRunner;
  beforeAll(async () => {
    runner = await startTestRunner(defaultConfig());
  });
  afterAll(async () => {
    await runner?.close();
  });

  it('is open to loopback clients, audited as the local user', async () => {
    expect((await call(runner.baseUrl, 'GET', '/api/v1/jobs')).status).toBe(200);
    expect((await call(runner.baseUrl, 'POST', '/api/v1/jobs', { body: spec('local-1') })).status).toBe(201);
    await flushAudit(runner.app);
    const rows = await runner.ds.query(`SELECT principal, role, status FROM audit_log WHERE target_id = 'local-1'`);
    expect(rows).toEqual([{ principal: 'local', role: 'admin', status: 201 }]);
  });

  const external = Object.values(os.networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  (external ? it : it.skip)('refuses a client from another address with 401, even if the daemon listens there', async () => {
    const app = runner.app;
    const server = app.getHttpServer();
    const { port } = server.address() as { port: number };
    // A second listener on the external address, served by the same application.
    const { createServer } = await import('node:http');
    const second = createServer(app.getHttpAdapter().getInstance());
    await new Promise<void>((resolve) => second.listen(0, external, resolve));
    try {
      const url = `http://${external}:${(second.address() as { port: number }).port}`;
      const res = await call(url, 'GET', '/api/v1/jobs');
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(/answers requests from this machine only/);
      expect(port).toBeGreaterThan(0);
    } finally {
      await new Promise((resolve) => second.close(resolve));
    }
  });
});
