import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './cli.js';
import { runProcess, type ProcessResult } from './process.js';

/**
 * A real Prometheus for tests: finds `prometheus` and `promtool` (PATH, then /usr/bin and /usr/local/bin; Debian's
 * `apt-get install prometheus` puts both in /usr/bin), starts a server on a free loopback port with a throwaway config
 * and storage directory, and queries it through the HTTP API.
 */

/** Paths of the two binaries. */
export interface PrometheusBinaries {
  prometheus: string;
  promtool: string;
}

function findExecutable(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Both binaries, or null when either is missing. */
export function findPrometheus(): PrometheusBinaries | null {
  const prometheus = findExecutable('prometheus');
  const promtool = findExecutable('promtool');
  return prometheus && promtool ? { prometheus, promtool } : null;
}

/** Result of a finished child process. */
export type RunResult = ProcessResult;

/** Runs `promtool ARGS…` to completion, with `stdin` piped in. */
export function runPromtool(bins: PrometheusBinaries, args: string[], stdin = ''): Promise<RunResult> {
  return runProcess(bins.promtool, args, { input: stdin });
}

/** One sample stream of a query answer (`value` for instant vectors, `values` for matrices). */
export interface PromSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

/** `data` of a successful query: a vector or matrix (scalars come back as one series without labels). */
export interface PromQueryData {
  resultType: 'vector' | 'matrix' | 'scalar' | 'string';
  result: PromSeries[];
}

/** A scrape target as `/api/v1/targets` reports it. */
export interface PromTarget {
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
}

/** A rule as `/api/v1/rules` reports it. */
export interface PromRule {
  name: string;
  query: string;
  type: 'alerting' | 'recording';
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  state?: 'inactive' | 'pending' | 'firing';
  alerts?: { labels: Record<string, string>; state: string; value: string }[];
}

/** One exemplar set of `/api/v1/query_exemplars`. */
export interface PromExemplars {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
}

/** Options of {@link startPrometheus}. */
export interface PrometheusOptions {
  bins: PrometheusBinaries;
  /** Scrape jobs: name → `host:port` targets (path /metrics). */
  jobs: Record<string, string[]>;
  /** Rule files loaded by the server (absolute paths). */
  ruleFiles?: string[];
  /** Scrape and rule evaluation interval in seconds (default 1). */
  intervalSeconds?: number;
  /** How long to wait for the server to become ready (default 20 s). */
  readyTimeoutMs?: number;
}

/** A running Prometheus. */
export interface RunningPrometheus {
  url: string;
  /** Epoch seconds at which the server became ready. */
  startedAt: number;
  /** Server log so far (stderr), for failure messages. */
  log(): string;
  /** Instant query at `time` (epoch seconds; default now). Throws with Prometheus' error on a bad expression. */
  query(expr: string, time?: number): Promise<PromQueryData>;
  /** Range query. Throws with Prometheus' error on a bad expression. */
  queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<PromQueryData>;
  /** Values of a label, optionally over series matching `match`. */
  labelValues(label: string, match?: string): Promise<string[]>;
  exemplars(expr: string, start: number, end: number): Promise<PromExemplars[]>;
  targets(): Promise<PromTarget[]>;
  rules(): Promise<PromRule[]>;
  /** Resolves once every target of `job` reported `up` (polls the targets API; rejects at the deadline). */
  waitForTargetUp(job: string, timeoutMs?: number): Promise<void>;
  /** Resolves after `count` more scrapes of every target of `job` completed (by their lastScrape times). */
  waitForScrapes(job: string, count: number, timeoutMs?: number): Promise<void>;
  /** Resolves once every loaded rule has been evaluated at least once. */
  waitForRuleEvaluation(timeoutMs?: number): Promise<void>;
  /**
   * The newest scrape of `job` that succeeded (epoch seconds), and the scrapes that failed in the last `withinSeconds`.
   * A failed scrape (a timeout on a loaded machine) marks the target's series stale, so an instant query of a gauge at
   * that moment is empty: a check that a gauge has data evaluates at a good scrape.
   */
  lastGoodScrape(job: string, withinSeconds?: number): Promise<{ at: number; failed: number }>;
  /** Waits for a successful scrape of `job` that started after `after` (epoch seconds); resolves with its time. */
  goodScrapeAfter(job: string, after: number, timeoutMs?: number): Promise<{ at: number; failed: number }>;
  /** Stops the server (SIGTERM, SIGKILL after 5 s) and deletes its config and storage. */
  stop(): Promise<void>;
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined; rejects with `describe()` at the deadline. */
export async function pollUntil<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  describe: () => string,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms: ${describe()}${lastError ? ` (last error: ${lastError instanceof Error ? String(lastError) : JSON.stringify(lastError)})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Starts Prometheus on a free loopback port; resolves once `/-/ready` answers 200. */
export async function startPrometheus(opts: PrometheusOptions): Promise<RunningPrometheus> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'beacon-prometheus-'));
  const interval = `${opts.intervalSeconds ?? 1}s`;
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: opts.ruleFiles ?? [],
    scrape_configs: Object.entries(opts.jobs).map(([job, targets]) => ({ job_name: job, static_configs: [{ targets }] })),
  };
  // JSON is YAML, so the config needs no YAML writer.
  await writeFile(path.join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  let proc: ChildProcess | null = null;
  let stderr = '';
  let url = '';
  try {
    // A port picked free can be taken before Prometheus binds it: try a few.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      stderr = '';
      const child = spawn(
        opts.bins.prometheus,
        [
          `--config.file=${path.join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${path.join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--enable-feature=exemplar-storage',
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      proc = child;
      child.stderr?.on('data', (d) => {
        stderr += d;
      });
      const state = await pollUntil(
        async () => {
          if (child.exitCode !== null || child.signalCode !== null) return 'exited' as const;
          const res = await fetch(`${url}/-/ready`).catch(() => null);
          return res?.status === 200 ? ('ready' as const) : undefined;
        },
        opts.readyTimeoutMs ?? 20_000,
        () => `prometheus at ${url} not ready; log:\n${stderr}`,
      );
      if (state === 'ready') break;
      if (attempt >= 3 || !/address already in use/.test(stderr)) throw new Error(`prometheus did not start:\n${stderr}`);
    }
  } catch (err) {
    proc?.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const server: ChildProcess | null = proc;
  if (!server) throw new Error('prometheus was not started');
  const startedAt = Date.now() / 1000;

  const api = async <T>(pathAndQuery: string): Promise<T> => {
    const res = await fetch(`${url}${pathAndQuery}`);
    const body = (await res.json()) as { status: string; data: T; error?: string; errorType?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${pathAndQuery.split('?')[0]}: ${body.errorType}: ${body.error}`);
    return body.data;
  };
  const qs = (params: Record<string, string | number>) =>
    new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
  const targetsOf = async (job: string) =>
    (await api<{ activeTargets: PromTarget[] }>('/api/v1/targets?state=active')).activeTargets.filter((t) => t.labels.job === job);

  const running: RunningPrometheus = {
    url,
    startedAt,
    log: () => stderr,
    query: (expr, time = Date.now() / 1000) => api<PromQueryData>(`/api/v1/query?${qs({ query: expr, time })}`),
    queryRange: (expr, start, end, step) => api<PromQueryData>(`/api/v1/query_range?${qs({ query: expr, start, end, step })}`),
    labelValues: (label, match) =>
      api<string[]>(`/api/v1/label/${encodeURIComponent(label)}/values${match ? `?${qs({ 'match[]': match })}` : ''}`),
    exemplars: (expr, start, end) => api<PromExemplars[]>(`/api/v1/query_exemplars?${qs({ query: expr, start, end })}`),
    targets: async () => (await api<{ activeTargets: PromTarget[] }>('/api/v1/targets?state=active')).activeTargets,
    rules: async () => (await api<{ groups: { rules: PromRule[] }[] }>('/api/v1/rules')).groups.flatMap((g) => g.rules),
    async waitForTargetUp(job, timeoutMs = 20_000) {
      let last: PromTarget[] = [];
      await pollUntil(
        async () => {
          last = await targetsOf(job);
          return last.length > 0 && last.every((t) => t.health === 'up') ? true : undefined;
        },
        timeoutMs,
        () =>
          `targets of job ${job} not up: ${JSON.stringify(last.map((t) => ({ url: t.scrapeUrl, health: t.health, lastError: t.lastError })))}`,
      );
    },
    async waitForScrapes(job, count, timeoutMs = 20_000) {
      const seen = new Map<string, Set<string>>();
      const since = Date.now();
      await pollUntil(
        async () => {
          const targets = await targetsOf(job);
          for (const t of targets) {
            if (Date.parse(t.lastScrape) <= since) continue;
            const set = seen.get(t.scrapeUrl) ?? new Set<string>();
            set.add(t.lastScrape);
            seen.set(t.scrapeUrl, set);
          }
          return targets.length > 0 && targets.every((t) => (seen.get(t.scrapeUrl)?.size ?? 0) >= count) ? true : undefined;
        },
        timeoutMs,
        () => `fewer than ${count} scrapes of job ${job}: ${JSON.stringify([...seen].map(([u, s]) => [u, s.size]))}`,
        50,
      );
    },
    async waitForRuleEvaluation(timeoutMs = 20_000) {
      let pending: string[] = [];
      await pollUntil(
        async () => {
          pending = (await running.rules()).filter((r) => r.health === 'unknown').map((r) => r.name);
          return pending.length === 0 ? true : undefined;
        },
        timeoutMs,
        () => `rules never evaluated: ${pending.join(', ')}`,
      );
    },
    async lastGoodScrape(job, withinSeconds = 300) {
      const data = await api<PromQueryData>(`/api/v1/query?${qs({ query: `up{job="${job}"}[${withinSeconds}s]` })}`);
      const samples = data.result.flatMap((s) => s.values ?? []);
      const good = samples.filter(([, v]) => v === '1').map(([t]) => Number(t));
      if (good.length === 0) throw new Error(`no successful scrape of job ${job} in the last ${withinSeconds} s`);
      return { at: Math.max(...good), failed: samples.length - good.length };
    },
    async goodScrapeAfter(job, after, timeoutMs = 20_000) {
      let last: { at: number; failed: number } | undefined;
      return pollUntil(
        async () => {
          last = await running.lastGoodScrape(job);
          return last.at > after ? last : undefined;
        },
        timeoutMs,
        () => `no successful scrape of job ${job} after ${after}: ${JSON.stringify(last)}`,
        100,
      );
    },
    async stop() {
      if (server.exitCode === null && server.signalCode === null) {
        const gone = new Promise<void>((resolve) => server.once('exit', () => resolve()));
        server.kill('SIGTERM');
        const timer = setTimeout(() => server.kill('SIGKILL'), 5_000);
        await gone;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  return running;
}
