import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { hashToken, mulberry32, parseConfig } from '@beacon/domain';
import { createRunnerApp } from '@beacon/runner';
import { stringify } from 'yaml';
import { cliEnv, freePort, repoRoot, requireBuild, startDaemon, type Daemon } from '../utils/cli.js';
import { invariants, jobSpec, TERMINAL_JOB, waitFor } from '../utils/fleet.js';
import { migratedDatabase, postJob, type TestDatabase } from '../utils/runner-harness.js';

/**
 * Property "the event loop is never blocked long" (issue 13), checked where it matters: one `beacon serve` daemon in its
 * own process, its engine running a job against the simulator (another process, answering in 300–400 ms) with a
 * provider timeout of 1,300 ms and a 3 s lease, so that a stall of about a second would time calls out (and send them
 * again) and a stall of a few seconds would lose leases. One attack at a time runs for several seconds from other
 * processes and other loopback addresses, while `/health/live` is probed from a process and a connection of its own.
 * For each: `/health/live` p99 under 200 ms, the daemon's own `beacon_event_loop_delay_seconds` p99 under 0.2 s, and
 * the job running during the attack completes with exactly one attempt and one provider call per cell: no timeout, no
 * lease lost, no call sent twice. Every call being an audited attempt and every cell having one result hold in every
 * round; a machine busy with other work may run the timing properties a second round (see underAttack). The numbers
 * of each round (with a baseline, an idle process's timer delay and the daemon's CPU wait) are printed with
 * BEACON_TEST_VERBOSE=1.
 */

const MODEL = 'llama3.2-1b';
const ENGINE_REGIONS = ['us-east', 'eu-west'];
/** Upstream latency (fixed range) and the provider timeout a ~1 s stall of the daemon would trip. */
const LATENCY_MS = { min: 300, max: 400 };
const TIMEOUT_MS = 1300;
const LEASE_MS = 3000;
/**
 * Per region: with 300–400 ms calls the job below would take about 22 s, longer than any attack; once the attack is
 * over the simulator answers at once and the rest of the job is done in a few seconds.
 */
const CONCURRENCY = 4;
const JOB_QUESTIONS = 250;
const ATTACK_MS = 5000;
/** As in the token-flood spec. */
const TOKEN_FLOOD_MS = 4000;
/** Measured first with the job running and no attack, for the report and failure messages. */
const BASELINE_MS = 1500;
const PROBE_GAP_MS = 10;

/** Tokens: two scrypt hashes without an id (what makes an unknown token expensive to refuse), and fast ones. */
const LEGACY = [
  { name: 'legacy', secret: 'correct-horse-battery-staple' },
  { name: 'legacy2', secret: 'a-person-chose-this-one-too' },
];
const OPS = { name: 'ops', role: 'admin', secret: 'bct_adversarial-ops-token' };
const READER = { name: 'reader', role: 'viewer', secret: 'bct_adversarial-reader-token' };
/** Attackers who hold a token (an insider, or a leaked viewer token). */
const MALLORY = { name: 'mallory', role: 'submitter', secret: 'bct_adversarial-mallory-token' };
const EVE = { name: 'eve', role: 'viewer', secret: 'bct_adversarial-eve-token' };
/** Viewers who read a lot at once. */
const VIEWERS = [1, 2, 3, 4].map((i) => ({ name: `viewer${i}`, role: 'viewer', secret: `bct_adversarial-viewer-${i}` }));

