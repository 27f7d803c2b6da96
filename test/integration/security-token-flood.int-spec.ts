import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createToken, defaultConfig, hashToken } from '@beacon/domain';
import { createRunnerApp } from '@beacon/runner';
import { cliEnv, repoRoot, requireBuild, startDaemon, type Daemon } from '../utils/cli.js';
import { migratedDatabase, startTestRunner, type TestDatabase, type TestRunner } from '../utils/runner-harness.js';
import { call, flushAudit, securedConfig, TOKENS } from '../utils/security.js';

/**
 * Defect 13.3: with a scrypt-hashed token configured, every unknown bearer token used to run a synchronous scrypt on
 * the event loop. The daemon runs as its own process (as in production) and the flood comes from another process and
 * another loopback address (127.0.0.2) than the probes and the legitimate clients (127.0.0.1).
 */

const LEGACY = { name: 'legacy', secret: 'correct-horse-battery-staple' };
const LEGACY2 = { name: 'legacy2', secret: 'a-person-chose-this-one-too' };
const CI = { name: 'ci', secret: 'bct_ci-token-for-the-flood-test' };
/** The flooding addresses, one per round (any 127.x.y.z reaches a loopback listener on Linux). */
const ATTACKERS = ['127.0.0.2', '127.0.0.3'];
/** Long enough for well over 40 probes (10 ms apart, each with its round trip) on an idle machine. */
const FLOOD_MS = 5000;

interface Answer {
  status: number;
  ms: number;
  body: string;
}

const agents = new Map<string, http.Agent>();

/** One request over a keep-alive connection from `from`; one that gets no answer in 30 s counts as 30 s and status 0. */
function get(base: string, route: string, opts: { token?: string; from?: string } = {}): Promise<Answer> {
  const url = new URL(route, base);
  const from = opts.from ?? '127.0.0.1';
  if (!agents.has(from)) agents.set(from, new http.Agent({ keepAlive: true, maxSockets: 4 }));
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        agent: agents.get(from),
        localAddress: from,
        timeout: 30_000,
        headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0, body: '' }));
  });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface FloodResult {
  sent: number;
  byStatus: Record<string, number>;
  errors: Record<string, number>;
  seconds: number;
}

function flood(url: string, attacker: string): { done: Promise<FloodResult> } {
  const proc = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'bench', 'flood-client.mjs'),
      JSON.stringify({ url, concurrency: 800, durationMs: FLOOD_MS, localAddress: attacker }),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: cliEnv({}) },
  );
  let out = '';
  proc.stdout.on('data', (d) => {
    out += d;
  });
  return {
    done: new Promise((resolve, reject) =>
      proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`flood client exited with ${code}`)))),
    ),
  };
}

