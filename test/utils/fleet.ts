import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { parseConfig, type BeaconConfig } from '@beacon/domain';
import { engineOptions, type EngineEvent, type EngineOptions } from '@beacon/engine';
import { startSimulator, type FaultSettings, type RunningSimulator } from '@beacon/simulator';
import { createRunnerApp } from '@beacon/runner';
import type { DataSource } from 'typeorm';
import { stringify } from 'yaml';
import { cliEnv, requireBuild, startDaemon, type Daemon } from './cli.js';
import { migratedDatabase, type TestDatabase } from './runner-harness.js';

/**
 * Fault-injection fleet: one in-process simulator, one YAML config pointing regions at it, one migrated throwaway
 * database, and any number of `beacon serve` daemons (or in-process runner apps) working on it. Everything it
 * starts is stopped by `close()`, which SIGKILLs daemons still alive.
 */

/** Daemons started by any fleet in this process and not yet reaped: SIGKILLed if the process exits first. */
const liveDaemons = new Set<Daemon>();
process.once('exit', () => {
  for (const d of liveDaemons) {
    try {
      d.proc.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/** Fleets not closed yet, for {@link closeAllFleets}. */
const openFleets = new Set<Fleet>();

/** Closes every fleet still open (an afterAll safety net for tests that time out before their own cleanup). */
export async function closeAllFleets(): Promise<void> {
  await Promise.all([...openFleets].map((f) => f.close()));
}

/** Terminal job statuses (the engine's roll-up). */
export const TERMINAL_JOB = ['completed', 'partially_completed', 'failed', 'cancelled'];

/** Per-region settings written to the config file. */
export interface FleetRegion {
  displayName?: string;
  concurrency?: number;
  timeoutMs?: number;
  /** Another upstream than the simulator (e.g. a misbehaving one); default: the simulator's URL for the region. */
  baseUrl?: string;
  /** `regions.<id>.provider` as written to the config (kind, baseUrl, apiKeyEnv, …); default: none (OpenAI-compatible). */
  provider?: Record<string, unknown>;
  /** `regions.<id>.fallbacks` as written to the config. */
  fallbacks?: Record<string, unknown>[];
  /** `regions.<id>.promptVariants` as written to the config. */
  promptVariants?: Record<string, string>;
}

/** What a fleet is built from. */
export interface FleetOptions {
  /** Region id → settings (ids must be simulator regions: us-east, eu-west, asia-pacific). */
  regions?: Record<string, FleetRegion>;
  /** Configured models (simulator models: llama3.2-1b, qwen2.5-1.5b, mistral-7b). */
  models?: string[];
  faults?: Partial<FaultSettings>;
  seed?: number;
  /** BEACON_* variables for every daemon (each may add its own). */
  env?: Record<string, string>;
  /** Database name prefix. */
  prefix?: string;
}

/** A job spec in Beacon's own form. */
export interface JobSpecInput {
  id: string;
  questions: { id: string; text: string; language?: string; translations?: Record<string, string> }[];
  languages?: string[];
  prompt_variants?: string[];
  models: string[];
  regions: string[];
  repeats?: number;
  max_attempts?: number;
  constraints?: { min_regions?: number; min_success_rate?: number };
}

/**
 * A spec of `questions` inline questions whose texts are unique to the job id, so that the simulator's per-cell
 * counters (keyed by region, model, system prompt and user text) never mix two jobs.
 */
export function jobSpec(
  id: string,
  questions: number,
  models: string[],
  regions: string[],
  extra: Partial<JobSpecInput> = {},
): JobSpecInput {
  return {
    id,
    questions: Array.from({ length: questions }, (_, i) => ({
      id: `q${i + 1}`,
      text: `[${id}] Question ${i + 1}: what is ${i} + ${i + 1}?`,
    })),
    models,
    regions,
    ...extra,
  };
}

/** Counts that express the queue's invariants for one job (reliability research §6.2 / §7.8). */
export interface Invariants {
  cells: number;
  terminal: number;
  running: number;
  pending: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** I2/I3: cells with two attempts whose outcome is `succeeded` (must be 0). */
  cellsWithMoreThanOneSucceededAttempt: number;
  /** I2: cells carrying a result (result_attempt or response) while not succeeded (must be 0). */
  cellsWithResultButNotSucceeded: number;
  /** I2: succeeded cells whose `result_attempt` attempt row is not the (one) `succeeded` attempt (must be 0). */
  succeededWithoutMatchingAttempt: number;
  /** I2: succeeded cells whose stored response differs from the response of their succeeded attempt (must be 0). */
  resultNotFromItsAttempt: number;
  /** Pairs of attempts of one cell whose [started_at, ended_at) intervals overlap (an open attempt runs to now). */
  overlapping: { total: number; involvingLostLease: number; other: number };
  /** Attempts by outcome; `open` is a NULL outcome. */
  attemptsByOutcome: Record<string, number>;
  openAttempts: number;
  maxFailures: number;
  maxAttemptsAllowed: number;
  /** I4: cells whose failures exceed their max_attempts (must be 0). */
  cellsFailuresOverMax: number;
  /**
   * Attempts that count against max_attempts: calls that reached the upstream and failed or succeeded (and open ones);
   * not released / deferred / cancelled claims, nor calls lost with a lease (lease_expired / fenced), which
   * `lease_losses` bounds instead.
   */
  maxCountedAttemptsPerCell: number;
  cellsCountedAttemptsOverMax: number;
  /** Number of attempt rows → number of cells with that many. */
  attemptsPerCell: Record<string, number>;
  /** Attempt rows per runner id. */
  attemptsByRunner: Record<string, number>;
}

type Row = Record<string, any>;

/** The checker queries of one job. */
export async function invariants(ds: DataSource, jobId: string): Promise<Invariants> {
  const [c]: Row[] = await ds.query(
    `SELECT count(*)::int AS cells,
            count(*) FILTER (WHERE state IN ('succeeded','failed','cancelled'))::int AS terminal,
            count(*) FILTER (WHERE state = 'running')::int AS running,
            count(*) FILTER (WHERE state = 'pending')::int AS pending,
            count(*) FILTER (WHERE state = 'succeeded')::int AS succeeded,
            count(*) FILTER (WHERE state = 'failed')::int AS failed,
            count(*) FILTER (WHERE state = 'cancelled')::int AS cancelled,
            count(*) FILTER (WHERE state <> 'succeeded' AND (result_attempt IS NOT NULL OR response IS NOT NULL))::int AS result_not_succeeded,
            coalesce(max(failures), 0)::int AS max_failures,
            coalesce(max(max_attempts), 0)::int AS max_attempts,
            count(*) FILTER (WHERE failures > max_attempts)::int AS failures_over
       FROM executions WHERE job_id = $1`,
    [jobId],
  );
  const [s]: Row[] = await ds.query(
    `SELECT (SELECT count(*)::int FROM (
               SELECT execution_id FROM execution_attempts WHERE job_id = $1 AND outcome = 'succeeded'
                GROUP BY 1 HAVING count(*) > 1) x) AS multi_success,
            (SELECT count(*)::int FROM executions e
              WHERE e.job_id = $1 AND e.state = 'succeeded'
                AND NOT EXISTS (SELECT 1 FROM execution_attempts a
                                 WHERE a.execution_id = e.id AND a.attempt = e.result_attempt AND a.outcome = 'succeeded')) AS unmatched,
            (SELECT count(*)::int FROM executions e JOIN execution_attempts a ON a.execution_id = e.id AND a.attempt = e.result_attempt
              WHERE e.job_id = $1 AND e.state = 'succeeded' AND a.response IS DISTINCT FROM e.response) AS mismatch`,
    [jobId],
  );
  const [o]: Row[] = await ds.query(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE a.outcome IN ('lease_expired','fenced') OR b.outcome IN ('lease_expired','fenced'))::int AS lost
       FROM execution_attempts a
       JOIN execution_attempts b ON b.execution_id = a.execution_id AND a.attempt < b.attempt
      WHERE a.job_id = $1
        AND b.started_at < coalesce(a.ended_at, 'infinity'::timestamptz)
        AND a.started_at < coalesce(b.ended_at, 'infinity'::timestamptz)`,
    [jobId],
  );
  const outcomes: Row[] = await ds.query(
    `SELECT coalesce(outcome, 'open') AS outcome, count(*)::int AS n FROM execution_attempts WHERE job_id = $1 GROUP BY 1`,
    [jobId],
  );
  const perCell: Row[] = await ds.query(
    `SELECT n, count(*)::int AS cells, max(counted)::int AS counted, count(*) FILTER (WHERE counted > max_attempts)::int AS over
       FROM (SELECT e.id, e.max_attempts, count(a.id)::int AS n,
                    count(a.id) FILTER (WHERE a.outcome IS NULL OR a.outcome IN ('succeeded','retryable_error','final_error'))::int AS counted
               FROM executions e LEFT JOIN execution_attempts a ON a.execution_id = e.id
              WHERE e.job_id = $1 GROUP BY e.id, e.max_attempts) x
      GROUP BY n`,
    [jobId],
  );
  const runners: Row[] = await ds.query(`SELECT runner_id, count(*)::int AS n FROM execution_attempts WHERE job_id = $1 GROUP BY 1`, [
    jobId,
  ]);
  const attemptsByOutcome = Object.fromEntries(outcomes.map((r) => [r.outcome, r.n])) as Record<string, number>;
  return {
    cells: c!.cells,
    terminal: c!.terminal,
    running: c!.running,
    pending: c!.pending,
    succeeded: c!.succeeded,
    failed: c!.failed,
    cancelled: c!.cancelled,
    cellsWithMoreThanOneSucceededAttempt: s!.multi_success,
    cellsWithResultButNotSucceeded: c!.result_not_succeeded,
    succeededWithoutMatchingAttempt: s!.unmatched,
    resultNotFromItsAttempt: s!.mismatch,
    overlapping: { total: o!.total, involvingLostLease: o!.lost, other: o!.total - o!.lost },
    attemptsByOutcome,
    openAttempts: attemptsByOutcome.open ?? 0,
    maxFailures: c!.max_failures,
    maxAttemptsAllowed: c!.max_attempts,
    cellsFailuresOverMax: c!.failures_over,
    maxCountedAttemptsPerCell: Math.max(0, ...perCell.map((r) => r.counted)),
    cellsCountedAttemptsOverMax: perCell.reduce((sum, r) => sum + r.over, 0),
    attemptsPerCell: Object.fromEntries(perCell.map((r) => [String(r.n), r.cells])),
    attemptsByRunner: Object.fromEntries(runners.map((r) => [r.runner_id, r.n])),
  };
}

/** The simulator's view of one job: its calls, matched to the job's cells by (region, model, system, user). */
export interface SimCalls {
  /** Simulator calls of the job's cells. */
  calls: number;
  /** Calls answered 200. */
  answered: number;
  /** Σ max(0, calls − cells) over prompt keys: calls beyond one per cell (the simulator's extraCalls, per job). */
  extraCalls: number;
  /** I4: Σ max(0, calls − attempt rows that may call) over prompt keys: calls no audited attempt accounts for. */
  callsWithoutAttempt: number;
  /** Execution ids of cells whose prompt key saw more calls than it has cells. */
  repeatedCellIds: string[];
  /** Prompt keys of the job that the simulator never saw. */
  keysNeverCalled: number;
}

/** Matches the simulator's per-cell counters to the job's cells. */
export async function simCalls(ds: DataSource, sim: RunningSimulator, jobId: string): Promise<SimCalls> {
  const rows: Row[] = await ds.query(
    `SELECT e.region, e.model_id, a.system_prompt, a.user_prompt,
            count(DISTINCT e.id)::int AS cells, array_agg(DISTINCT e.id::text) AS ids,
            count(a.id) FILTER (WHERE a.outcome IS DISTINCT FROM 'deferred')::int AS callable
       FROM executions e JOIN execution_attempts a ON a.execution_id = e.id
      WHERE e.job_id = $1
      GROUP BY 1, 2, 3, 4`,
    [jobId],
  );
  const stats = new Map(sim.stats().cells.map((c) => [`${c.region}\u0000${c.model}\u0000${c.systemHash}\u0000${c.user}`, c]));
  const out: SimCalls = { calls: 0, answered: 0, extraCalls: 0, callsWithoutAttempt: 0, repeatedCellIds: [], keysNeverCalled: 0 };
  for (const r of rows) {
    const systemHash = r.system_prompt === '' ? '' : createHash('sha256').update(r.system_prompt, 'utf8').digest('hex');
    const cell = stats.get(`${r.region}\u0000${r.model_id}\u0000${systemHash}\u0000${r.user_prompt}`);
    if (!cell) {
      out.keysNeverCalled++;
      continue;
    }
    out.calls += cell.calls;
    out.answered += cell.answered;
    out.extraCalls += Math.max(0, cell.calls - r.cells);
    out.callsWithoutAttempt += Math.max(0, cell.calls - r.callable);
    if (cell.calls > r.cells) out.repeatedCellIds.push(...(r.ids as string[]));
  }
  return out;
}

/** Prints a labelled value when FLEET_DEBUG is set (for reading what a fault test actually exercised). */
export function debug(label: string, value: unknown): void {
  if (process.env.FLEET_DEBUG) process.stderr.write(`[fleet] ${label}: ${JSON.stringify(value)}\n`);
}

/** Polls `check` (synchronous or not) until it returns a truthy value or the deadline passes (then throws with `describe()`). */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs: number,
  describe: () => Promise<string> | string = () => '',
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${await describe()}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Engine events an in-process runner keeps (per-call events are left out). */
const KEPT_EVENTS = new Set<string>(['error', 'breaker', 'lease_lost', 'reaped', 'job_status']);

/** An in-process runner (API + engine) on the fleet's database. */
export interface InProcessRunner {
  url: string;
  app: INestApplication;
  options: EngineOptions;
  events: EngineEvent[];
  close(): Promise<void>;
}

/** A simulator, a config file, a migrated database and the runners working on it. */
export class Fleet {
  readonly daemons: Daemon[] = [];
  readonly runners: InProcessRunner[] = [];

  private constructor(
    readonly sim: RunningSimulator,
    readonly db: TestDatabase,
    readonly config: BeaconConfig,
    readonly configPath: string,
    private readonly dir: string,
    private readonly env: Record<string, string>,
  ) {}

  get ds(): DataSource {
    return this.db.ds;
  }

  /** Starts the simulator, writes the config and creates the database; tears down what it made if a step fails. */
  static async create(opts: FleetOptions = {}): Promise<Fleet> {
    const sim = await startSimulator({ port: 0, seed: opts.seed ?? 7, faults: { latencyMs: { min: 2, max: 20 }, ...opts.faults } });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'beacon-fleet-'));
    try {
      const regions = opts.regions ?? { 'us-east': {}, 'eu-west': {} };
      const yaml = stringify({
        regions: Object.fromEntries(
          Object.entries(regions).map(([id, r]) => [
            id,
            {
              displayName: r.displayName ?? `region ${id}`,
              baseUrl: r.baseUrl ?? sim.baseUrlFor(id),
              concurrency: r.concurrency ?? 16,
              timeoutMs: r.timeoutMs ?? 5000,
              ...(r.provider ? { provider: r.provider } : {}),
              ...(r.fallbacks ? { fallbacks: r.fallbacks } : {}),
              ...(r.promptVariants ? { promptVariants: r.promptVariants } : {}),
            },
          ]),
        ),
        models: Object.fromEntries((opts.models ?? ['llama3.2-1b', 'mistral-7b']).map((m) => [m, {}])),
      });
      const configPath = path.join(dir, 'beacon.config.yaml');
      writeFileSync(configPath, yaml);
      const config = parseConfig(yaml, configPath, {});
      const db = await migratedDatabase(opts.prefix ?? 'fleet');
      const fleet = new Fleet(sim, db, config, configPath, dir, opts.env ?? {});
      openFleets.add(fleet);
      return fleet;
    } catch (err) {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Starts `beacon serve` (from dist/) on the fleet's database and config; waits for /health/ready. */
  async startDaemon(env: Record<string, string> = {}, port?: number): Promise<Daemon> {
    requireBuild();
    const daemon = await startDaemon({
      env: cliEnv({ DATABASE_URL: this.db.url, BEACON_CONFIG: this.configPath, BEACON_POLL_MS: '100', ...this.env, ...env }),
      timeoutMs: 60_000,
      port,
    });
    this.daemons.push(daemon);
    liveDaemons.add(daemon);
    daemon.proc.once('exit', () => liveDaemons.delete(daemon));
    return daemon;
  }

  /**
   * Starts the runner app in this process, like `beacon serve` but faster to boot: with the engine on (options
   * from `overrides`), or API only when `engine` is false.
   */
  async startInProcess(overrides: Partial<EngineOptions> = {}, engine = true): Promise<InProcessRunner> {
    const events: EngineEvent[] = [];
    const options = engineOptions({
      runnerId: `inproc:${process.pid}:${randomBytes(3).toString('hex')}`,
      config: this.config,
      leaseMs: 3000,
      pollMs: 100,
      rollupMs: 200,
      ...overrides,
    });
    const app = await createRunnerApp({
      dataSource: this.db.ds,
      config: this.config,
      logger: false,
      engine: engine ? options : null,
      listeners: [
        (e) => {
          if (KEPT_EVENTS.has(e.type)) events.push(e);
        },
      ],
    });
    await app.listen(0, '127.0.0.1');
    let closed: Promise<void> | null = null;
    const runner: InProcessRunner = {
      url: `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`,
      app,
      options,
      events,
      close: () => (closed ??= app.close()),
    };
    this.runners.push(runner);
    return runner;
  }

  /** POSTs a spec to a runner's API; returns the job id. */
  async submit(spec: JobSpecInput, via?: string): Promise<{ id: string; cells: number }> {
    const url = via ?? this.daemons.find((d) => d.proc.exitCode === null && d.proc.signalCode === null)?.url ?? this.runners[0]?.url;
    if (!url) throw new Error('no runner to submit to');
    const res = await fetch(`${url}/api/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(spec),
    });
    const body = (await res.json()) as { id: string; cells: number };
    if (res.status !== 201) throw new Error(`submit answered ${res.status}: ${JSON.stringify(body)}`);
    return body;
  }

  /** Cells of a job by state. */
  async states(jobId: string): Promise<Record<string, number>> {
    const rows: Row[] = await this.ds.query('SELECT state, count(*)::int AS n FROM executions WHERE job_id = $1 GROUP BY 1', [jobId]);
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  /** Waits until the job's status is terminal (rolled up by a runner); returns it. */
  async waitForJob(jobId: string, timeoutMs = 60_000): Promise<string> {
    return waitFor(
      `job ${jobId} to finish`,
      async () => {
        const [row]: Row[] = await this.ds.query('SELECT status FROM jobs WHERE id = $1', [jobId]);
        return row && TERMINAL_JOB.includes(row.status) ? String(row.status) : null;
      },
      timeoutMs,
      () => this.diagnose(jobId),
      150,
    );
  }

  /** Cell states, attempt outcomes and the tail of every daemon's output, for a failure message. */
  async diagnose(jobId: string): Promise<string> {
    const states = await this.states(jobId).catch((e) => String(e));
    const inv = await invariants(this.ds, jobId).catch((e) => String(e));
    const logs = this.daemons.map((d, i) => `--- daemon ${i} (pid ${d.proc.pid}) ---\n${d.output().slice(-3000)}`).join('\n');
    const events = this.runners.map((r, i) => `--- runner ${i} ---\n${JSON.stringify(r.events.slice(-20))}`).join('\n');
    return `states: ${JSON.stringify(states)}\ninvariants: ${JSON.stringify(inv)}\nsimulator: ${JSON.stringify({ ...this.sim.stats(), cells: undefined })}\n${logs}\n${events}`;
  }

  /** The runner id a daemon registered under (from the runners table, by pid). */
  async runnerIdOf(daemon: Daemon): Promise<string> {
    return waitFor(
      `daemon ${daemon.proc.pid} to register`,
      async () => {
        const [row]: Row[] = await this.ds.query('SELECT id FROM runners WHERE pid = $1 ORDER BY started_at DESC LIMIT 1', [
          daemon.proc.pid,
        ]);
        return row ? String(row.id) : null;
      },
      10_000,
    );
  }

  /** The database clock, as timestamptz text with microseconds (every queue timestamp comes from this clock). */
  async dbNow(): Promise<string> {
    const [row]: Row[] = await this.ds.query('SELECT clock_timestamp()::text AS now');
    return String(row!.now);
  }

  invariants(jobId: string): Promise<Invariants> {
    return invariants(this.ds, jobId);
  }

  simCalls(jobId: string): Promise<SimCalls> {
    return simCalls(this.ds, this.sim, jobId);
  }

  /** SIGKILLs every daemon still alive (never waits for a graceful stop). */
  async killDaemons(): Promise<void> {
    await Promise.all(
      this.daemons.map((d) => {
        if (d.proc.exitCode === null && d.proc.signalCode === null) {
          try {
            process.kill(d.proc.pid!, 'SIGCONT');
          } catch {
            /* already gone */
          }
        }
        return d.stop('SIGKILL');
      }),
    );
  }

  /** Stops everything: daemons (SIGKILL), in-process runners, the simulator, the database and the config dir. */
  close(): Promise<void> {
    openFleets.delete(this);
    return (this.closing ??= this.teardown());
  }

  private closing: Promise<void> | null = null;

  private async teardown(): Promise<void> {
    const steps: (() => Promise<unknown>)[] = [
      () => this.killDaemons(),
      () => Promise.all(this.runners.map((r) => r.close())),
      () => this.sim.close(),
      () => this.db.close(),
    ];
    for (const step of steps) await step().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