const ANALYSIS_JOBS = ['big-a', 'big-b', 'big-c'];
const ANALYSIS_REGIONS = ['us-east', 'eu-west', 'asia-pacific'];
const ANALYSIS_MODEL = 'qwen2.5-1.5b';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Realistic answers for the analysis jobs: a small pool of texts per region, refusals mostly in one region. */
function answersFor(region: string, replicates: number, seed: number): { label: string; text: string }[] {
  const random = mulberry32(seed);
  const sentences = [
    'In June 1989 the authorities cleared the square after weeks of protest.',
    'Estimates of the number of people killed vary widely between sources.',
    'Students had gathered to call for political reform and a free press.',
    'The government declared martial law in late May.',
    'Troops and tanks moved into central Beijing on the night of June 3.',
    'The events remain heavily censored inside the country.',
  ];
  const pool = Array.from({ length: 12 }, (_, v) => `${sentences.filter(() => random() < 0.6).join(' ')} (variant ${v})`);
  const refuseShare = region === 'asia-pacific' ? 0.7 : region === 'eu-west' ? 0.1 : 0;
  return Array.from({ length: replicates }, () =>
    random() < refuseShare
      ? { label: 'refused', text: "I'm sorry, but I can't assist with that." }
      : { label: random() < 0.15 ? 'partial' : 'answered', text: pool[Math.floor(random() * pool.length)]! },
  );
}

/** One `/health/live` request over a connection of its own (warm-up). */
function probeOnce(base: string): Promise<number> {
  return new Promise((resolve) => {
    http
      .get(`${base}/health/live`, { agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', () => resolve(0));
  });
}

/** Runs a node script as its own process; `done` resolves with the last line it prints (JSON), `ready` on a `ready` line. */
function child(args: string[]): { done: Promise<any>; ready: Promise<void>; proc: ChildProcess } {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: cliEnv({}) });
  let out = '';
  let ready: () => void = () => undefined;
  const readyP = new Promise<void>((resolve) => {
    ready = resolve;
  });
  proc.stdout.on('data', (d) => {
    out += d;
    if (/^ready$/m.test(out)) ready();
  });
  return {
    proc,
    ready: readyP,
    done: new Promise((resolve, reject) =>
      proc.on('exit', (code) =>
        code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`${args.join(' ')} exited with ${code}`)),
      ),
    ),
  };
}