describe('token flood', () => {
  let db: TestDatabase;
  let daemon: Daemon | undefined;
  beforeAll(async () => {
    requireBuild();
    db = await migratedDatabase('flood');
    // Configured the way older releases printed them: two scrypt hashes without a token id, and a sha256 one.
    const tokens = [
      [LEGACY, 'viewer', 'scrypt'],
      [LEGACY2, 'viewer', 'scrypt'],
      [CI, 'submitter', 'sha256'],
    ] as const;
    daemon = await startDaemon({
      env: cliEnv({
        DATABASE_URL: db.url,
        BEACON_AUTH_TOKENS: tokens.map(([t, role, scheme]) => `${t.name}:${role}:${hashToken(t.secret, scheme)}`).join(' '),
      }),
    });
  }, 120_000);
  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    await db?.close();
    for (const agent of agents.values()) agent.destroy();
  });

  it('defect 13.3: 800 concurrent unknown bearer tokens leave /health/live p99 under 200 ms, valid tokens working, refusals 401/429 and a bounded audit', async () => {
    const base = daemon!.url;
    // The legacy scrypt token is verified once before the flood (then remembered), legacy2 only after it.
    expect((await get(base, '/api/v1/jobs', { token: LEGACY.secret })).status).toBe(200);
    // One round: flood from `attacker`, probing /health/live from 127.0.0.1 every 10 ms (each probe waiting for the
    // last) while it lasts, and using valid tokens from both addresses now and then.
    const round = async (attacker: string) => {
      const attack = flood(base, attacker);
      const started = Date.now();
      const probes: number[] = [];
      const during: string[] = [];
      let finished = false;
      void attack.done.finally(() => {
        finished = true;
      });
      await new Promise((r) => setTimeout(r, 300));
      while (!finished && Date.now() - started < FLOOD_MS + 60_000) {
        const probe = await get(base, '/health/live');
        probes.push(probe.status === 200 ? probe.ms : Math.max(probe.ms, 30_000));
        if (probes.length % 8 === 0) {
          for (const [token, from] of [
            [CI.secret, '127.0.0.1'],
            [LEGACY.secret, '127.0.0.1'],
            [CI.secret, attacker],
          ] as const) {
            const res = await get(base, '/api/v1/jobs', { token, from });
            if (res.status !== 200)
              during.push(`${from} ${token === CI.secret ? 'ci' : 'legacy'}: ${res.status} ${res.body.slice(0, 200)}`);
          }
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      const result = await attack.done;
      const p99 = percentile(probes, 99);
      if (process.env.BEACON_TEST_VERBOSE)
        process.stderr.write(
          `flood: ${JSON.stringify({ attacker, probes: probes.length, p50: percentile(probes, 50), p99, max: Math.max(...probes), result })}\n`,
        );
      return { attacker, probes, p99, during, result };
    };
    // The machine running the suite may be busy with other work: a second round (from another address, so it costs
    // the daemon as much) is run only when the first misses the bound; the unpatched daemon misses it by seconds.
    // A round also counts only with at least 40 probes (below that the p99 is the maximum of too few): on a loaded
    // machine the probes and token checks of one 4 s flood were seen to fit only 39 times.
    const enough = (r: { probes: number[]; p99: number }) => r.probes.length >= 40 && r.p99 < 200;
    const rounds = [await round(ATTACKERS[0]!)];
    if (!enough(rounds[0]!)) rounds.push(await round(ATTACKERS[1]!));
    const counted = rounds.filter((r) => r.probes.length >= 40);
    expect(counted.length).toBeGreaterThan(0);
    const best = counted.reduce((a, b) => (b.p99 < a.p99 ? b : a));
    expect(best.p99).toBeLessThan(200);
    for (const { during, result } of rounds) {
      expect(during).toEqual([]);
      // Every flooded request was answered, with 401 or 429 only.
      expect(result.errors).toEqual({});
      const statuses = new Set(Object.keys(result.byStatus).map((k) => Number(k.split(' ')[1])));
      expect([...statuses].filter((s) => s !== 401 && s !== 429)).toEqual([]);
      expect(result.byStatus['GET 429']).toBeGreaterThan(0);
    }
    const attacker = rounds[0]!.attacker;

    // After the flood: a scrypt token never seen before verifies, and the attacker's address is still refused 401/429.
    expect((await get(base, '/api/v1/jobs', { token: LEGACY2.secret })).status).toBe(200);
    const limited = await get(base, '/api/v1/jobs', { token: 'bct_still-guessing', from: attacker });
    expect(limited.status).toBe(429);
    expect(JSON.parse(limited.body)).toMatchObject({ error: 'auth_rate_limited' });

    // Audit: every refused mutation is accounted for, yet the rows stay few: the failures allowed per address are
    // recorded one by one, those refused past the limit as summary rows carrying how many requests each stands for.
    await daemon!.stop('SIGTERM');
    daemon = undefined;
    for (const { attacker: from, result } of rounds) {
      const posts = (result.byStatus['POST 401'] ?? 0) + (result.byStatus['POST 429'] ?? 0);
      const [audit] = await db.ds.query(
        `SELECT count(*)::int AS rows, coalesce(sum(occurrences), 0)::int AS requests FROM audit_log WHERE remote_address = $1`,
        [from],
      );
      expect(audit.requests).toBe(posts);
      expect(posts).toBeGreaterThan(300);
      // 30 failure points a minute per address (the default) one by one, then a summary row per 5 s and error code.
      expect(audit.rows).toBeLessThanOrEqual(30 + 2 * (Math.ceil(result.seconds / 5) + 1));
    }
  }, 300_000);
});

