import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { acquireDatabase, createDataSource } from '@beacon/db';
import pg from 'pg';
import { startSimulator, type RunningSimulator } from '@beacon/simulator';
import type { DataSource } from 'typeorm';
import { stringify } from 'yaml';
import { isProcessAlive } from '../../libs/db/src/embedded/process-info.util.js';
import { readPostmasterPid } from '../../libs/db/src/embedded/server-state.util.js';
import { serverUrl } from '../../libs/db/src/embedded/postgres-server.util.js';
import { cliEnv, requireBuild, startDaemon, type Daemon } from '../utils/cli.js';
import { destroyBaseDir, freshBaseDir, postmastersFor, startHolder, waitFor } from '../utils/embedded-fixtures.js';
import { debug, invariants, jobSpec, simCalls } from '../utils/fleet.js';

/**
 * A daemon on the embedded PostgreSQL brings its database back by itself: a `kill -9` of the postmaster is noticed
 * and healed within seconds with no other command, requests meanwhile get 503 with Retry-After (never 500), and a
 * frozen cluster never freezes the readiness probe.
 */

const MODELS = ['llama3.2-1b'];
const REGIONS = ['us-east', 'eu-west'];

interface Setup {
  dir: string;
  dataDir: string;
  sim: RunningSimulator;
  daemon: Daemon;
}

/** Undone after each test (connections, frozen processes). */
const cleanups: (() => Promise<unknown>)[] = [];
/** Undone after the file (the daemon, its cluster, the simulator). */
const teardown: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanups.splice(0).reverse()) await step().catch(() => undefined);
});
afterAll(async () => {
  for (const step of [...cleanups.splice(0), ...teardown.splice(0)].reverse()) await step().catch(() => undefined);
});

let shared: Promise<Setup> | null = null;
/** One daemon on one embedded cluster for the whole file (initdb and start-up are the slow part). */
function daemonOnEmbeddedDatabase(): Promise<Setup> {
  return (shared ??= setup({ min: 150, max: 400 }));
}

/** A simulator, a config pointing at it, and `beacon serve` on a fresh embedded cluster. */
async function setup(latencyMs: { min: number; max: number }): Promise<Setup> {
  requireBuild();
  const sim = await startSimulator({ port: 0, seed: 11, faults: { latencyMs } });
  teardown.push(() => sim.close());
  const dir = await freshBaseDir(true);
  teardown.push(() => destroyBaseDir(dir));
  const configPath = path.join(dir, 'beacon.config.yaml');
  writeFileSync(
    configPath,
    stringify({
      regions: Object.fromEntries(
        REGIONS.map((id) => [id, { displayName: `region ${id}`, baseUrl: sim.baseUrlFor(id), concurrency: 4, timeoutMs: 10_000 }]),
      ),
      models: Object.fromEntries(MODELS.map((m) => [m, {}])),
    }),
  );
  const daemon = await startDaemon({
    env: cliEnv({ BEACON_DATA_DIR: dir, BEACON_CONFIG: configPath, BEACON_POLL_MS: '100', BEACON_LEASE_MS: '3000' }),
    timeoutMs: 90_000,
  });
  teardown.push(() => daemon.stop('SIGKILL'));
  const dataDir = JSON.parse(readFileSync(path.join(dir, 'server.json'), 'utf8')).dataDir as string;
  return { dir, dataDir, sim, daemon };
}

/** A DataSource on the embedded cluster as it runs now (credentials from server.json, port from postmaster.pid). */
async function observer(s: Setup): Promise<DataSource> {
  const state = JSON.parse(readFileSync(path.join(s.dir, 'server.json'), 'utf8')) as { user: string; password: string };
  const info = await readPostmasterPid(s.dataDir);
  const ds = createDataSource(serverUrl(state, info!.port, 'beacon'), { applicationName: 'beacon-test', poolSize: 2 });
  await ds.initialize();
  cleanups.push(() => ds.destroy());
  return ds;
}

async function submit(url: string, spec: unknown): Promise<{ status: number; body: any; retryAfter: string | null }> {
  const res = await fetch(`${url}/api/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  return { status: res.status, body: await res.json().catch(() => null), retryAfter: res.headers.get('retry-after') };
}

async function get(
  url: string,
  route: string,
  timeoutMs = 10_000,
): Promise<{ status: number; body: any; retryAfter: string | null; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${url}${route}`, { signal: AbortSignal.timeout(timeoutMs) });
  const body = await res.json().catch(() => null);
  return { status: res.status, body, retryAfter: res.headers.get('retry-after'), ms: performance.now() - started };
}