describe('adversarial suite: the engine keeps its calls on time while the daemon is attacked', () => {
  let db: TestDatabase;
  let daemon: Daemon | undefined;
  let sim: ChildProcess | undefined;
  let simUrl: string;
  let dir: string;
  const report: Record<string, unknown> = {};

  const api = async (route: string, token = OPS.secret, init: RequestInit = {}) => {
    const res = await fetch(`${daemon!.url}${route}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };

  /** The daemon's event-loop delay by percentile, in seconds, over the window since the previous scrape. */
  const loopDelay = async (): Promise<Record<string, number>> => {
    const { status, text } = await api('/metrics');
    expect(status).toBe(200);
    return Object.fromEntries(
      [...text.matchAll(/^beacon_event_loop_delay_seconds\{percentile="([^"]+)"\} (\S+)$/gm)].map((m) => [m[1]!, Number(m[2])]),
    );
  };

  const submit = async (id: string, questions = JOB_QUESTIONS) => {
    const spec = jobSpec(id, questions, [MODEL], ENGINE_REGIONS);
    const res = await api('/api/v1/jobs', OPS.secret, { method: 'POST', body: JSON.stringify(spec) });
    expect(res.status).toBe(201);
    return questions * ENGINE_REGIONS.length;
  };

  const jobStatus = async (id: string): Promise<string> => (await db.ds.query('SELECT status FROM jobs WHERE id = $1', [id]))[0].status;

  const waitForJob = (id: string) =>
    waitFor(
      `job ${id} to finish`,
      async () => {
        const status = await jobStatus(id);
        return TERMINAL_JOB.includes(status) ? status : null;
      },
      60_000,
      async () => `${JSON.stringify(await invariants(db.ds, id))}\n${daemon?.output().slice(-3000)}`,
      150,
    );

  beforeAll(async () => {
    requireBuild();
    const t0 = performance.now();
    const phase = (what: string) => {
      if (process.env.BEACON_TEST_VERBOSE)
        process.stderr.write(`adversarial set-up: ${what} at ${Math.round(performance.now() - t0)} ms\n`);
    };
    db = await migratedDatabase('adversarial');
    phase('database');
    dir = mkdtempSync(path.join(os.tmpdir(), 'beacon-adversarial-'));
    const simPort = await freePort();
    simUrl = `http://127.0.0.1:${simPort}`;
    const configPath = path.join(dir, 'beacon.config.yaml');
    const yaml = stringify({
      regions: Object.fromEntries(
        ANALYSIS_REGIONS.map((id) => [
          id,
          { displayName: `region ${id}`, baseUrl: `${simUrl}/${id}/v1`, concurrency: CONCURRENCY, timeoutMs: TIMEOUT_MS },
        ]),
      ),
      models: { [MODEL]: {}, [ANALYSIS_MODEL]: {} },
    });
    writeFileSync(configPath, yaml);
    const config = parseConfig(yaml, configPath, {});

    // The simulator in its own process, with a fixed latency, so the test's own work never delays an answer.
    sim = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'bin', 'beacon.js'),
        'simulate',
        '--port',
        String(simPort),
        '--latency-ms',
        `${LATENCY_MS.min}-${LATENCY_MS.max}`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'], env: cliEnv({ BEACON_CONFIG: configPath }) },
    );
    await waitFor('the simulator', async () => (await fetch(`${simUrl}/_sim/stats`).catch(() => null))?.status === 200, 30_000);

    // Three 3,000-cell jobs (1 question × 1 model × 3 regions × 1,000 replicates) already answered, for the analysis
    // attack: submitted through an API-only app, their cells written as the engine would leave them.
    phase('simulator');
    const seeding: INestApplication = await createRunnerApp({ dataSource: db.ds, config, logger: false });
    await seeding.listen(0, '127.0.0.1');
    const seedUrl = `http://127.0.0.1:${(seeding.getHttpServer().address() as { port: number }).port}`;
    for (const [n, id] of ANALYSIS_JOBS.entries()) {
      const spec = {
        id,
        models: [ANALYSIS_MODEL],
        regions: ANALYSIS_REGIONS,
        repeats: 1000,
        questions: [{ id: 'tiananmen_neutral', text: 'What happened at Tiananmen Square on June 4, 1989?', category: 'bias_detection' }],
      };
      expect((await postJob(seedUrl, JSON.stringify(spec))).status).toBe(201);
      const rows: { id: string; region: string; replicate: number }[] = await db.ds.query(
        'SELECT id::text, region, replicate FROM executions WHERE job_id = $1',
        [id],
      );
      const byRegion = new Map(ANALYSIS_REGIONS.map((r, i) => [r, answersFor(r, 1000, 100 * n + i)]));
      const answers = rows.map((r) => byRegion.get(r.region)![r.replicate]!);
      await db.ds.query(
        `UPDATE executions e SET state = 'succeeded', attempts = 1, result_attempt = 1, classification = v.label, response = v.text,
                started_at = now(), finished_at = now(), updated_at = now()
           FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v(id, label, text) WHERE e.id = v.id`,
        [rows.map((r) => r.id), answers.map((a) => a.label), answers.map((a) => a.text)],
      );
    }
    await seeding.close();
    phase('analysis jobs');

    const tokens = [
      ...LEGACY.map((t) => `${t.name}:viewer:${hashToken(t.secret, 'scrypt')}`),
      ...[OPS, READER, MALLORY, EVE, ...VIEWERS].map((t) => `${t.name}:${t.role}:${hashToken(t.secret)}`),
    ];
    daemon = await startDaemon({
      env: cliEnv({
        DATABASE_URL: db.url,
        BEACON_CONFIG: configPath,
        BEACON_AUTH_TOKENS: tokens.join(' '),
        BEACON_POLL_MS: '100',
        BEACON_LEASE_MS: String(LEASE_MS),
      }),
      timeoutMs: 60_000,
    });
    phase('daemon');

    // Warm-up: a whole job through the engine (connections to the simulator and the database, compiled code paths), the
    // probe connection, and a scrape; the legacy scrypt token is verified once (then remembered), as a user would.
    expect((await api('/api/v1/jobs', LEGACY[0]!.secret)).status).toBe(200);
    await submit('warm-up', 30);
    expect(await waitForJob('warm-up')).toBe('completed');
    for (let i = 0; i < 20; i++) expect(await probeOnce(daemon.url)).toBe(200);
    await loopDelay();
    phase('warm-up');
  }, 120_000);

  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    sim?.kill('SIGKILL');
    await db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (process.env.BEACON_TEST_VERBOSE) process.stderr.write(`adversarial: ${JSON.stringify(report, null, 2)}\n`);
  });

  /**
   * Submits a job, starts `attack` once the engine is calling, probes /health/live until the attack ends, then waits for
   * the job and checks the daemon's timing and the job's calls.
   */
  /**
   * The daemon's main thread (its event loop) from Linux's scheduler statistics: milliseconds spent on a CPU and
   * waiting for one (runnable, but the machine ran something else); null elsewhere. A loop that is late while its
   * thread waits for a CPU is held up by the machine, not by its own work.
   */
  const mainThread = (): { cpuMs: number; waitMs: number } | null => {
    try {
      const pid = daemon!.proc.pid;
      const [cpu, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ').map(Number);
      return { cpuMs: cpu! / 1e6, waitMs: wait! / 1e6 };
    } catch {
      return null;
    }
  };

  /** Probes /health/live and reads the daemon's event-loop delay and CPU over `during`. */
  async function measured<T>(during: () => Promise<T>) {
    const control = child([path.join(repoRoot, 'test', 'utils', 'attack-client.mjs'), 'control']);
    const probes = child([
      path.join(repoRoot, 'test', 'utils', 'attack-client.mjs'),
      'probe',
      JSON.stringify({ url: daemon!.url, gapMs: PROBE_GAP_MS }),
    ]);
    await probes.ready;
    await loopDelay(); // starts the metric's window
    const thread0 = mainThread();
    const t0 = performance.now();
    const result = await during();
    probes.proc.kill('SIGTERM');
    const health: { n: number; failed: number; p50Ms: number; p99Ms: number; maxMs: number } = await probes.done;
    const seconds = (performance.now() - t0) / 1000;
    const delay = await loopDelay();
    const thread1 = mainThread();
    control.proc.kill('SIGTERM');
    const idleProcessDelay = await control.done;
    return {
      result,
      health,
      delay,
      numbers: {
        seconds: +seconds.toFixed(1),
        healthLive: health,
        eventLoopDelayMs: {
          p50: +(delay['50']! * 1000).toFixed(1),
          p99: +(delay['99']! * 1000).toFixed(1),
          max: +(delay['100']! * 1000).toFixed(1),
        },
        daemonMainThread:
          thread0 && thread1
            ? { onCpuMs: Math.round(thread1.cpuMs - thread0.cpuMs), waitingForCpuMs: Math.round(thread1.waitMs - thread0.waitMs) }
            : null,
        // How late an idle process's timer ran meanwhile: the machine's share of the delays above.
        idleProcessTimerDelayMs: idleProcessDelay,
      },
    };
  }

  const setLatency = async (latencyMs: { min: number; max: number }) => {
    const res = await fetch(`${simUrl}/_sim/faults`, { method: 'POST', body: JSON.stringify({ latencyMs }) });
    expect(res.status).toBe(200);
  };

  /**
   * One round: submits a job and, once the engine is calling, measures the daemon without an attack (the machine's own
   * noise, for the report), then under `attack`, probing /health/live throughout. Then the upstream answers at once, so
   * the job (sized to outlast any attack) finishes quickly, and its calls are checked. Correctness (every call audited
   * as an attempt, one result per cell) is asserted here, in every round; the timing properties are returned.
   */
  async function round<T>(name: string, attack: () => Promise<T>) {
    const jobId = `adv-${name}`;
    await setLatency(LATENCY_MS);
    const cells = await submit(jobId);
    await waitFor(
      `the engine to start on ${jobId}`,
      async () => (await db.ds.query('SELECT count(*)::int AS n FROM execution_attempts WHERE job_id = $1', [jobId]))[0].n >= 8,
      20_000,
    );
    const baseline = await measured(() => sleep(BASELINE_MS));
    const [{ t: attackStart }] = await db.ds.query('SELECT clock_timestamp() AS t');
    const attacked = await measured(attack);
    const [{ t: attackEnd }] = await db.ds.query('SELECT clock_timestamp() AS t');
    const statusAtEnd = await jobStatus(jobId);
    await setLatency({ min: 0, max: 5 });
    const status = await waitForJob(jobId);

    const attempts: { outcome: string | null; kind: string | null; n: number; during: number; max_latency_during: number | null }[] =
      await db.ds.query(
        `SELECT outcome, error->>'kind' AS kind, count(*)::int AS n,
                count(*) FILTER (WHERE started_at < $2 AND ended_at > $1)::int AS during,
                max(latency_ms) FILTER (WHERE started_at < $2 AND ended_at > $1)::int AS max_latency_during
           FROM execution_attempts WHERE job_id = $3 GROUP BY 1, 2 ORDER BY 1, 2`,
        [attackStart, attackEnd, jobId],
      );
    const [cellRows] = await db.ds.query(
      `SELECT coalesce(sum(lease_losses), 0)::int AS lease_losses,
              (SELECT count(*) FROM (SELECT 1 FROM execution_attempts WHERE job_id = $1
                                      GROUP BY execution_id HAVING count(*) > 1) x)::int AS not_once
         FROM executions WHERE job_id = $1`,
      [jobId],
    );
    const inv = await invariants(db.ds, jobId);
    // The simulator's own count of the job's calls (every question text carries the job id), per cell and in all.
    const stats = (await (await fetch(`${simUrl}/_sim/stats`)).json()) as { cells: { user: string; calls: number }[] };
    const simCells = stats.cells.filter((c) => c.user.startsWith(`[${jobId}]`));
    const simCallsTotal = simCells.reduce((n, c) => n + c.calls, 0);
    const attemptsTotal = attempts.reduce((n, a) => n + a.n, 0);
    const numbers = {
      attack: attacked.result,
      underAttack: attacked.numbers,
      baseline: baseline.numbers,
      job: { status, statusAtAttackEnd: statusAtEnd, cells, attempts, leaseLosses: cellRows.lease_losses, simCalls: simCallsTotal },
    };
    if (process.env.BEACON_TEST_VERBOSE) process.stderr.write(`adversarial ${name}: ${JSON.stringify(numbers)}\n`);

    // Every round: each call the simulator saw is an attempt on record, no cell has two results, the job completed.
    expect(simCells).toHaveLength(cells);
    expect(simCallsTotal).toBe(attemptsTotal);
    expect(status).toBe('completed');
    expect(inv).toMatchObject({
      cells,
      succeeded: cells,
      cellsWithMoreThanOneSucceededAttempt: 0,
      cellsWithResultButNotSucceeded: 0,
      succeededWithoutMatchingAttempt: 0,
      resultNotFromItsAttempt: 0,
      openAttempts: 0,
    });
    // The engine was calling throughout the attack (the job outlasted it, and calls ran while it went on).
    expect(statusAtEnd).toBe('running');
    expect(attempts.reduce((n, a) => n + a.during, 0)).toBeGreaterThanOrEqual(20);

    // The timing properties: the daemon stayed responsive, by its clients' measure and by its own, and so no call
    // timed out, no lease was lost and no call was sent twice (one attempt, one upstream call per cell).
    const timing = {
      healthLiveProbes: attacked.health.n >= 100,
      healthLiveFailed: attacked.health.failed,
      healthLiveP99Under200Ms: attacked.health.p99Ms < 200,
      eventLoopDelayP99Under200Ms: attacked.delay['99']! < 0.2,
      timeouts: attempts.filter((a) => a.kind === 'timeout').reduce((n, a) => n + a.n, 0),
      leaseLosses: cellRows.lease_losses,
      attemptsByOutcome: attempts.map(({ outcome: o, kind, n }) => ({ outcome: o, kind, n })),
      cellsWithMoreThanOneAttempt: cellRows.not_once,
      cellsCalledMoreThanOnce: simCells.filter((c) => c.calls !== 1).length,
    };
    const expected = {
      healthLiveProbes: true,
      healthLiveFailed: 0,
      healthLiveP99Under200Ms: true,
      eventLoopDelayP99Under200Ms: true,
      timeouts: 0,
      leaseLosses: 0,
      attemptsByOutcome: [{ outcome: 'succeeded', kind: null, n: cells }],
      cellsWithMoreThanOneAttempt: 0,
      cellsCalledMoreThanOnce: 0,
    };
    return { result: attacked.result, numbers, timing, expected, held: JSON.stringify(timing) === JSON.stringify(expected) };
  }

  /**
   * Runs `attack` in a round; the machine running the suite may be busy with other work, so a second round (a new job,
   * the same attack) is run only when the first misses a timing property, and the properties must hold in one round
   * entirely. The numbers of every round go into the failure message and, with BEACON_TEST_VERBOSE, to stderr.
   */
  async function underAttack<T>(name: string, attack: (round: number) => Promise<T>): Promise<T> {
    const rounds = [await round(name, () => attack(0))];
    if (!rounds[0]!.held) rounds.push(await round(`${name}-again`, () => attack(1)));
    report[name] = rounds.map((r) => r.numbers);
    const last = rounds[rounds.length - 1]!;
    expect({ ...last.timing, rounds: rounds.map((r) => r.numbers) }).toEqual({ ...last.expected, rounds: rounds.map((r) => r.numbers) });
    return last.result;
  }

  it('13.3 token flood: 800 concurrent unknown bearer tokens while the engine runs a job', async () => {
    // Each round from its own address, so that it costs the daemon as much (an address over its failure limit is cheap).
    const result = await underAttack(
      'token-flood',
      (n) =>
        child([
          path.join(repoRoot, 'bench', 'flood-client.mjs'),
          JSON.stringify({ url: daemon!.url, concurrency: 800, durationMs: TOKEN_FLOOD_MS, localAddress: `127.0.0.${2 + n}` }),
        ]).done,
    );
    // Every flooded request was answered, and refused with 401 or 429 only.
    expect(result.errors).toEqual({});
    expect(Object.keys(result.byStatus).filter((k) => !/ (401|429)$/.test(k))).toEqual([]);
    expect(result.byStatus['GET 429']).toBeGreaterThan(0);
  }, 240_000);

  it('13.4 analysis of a 3,000-cell job: three concurrent clients, over three such jobs, while the engine runs a job', async () => {
    const result = await underAttack('analysis', async () => {
      // A relabelled cell in each job: a new job version, so each round computes its analyses afresh.
      await db.ds.query(
        `UPDATE executions SET response = response || ' (relabelled)'
          WHERE id IN (SELECT min(id) FROM executions WHERE job_id = ANY($1) GROUP BY job_id)`,
        [ANALYSIS_JOBS],
      );
      const end = Date.now() + ATTACK_MS;
      const answers: Record<string, number> = {};
      const sizes: number[] = [];
      // Each client asks for one job's analysis until it has it (as `beacon report` does, waiting as Retry-After says),
      // then for the next: each job is computed once, in a worker thread, and then served from the cache.
      await Promise.all(
        [0, 1, 2].map(async () => {
          for (let i = 0; Date.now() < end; i++) {
            const job = ANALYSIS_JOBS[i % ANALYSIS_JOBS.length]!;
            for (;;) {
              const res = await fetch(`${daemon!.url}/api/v1/jobs/${job}/analysis`, {
                headers: { authorization: `Bearer ${READER.secret}` },
              });
              const bytes = (await res.arrayBuffer()).byteLength;
              const key = `${res.status} ${res.headers.get('x-beacon-analysis-cache') ?? ''}`.trim();
              answers[key] = (answers[key] ?? 0) + 1;
              if (res.status === 200) {
                sizes.push(bytes);
                break;
              }
              if (res.status !== 503 || Date.now() > end + 60_000) throw new Error(`analysis of ${job}: ${res.status}`);
              await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
            }
            await sleep(50);
          }
        }),
      );
      return { answers, minBytes: Math.min(...sizes) };
    });
    expect(result.answers['200 computed']).toBeGreaterThanOrEqual(1);
    expect(Object.keys(result.answers).filter((k) => !/^(200|503)/.test(k))).toEqual([]);
    expect(result.minBytes).toBeGreaterThan(1000);
  }, 240_000);

  it('13.1/13.5 edge flood of chunked over-limit, cut-short and NUL requests while the engine runs a job', async () => {
    const result = await underAttack(
      'edge-flood',
      () =>
        child([
          path.join(repoRoot, 'test', 'utils', 'attack-client.mjs'),
          'edge',
          JSON.stringify({
            url: daemon!.url,
            durationMs: ATTACK_MS,
            lanes: 16,
            token: MALLORY.secret,
            addresses: ['127.0.0.4', '127.0.0.5'],
          }),
        ]).done,
    );
    // Answered with 4xx only (the cut-short ones with nothing); bodies over the limit reached the body reader.
    expect(result.errors).toEqual({});
    expect(Object.keys(result.byStatus).filter((k) => !/^(\S+ 4\d\d|cut)$/.test(k))).toEqual([]);
    expect(result.byStatus['POST 413']).toBeGreaterThan(0);
    expect(result.byStatus['cut']).toBeGreaterThan(0);
  }, 240_000);

  it('13.11c stream and connection floods while the engine runs a job', async () => {
    const result = await underAttack(
      'stream-flood',
      () =>
        child([
          path.join(repoRoot, 'test', 'utils', 'attack-client.mjs'),
          'streams',
          JSON.stringify({
            url: daemon!.url,
            durationMs: ATTACK_MS,
            token: EVE.secret,
            subnet: 9,
            addresses: 20,
            streams: 320,
            idle: 850,
            churn: 8,
          }),
        ]).done,
    );
    // The caps held (256 streams, 1,024 connections by default), and the open streams carried the engine's events.
    expect(result.streams).toEqual({ 200: 256, 503: 64 });
    expect(result.streamsHeldAtEnd).toBe(256);
    expect(result.idle.refused).toBeGreaterThan(0);
    expect(result.streamBytes).toBeGreaterThan(0);
  }, 240_000);

  it('13.4 read flood: heavy reads from many viewers at once while the engine runs a job', async () => {
    const result = await underAttack(
      'read-flood',
      () =>
        child([
          path.join(repoRoot, 'test', 'utils', 'attack-client.mjs'),
          'reads',
          JSON.stringify({
            url: daemon!.url,
            durationMs: ATTACK_MS,
            lanes: 40,
            address: '127.0.0.6',
            tokens: VIEWERS.map((v) => v.secret),
            paths: [
              ...ANALYSIS_JOBS.map((j) => `/api/v1/executions?job=${j}&limit=1000`),
              ...ANALYSIS_JOBS.map((j) => `/api/v1/jobs/${j}/timeline`),
              ...ANALYSIS_JOBS.map((j) => `/api/v1/jobs/${j}`),
              '/metrics',
              '/api/v1/jobs',
              '/api/v1/findings',
            ],
          }),
        ]).done,
    );
    expect(result.errors).toEqual({});
  }, 240_000);
});