describe('tokens with a public id', () => {
  const scrypted = createToken();
  const plain = createToken();
  let runner: TestRunner;
  beforeAll(async () => {
    runner = await startTestRunner({
      ...defaultConfig(),
      limits: { ...defaultConfig().limits, failedAuthPerMinutePerAddress: 3 },
      auth: {
        tokens: [
          { name: 'person', role: 'viewer', id: scrypted.id, hash: hashToken(scrypted.token, 'scrypt') },
          { name: 'robot', role: 'operator', id: plain.id, hash: hashToken(plain.token) },
        ],
      },
    });
  });
  afterAll(async () => {
    await runner?.close();
  });

  it('finds the entry by the id, refuses other secrets and unknown ids, and limits failures per address with 429', async () => {
    expect((await call(runner.baseUrl, 'GET', '/api/v1/jobs', { token: scrypted.token })).status).toBe(200);
    expect((await call(runner.baseUrl, 'GET', '/api/v1/jobs', { token: plain.token })).status).toBe(200);
    const wrongSecret = `bct_${scrypted.id}_${createToken().token.slice(17)}`;
    const unknownId = createToken().token;
    expect((await call(runner.baseUrl, 'GET', '/api/v1/jobs', { token: wrongSecret })).status).toBe(401);
    expect((await call(runner.baseUrl, 'POST', '/api/v1/jobs/x/cancel', { token: unknownId, body: '{}' })).status).toBe(401);
    expect((await call(runner.baseUrl, 'GET', '/api/v1/jobs', { token: 'bct_guess' })).status).toBe(401);
    const over = await call(runner.baseUrl, 'POST', '/api/v1/jobs/x/cancel', { token: 'bct_guess-2', body: '{}' });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(over.body).toMatchObject({ error: 'auth_rate_limited', message: expect.stringContaining('more than 3 a minute') });
    // Requests without a token, or with a malformed header, count as failures too (each would be an audit row).
    expect((await call(runner.baseUrl, 'POST', '/api/v1/jobs/x/cancel', { body: '{}' })).body).toMatchObject({
      error: 'auth_rate_limited',
    });
    expect((await call(runner.baseUrl, 'GET', '/api/v1/jobs', { headers: { authorization: 'Basic eDp5' } })).status).toBe(429);
    // Known tokens are found without hashing, so an address over its failure limit can still use them.
    expect((await call(runner.baseUrl, 'GET', '/api/v1/jobs', { token: plain.token })).status).toBe(200);
    expect((await call(runner.baseUrl, 'GET', '/api/v1/jobs', { token: scrypted.token })).status).toBe(200);
    await flushAudit(runner.app);
    const rows = await runner.ds.query(`SELECT status, error, occurrences FROM audit_log WHERE path = '/api/v1/jobs/x/cancel' ORDER BY id`);
    expect(rows).toEqual([
      { status: 401, error: 'invalid_token', occurrences: 1 },
      { status: 429, error: 'auth_rate_limited', occurrences: 2 },
    ]);
  });
});

describe('per-token request limit across daemons', () => {
  let db: TestDatabase;
  const apps: INestApplication[] = [];
  const urls: string[] = [];
  beforeAll(async () => {
    db = await migratedDatabase('ratelimit');
    const config = securedConfig({ limits: { requestsPerMinutePerToken: 6 } });
    for (let i = 0; i < 2; i++) {
      const app = await createRunnerApp({ dataSource: db.ds, config, logger: false });
      await app.listen(0, '127.0.0.1');
      apps.push(app);
      urls.push(`http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`);
    }
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await db?.close();
  });

  it("counts a token's requests once for all daemons on one database (429 with Retry-After past the rate)", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await call(urls[i % 2]!, 'GET', '/api/v1/jobs', { token: TOKENS.viewer.secret })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
    const refused = await call(urls[0]!, 'GET', '/api/v1/jobs', { token: TOKENS.viewer.secret });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.body).toMatchObject({ error: 'rate_limited' });
    // Another token has its own count.
    expect((await call(urls[1]!, 'GET', '/api/v1/jobs', { token: TOKENS.operator.secret })).status).toBe(200);
    // The counts are rows of rate_limits; a daemon that saw a token over its rate stops asking for the rest of the window.
    const rows = await db.ds.query(`SELECT key, points FROM rate_limits ORDER BY key`);
    expect(rows).toEqual([
      { key: `token:${TOKENS.operator.name}`, points: 1 },
      { key: `token:${TOKENS.viewer.name}`, points: expect.any(Number) },
    ]);
    expect(rows[1].points).toBeGreaterThanOrEqual(7);
  });
});