async function cellStates(ds: DataSource, jobId: string): Promise<Record<string, number>> {
  const rows: { state: string; n: number }[] = await ds.query(
    'SELECT state, count(*)::int AS n FROM executions WHERE job_id = $1 GROUP BY 1',
    [jobId],
  );
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

/** The postmaster and its children (backends, checkpointer, …). */
function clusterProcesses(postmaster: number): number[] {
  const children = readdirSync('/proc')
    .map(Number)
    .filter((pid) => {
      if (!Number.isInteger(pid) || pid <= 0) return false;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
      } catch {
        return false;
      }
    });
  return [postmaster, ...children];
}

function expectExactlyOnce(inv: Awaited<ReturnType<typeof invariants>>, cells: number): void {
  expect(inv).toMatchObject({
    cells,
    terminal: cells,
    succeeded: cells,
    running: 0,
    pending: 0,
    openAttempts: 0,
    cellsWithMoreThanOneSucceededAttempt: 0,
    cellsWithResultButNotSucceeded: 0,
    succeededWithoutMatchingAttempt: 0,
    resultNotFromItsAttempt: 0,
    cellsFailuresOverMax: 0,
  });
  expect(inv.attemptsByOutcome.succeeded).toBe(cells);
}

describe('embedded PostgreSQL faults under a running daemon', () => {
  it('defect 13.7: after kill -9 of the postmaster the daemon answers 503 with Retry-After, restarts it within seconds by itself, and the job completes exactly once', async () => {
    const s = await daemonOnEmbeddedDatabase();
    const ds = await observer(s);
    const job = await submit(s.daemon.url, jobSpec('pg-kill', 40, MODELS, REGIONS));
    expect(job.status).toBe(201);
    await waitFor(async () => ((await cellStates(ds, 'pg-kill')).succeeded ?? 0) >= 10, '10 cells done', 30_000);
    await ds.destroy();

    const [killed] = postmastersFor(s.dataDir);
    expect(killed).toBeDefined();
    process.kill(killed!, 'SIGKILL');
    const killedAt = Date.now();
    await waitFor(() => !isProcessAlive(killed!), 'the postmaster to die', 5_000);

    // Until the database is back: every read and submission is 503 database_unavailable with Retry-After, never
    // 500; the process itself stays live.
    const outage: { route: string; status: number; error?: string; retryAfter: string | null }[] = [];
    let backAfterMs = -1;
    for (let i = 0; Date.now() - killedAt < 30_000; i++) {
      const read = await get(s.daemon.url, '/api/v1/jobs/pg-kill');
      // A backend of the dead postmaster may still answer a pooled connection for a moment: back means restarted.
      if (read.status === 200 && /embedded PostgreSQL restarted/.test(s.daemon.output())) {
        backAfterMs = Date.now() - killedAt;
        break;
      }
      if (read.status !== 200)
        outage.push({ route: 'GET /api/v1/jobs/:id', status: read.status, error: read.body?.error, retryAfter: read.retryAfter });
      const posted = await submit(s.daemon.url, jobSpec(`pg-kill-during-${i}`, 1, MODELS, REGIONS));
      if (posted.status !== 201)
        outage.push({ route: 'POST /api/v1/jobs', status: posted.status, error: posted.body?.error, retryAfter: posted.retryAfter });
      const ready = await get(s.daemon.url, '/health/ready');
      if (ready.status !== 200)
        outage.push({ route: 'GET /health/ready', status: ready.status, error: ready.body?.status, retryAfter: ready.retryAfter });
      expect((await get(s.daemon.url, '/health/live')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(outage.length).toBeGreaterThan(0);
    for (const o of outage.filter((x) => x.route !== 'GET /health/ready')) {
      expect(o).toMatchObject({ status: 503, error: 'database_unavailable' });
      expect(Number(o.retryAfter)).toBeGreaterThan(0);
    }
    for (const o of outage.filter((x) => x.route === 'GET /health/ready')) expect(o.status).toBe(503);
    // Back within seconds, by the daemon alone: a new postmaster runs on the same cluster.
    expect(backAfterMs).toBeGreaterThan(0);
    expect(backAfterMs).toBeLessThan(15_000);
    debug(
      'recovery',
      `back after ${backAfterMs} ms, ${outage.length} refusals\n${s.daemon
        .output()
        .split('\n')
        .filter((l) => /PostgreSQL/.test(l))
        .join('\n')}`,
    );
    // One server runs the cluster again (attempts that lost a race with the dead server's last backends are gone).
    await waitFor(() => postmastersFor(s.dataDir).length === 1, 'a single postmaster', 10_000);
    expect(postmastersFor(s.dataDir)[0]).not.toBe(killed);

    // The engine claims again: the job finishes with exactly one result per cell.
    const after = await observer(s);
    await waitFor(
      async () => {
        const [row]: { status: string }[] = await after.query('SELECT status FROM jobs WHERE id = $1', ['pg-kill']);
        return row?.status === 'completed';
      },
      'the job to complete after the restart',
      60_000,
    );
    const inv = await invariants(after, 'pg-kill');
    expectExactlyOnce(inv, 80);
    // Every upstream call is an attempt row, and a cell was called again only for an attempt the fault cut short.
    const calls = await simCalls(after, s.sim, 'pg-kill');
    debug('kill calls', { inv, calls: { ...calls, repeatedCellIds: calls.repeatedCellIds.length } });
    expect(calls.callsWithoutAttempt).toBe(0);
    expect(calls.extraCalls).toBeLessThanOrEqual((inv.attemptsByOutcome.lease_expired ?? 0) + (inv.attemptsByOutcome.fenced ?? 0));
  });

  it('defect 13.7: while the whole cluster is frozen (SIGSTOP) /health/ready answers 503 within 2 s, /health/live stays up, and after SIGCONT the daemon heals', async () => {
    const s = await daemonOnEmbeddedDatabase();
    await waitFor(async () => (await get(s.daemon.url, '/health/ready')).status === 200, 'the daemon to be ready', 30_000);
    const ds = await observer(s);
    const job = await submit(s.daemon.url, jobSpec('pg-stop', 30, MODELS, REGIONS));
    expect(job.status).toBe(201);
    await waitFor(async () => ((await cellStates(ds, 'pg-stop')).succeeded ?? 0) >= 5, '5 cells done', 30_000);

    const [postmaster] = postmastersFor(s.dataDir);
    const frozen = clusterProcesses(postmaster!);
    for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    cleanups.push(() => {
      for (const pid of frozen)
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          /* gone */
        }
      return Promise.resolve();
    });
    try {
      // A check up to 0.5 s old answers the next probe: let the one from before the freeze age out.
      await new Promise((r) => setTimeout(r, 1_000));
      // Several probes in a row, each bounded: a hung check never holds the next one.
      for (let i = 0; i < 3; i++) {
        const ready = await get(s.daemon.url, '/health/ready', 10_000);
        expect(ready.status).toBe(503);
        expect(ready.ms).toBeLessThan(5_000); // the check's own bound plus a loaded machine's slack; unbounded would hit the 10 s client timeout
        const live = await get(s.daemon.url, '/health/live', 10_000);
        expect(live.status).toBe(200);
      }
    } finally {
      for (const pid of frozen)
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          /* gone */
        }
    }
    // Continued: ready again, and the job completes exactly once, with no command run.
    await waitFor(async () => (await get(s.daemon.url, '/health/ready')).status === 200, 'ready after SIGCONT', 20_000);
    await waitFor(
      async () => {
        const [row]: { status: string }[] = await ds.query('SELECT status FROM jobs WHERE id = $1', ['pg-stop']);
        return row?.status === 'completed';
      },
      'the job to complete after SIGCONT',
      60_000,
    );
    const inv = await invariants(ds, 'pg-stop');
    expectExactlyOnce(inv, 60);
    const calls = await simCalls(ds, s.sim, 'pg-stop');
    expect(calls.callsWithoutAttempt).toBe(0);
    expect(calls.extraCalls).toBeLessThanOrEqual((inv.attemptsByOutcome.lease_expired ?? 0) + (inv.attemptsByOutcome.fenced ?? 0));
    expect(await s.daemon.stop('SIGTERM')).toBe(0);
  });

  it('dependency faults heal: a postmaster killed and restarted by another process is adopted by the watching process, one server for the cluster', async () => {
    const dir = await freshBaseDir(true);
    teardown.push(() => destroyBaseDir(dir));
    const handle = await acquireDatabase({ baseDir: dir, env: {} });
    cleanups.push(() => handle.release());
    const lines: string[] = [];
    // A slow watch, so that the other process gets to restart the server first.
    const watch = handle.watch({ intervalMs: 3_000, log: (line) => lines.push(line) });
    cleanups.push(() => watch.stop());
    // review: watch() is idempotent: a second call is the same watch, not a second loop racing to restart the server.
    expect(handle.watch()).toBe(watch);
    await new Promise((r) => setTimeout(r, 200));
    const [killed] = postmastersFor(handle.dataDir!);
    process.kill(killed!, 'SIGKILL');
    await waitFor(() => !isProcessAlive(killed!), 'the postmaster to die', 5_000);

    const other = startHolder(dir);
    cleanups.push(async () => {
      other.child.kill('SIGTERM');
      await other.exited;
    });
    const info = await other.ready;
    // Restarted on the same port: the URL the watching process holds works again, with no restart of its own.
    expect(info.url).toBe(handle.url);
    await waitFor(
      () => lines.some((l) => /restarted by another process|adopted after a restart/.test(l)),
      'the watch to adopt the server',
      15_000,
    );
    expect(watch.state).toBe('watching');
    await waitFor(() => postmastersFor(handle.dataDir!).length === 1, 'a single postmaster', 10_000);
    const client = new pg.Client(handle.url);
    await client.connect();
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await client.end();
    debug('adoption', lines);
  });
});
