import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { defaultConfig } from '@beacon/domain';
import { engineOptions } from '@beacon/engine';
import { PROVIDER_LATENCY_BUCKETS } from '@beacon/observability';
import { startSimulator, type RunningSimulator } from '@beacon/simulator';
import { createRunnerApp } from '@beacon/runner';
import { parse } from 'yaml';
import { buildDashboards } from '../../dashboards/src/build.js';
import { panelQueries } from '../../dashboards/src/inventory.js';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';
import { findPrometheus, pollUntil, startPrometheus, type PromQueryData, type RunningPrometheus } from '../utils/prometheus.js';

/**
 * Issue 15.1: every Bias and Reliability figure a real Prometheus computes after the first job of a fresh daemon equals
 * the same figure computed in SQL from executions and execution_attempts. Series created on first use lose their first
 * increment to increase()/rate(); the daemon creates them at 0 from its configuration at start.
 *
 * Every panel is evaluated at the timestamp of Prometheus' last scrape, over a range reaching back before its first
 * scrape (Grafana's `$__range`, and `$__rate_interval` too, so a rate panel's value times the range is a count). With
 * every series present at 0 from the first scrape, increase() neither extrapolates back (a counter at 0 is not
 * extrapolated below its first sample) nor forward (the evaluation time is the last sample), so counts are exact.
 */

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../..');
const RULES = path.join(root, 'dashboards/alerts/beacon.rules.yml');
const SPEC = readFileSync(path.join(root, 'examples/bias-detection-8x3x3.json'), 'utf8');
const TERMINAL_JOB = ['completed', 'partially_completed', 'failed', 'cancelled'];

const bins = findPrometheus();
const maybe = bins || process.env.CI === 'true' ? it : it.skip;

/** Float rounding only. */
const EPS = 1e-9;

type Figures = Record<string, number>;

/** `region=x,model=y` style key of a series (labels in the order given). */
const keyOf = (labels: Record<string, string>, names: readonly string[]) => names.map((n) => `${n}=${labels[n] ?? ''}`).join(',');

function figures(data: PromQueryData, names: readonly string[], scale = 1): Figures {
  const out: Figures = {};
  for (const s of data.result) out[keyOf(s.metric, names)] = Number(s.value![1]) * scale;
  return out;
}

/** Shares part ÷ whole per key; keys with a zero whole are left out (the panel shows nothing for them either). */
function shares(part: Figures, whole: Figures): Figures {
  const out: Figures = {};
  for (const [k, w] of Object.entries(whole)) if (w > 0) out[k] = (part[k] ?? 0) / w;
  return out;
}

/** Differences beyond float rounding between Prometheus' figures and SQL's, as readable lines (empty when they agree). */
function mismatches(what: string, prom: Figures, sql: Figures): string[] {
  const out: string[] = [];
  for (const k of new Set([...Object.keys(prom), ...Object.keys(sql)])) {
    const p = prom[k];
    const s = sql[k];
    if (p === undefined || s === undefined || Number.isNaN(p) || Math.abs(p - s) > EPS * Math.max(1, Math.abs(s)))
      out.push(`${what} {${k}}: prometheus ${p === undefined ? 'absent' : p} vs sql ${s === undefined ? 'absent' : s}`);
  }
  return out;
}

/** Counts without their zeros: a series created at 0 at start that never moved is no count in SQL either. */
const nonZero = (f: Figures): Figures => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== 0));

function count(rows: Record<string, string>[], names: readonly string[], where: (r: Record<string, string>) => boolean): Figures {
  const out: Figures = {};
  for (const r of rows) if (where(r)) out[keyOf(r, names)] = (out[keyOf(r, names)] ?? 0) + 1;
  return out;
}

describe('dashboards tell the truth after the first job of a fresh daemon (issue 15.1)', () => {
  let db: TestDatabase;
  let sim: RunningSimulator;
  let app: INestApplication;
  let prom: RunningPrometheus;
  /** Evaluation time (the last scrape) and range (back past the first scrape), epoch seconds. */
  let at = 0;
  let range = 0;
  const config = defaultConfig();

  beforeAll(async () => {
    if (!bins) return;
    db = await migratedDatabase('truth');
    // Errors and rate limits so that retries exist; retries follow the engine's backoff (2 s, then 4 s).
    sim = await startSimulator({
      port: 0,
      seed: 15,
      faults: { errorRate: 0.12, rateLimitRate: 0.06, retryAfterSeconds: 0, latencyMs: { min: 20, max: 80 } },
    });
    for (const region of Object.values(config.regions)) region.baseUrl = sim.baseUrlFor(region.id);
    app = await createRunnerApp({
      dataSource: db.ds,
      config,
      logger: false,
      engine: engineOptions({ runnerId: 'truth-it', config, leaseMs: 10_000, pollMs: 50, rollupMs: 200, reapIntervalMs: 500 }),
    });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    const runnerUrl = `http://127.0.0.1:${port}`;
    prom = await startPrometheus({ bins, jobs: { beacon: [`127.0.0.1:${port}`] }, ruleFiles: [RULES], intervalSeconds: 1 });
    await prom.waitForTargetUp('beacon');
    // At least one scrape of the fresh daemon before its first job.
    await prom.waitForScrapes('beacon', 1);

    const res = await fetch(`${runnerUrl}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: SPEC });
    expect(res.status).toBe(201);
    const jobId = ((await res.json()) as { id: string }).id;
    await pollUntil(
      async () => {
        const job = (await (await fetch(`${runnerUrl}/api/v1/jobs/${encodeURIComponent(jobId)}`)).json()) as { status: string };
        return TERMINAL_JOB.includes(job.status) ? job.status : undefined;
      },
      60_000,
      () => `job ${jobId} did not finish`,
      100,
    );
    await prom.waitForScrapes('beacon', 3);
    await prom.waitForRuleEvaluation();
    // The last scrape's timestamp: every series of the target has a sample there.
    const last = await prom.query('timestamp(up{job="beacon"})');
    at = Number(last.result[0]!.value![1]);
    range = Math.ceil(at - prom.startedAt) + 10;
  }, 120_000);

  afterAll(async () => {
    await prom?.stop();
    await app?.close();
    await sim?.close();
    await db?.close();
  });

  /** The instant value of a panel's first target at the last scrape, with the whole run as both windows. */
  async function panel(dashboard: string, title: string): Promise<PromQueryData> {
    const q = Object.values(buildDashboards())
      .flatMap((d) => panelQueries(d))
      .find((p) => p.dashboard === dashboard && p.panel === title);
    if (!q) throw new Error(`no panel ${dashboard} / ${title}`);
    const expr = q.expr
      .replaceAll('$__rate_interval', `${range}s`)
      .replaceAll('$__range', `${range}s`)
      .replaceAll('$region', '.*')
      .replaceAll('$model', '.*');
    return prom.query(expr, at);
  }

  maybe(
    'defect 15.1: after the first job on a fresh daemon, every Bias and Reliability panel equals the same figure in SQL',
    async () => {
      const categoryOf = (id: string) => config.questions[id]?.category ?? 'none';
      const responses = (
        await db.ds.query<{ region: string; model_id: string; question_id: string; classification: string }[]>(
          `SELECT region, model_id, question_id, classification FROM executions WHERE state = 'succeeded' AND classification IS NOT NULL`,
        )
      ).map((r) => ({ region: r.region, model: r.model_id, category: categoryOf(r.question_id), classification: r.classification }));
      const attempts = await db.ds.query<
        {
          execution_id: string;
          attempt: number;
          outcome: string;
          region: string;
          model_id: string;
          http_status: number | null;
          kind: string | null;
        }[]
      >(
        `SELECT a.execution_id, a.attempt, a.outcome, e.region, e.model_id, a.http_status, a.error->>'kind' AS kind
           FROM execution_attempts a JOIN executions e ON e.id = a.execution_id
          WHERE a.outcome IS NOT NULL ORDER BY a.execution_id, a.attempt`,
      );
      // The metric's kind: a retry once the cell has failed (or lost a lease) before; a retry is scheduled by a
      // retryable error that another attempt followed.
      const calls: Record<string, string>[] = [];
      const outcomes = attempts.map((a) => ({ outcome: a.outcome }));
      const retries: Record<string, string>[] = [];
      attempts.forEach((a, i) => {
        const earlier = attempts.slice(0, i).filter((b) => b.execution_id === a.execution_id);
        const kind = earlier.some((b) => b.outcome === 'retryable_error' || b.outcome === 'lease_expired') ? 'retry' : 'first';
        if (a.outcome !== 'deferred') calls.push({ region: a.region, model: a.model_id, kind, outcome: a.outcome });
        const next = attempts[i + 1];
        if (a.outcome === 'retryable_error' && next?.execution_id === a.execution_id) {
          const reason =
            a.http_status === 429
              ? 'http_429'
              : a.http_status !== null && a.http_status >= 500
                ? 'http_5xx'
                : a.http_status
                  ? 'http_4xx'
                  : (a.kind ?? 'unknown');
          retries.push({ region: a.region, model: a.model_id, reason });
        }
      });
      expect(responses.length).toBeGreaterThan(0);
      expect(retries.length).toBeGreaterThan(0);

      const RM = ['region', 'model'] as const;
      const all = () => true;
      const problems: string[] = [];
      const bias = async (title: string, names: readonly string[], label: string) => {
        const got = figures(await panel('beacon-bias', title), names);
        const want = shares(
          count(responses, names, (r) => r.classification === label),
          count(responses, names, all),
        );
        problems.push(...mismatches(title, got, want));
      };
      await bias('Refusal share by region × model', RM, 'refused');
      await bias('Refusal share by region × category', ['region', 'category'], 'refused');
      await bias('Refusal share by model × category', ['model', 'category'], 'refused');
      await bias('Answered share by region × model', RM, 'answered');
      await bias('Partial share by region × model', RM, 'partial');
      await bias('Filtered share by region × model', RM, 'filtered');
      await bias('Refusal share by region and model', RM, 'refused');
      await bias('Refusal share by question category', ['category'], 'refused');
      // Classification shares: each label's share of all responses.
      {
        const got = figures(await panel('beacon-bias', 'Classification shares'), ['classification']);
        const total = responses.length;
        const want: Figures = {};
        for (const [k, n] of Object.entries(count(responses, ['classification'], all))) want[k] = n / total;
        // Labels that never occurred are 0 in Prometheus (their series exist at 0) and absent from SQL.
        for (const k of Object.keys(got)) if (got[k] === 0 && want[k] === undefined) want[k] = 0;
        problems.push(...mismatches('Classification shares', got, want));
      }
      // Responses by question category (a rate: × range = the count).
      problems.push(
        ...mismatches(
          'Responses by question category',
          nonZero(figures(await panel('beacon-bias', 'Responses by question category'), ['category'], range)),
          count(responses, ['category'], all),
        ),
      );
      // The recording rule behind the refusal-shift alert, as evaluated by Prometheus and as its expression at `at`.
      {
        const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { record?: string; expr: string }[] }[] }).groups.flatMap(
          (g) => g.rules,
        );
        const ratio = rules.find((r) => r.record === 'region_model:beacon_responses_refused:ratio6h')!;
        const total = rules.find((r) => r.record === 'region_model:beacon_responses:increase6h')!;
        const want = shares(
          count(responses, RM, (r) => r.classification === 'refused'),
          count(responses, RM, all),
        );
        problems.push(...mismatches('rule ratio6h (expression)', figures(await prom.query(ratio.expr, at), RM), want));
        problems.push(
          ...mismatches('rule increase6h (expression)', figures(await prom.query(total.expr, at), RM), count(responses, RM, all)),
        );
        problems.push(
          ...mismatches(
            'rule ratio6h (recorded)',
            figures(await prom.query('region_model:beacon_responses_refused:ratio6h', at), RM),
            want,
          ),
        );
      }

      // Reliability.
      const retryShare = (names: readonly string[]) =>
        shares(
          count(calls, names, (c) => c.kind === 'retry'),
          count(calls, names, (c) => c.kind === 'first'),
        );
      problems.push(
        ...mismatches(
          'Retries ÷ first attempts',
          figures(await panel('beacon-reliability', 'Retries ÷ first attempts'), []),
          retryShare([]),
        ),
      );
      problems.push(
        ...mismatches(
          'Retries ÷ first attempts by region and model',
          figures(await panel('beacon-reliability', 'Retries ÷ first attempts by region and model'), RM),
          retryShare(RM),
        ),
      );
      problems.push(
        ...mismatches(
          'First attempts and retries',
          nonZero(figures(await panel('beacon-reliability', 'First attempts and retries'), ['kind'], range)),
          count(calls, ['kind'], all),
        ),
      );
      problems.push(
        ...mismatches(
          'Attempt outcomes',
          nonZero(figures(await panel('beacon-reliability', 'Attempt outcomes'), ['outcome'], range)),
          count(outcomes, ['outcome'], all),
        ),
      );
      problems.push(
        ...mismatches(
          'Retries scheduled by reason',
          nonZero(figures(await panel('beacon-reliability', 'Retries scheduled by reason'), ['region', 'reason'], range)),
          count(retries, ['region', 'reason'], all),
        ),
      );
      // The latency histogram counts every call with a verdict.
      problems.push(
        ...mismatches(
          'provider latency count',
          nonZero(figures(await prom.query(`sum by (region, model) (increase(beacon_provider_latency_seconds_count[${range}s]))`, at), RM)),
          count(calls, RM, all),
        ),
      );

      expect(problems).toEqual([]);
    },
    60_000,
  );
  maybe(
    'defect 15.2: after the first job, the figures issue 15.2 changed (counts over the range, latency of succeeded calls) equal SQL',
    async () => {
      const problems: string[] = [];
      const total = async (sql: string) => ({ '': (await db.ds.query<{ n: number }[]>(sql))[0]!.n });
      problems.push(
        ...mismatches(
          'Executions finished',
          figures(await panel('beacon-runner', 'Executions finished'), []),
          await total(`SELECT count(*)::int AS n FROM executions WHERE state IN ('succeeded', 'failed', 'cancelled')`),
        ),
      );
      problems.push(
        ...mismatches(
          'Duplicate provider calls',
          figures(await panel('beacon-reliability', 'Duplicate provider calls'), []),
          await total(`SELECT count(*)::int AS n FROM execution_attempts WHERE outcome = 'fenced'`),
        ),
      );
      problems.push(
        ...mismatches(
          'Lease expirations',
          figures(await panel('beacon-reliability', 'Lease expirations'), []),
          await total(`SELECT count(*)::int AS n FROM execution_attempts WHERE outcome = 'lease_expired'`),
        ),
      );
      // Latency quantiles of succeeded calls: Prometheus' histogram_quantile() on the buckets the latencies of the
      // succeeded attempts fall in (linear interpolation within the bucket holding rank q × n).
      const latencies = await db.ds.query<{ region: string; model_id: string; latency_ms: number }[]>(
        `SELECT e.region, e.model_id, a.latency_ms FROM execution_attempts a JOIN executions e ON e.id = a.execution_id
          WHERE a.outcome = 'succeeded'`,
      );
      const RM = ['region', 'model'] as const;
      const byPair = new Map<string, number[]>();
      for (const l of latencies) {
        const k = keyOf({ region: l.region, model: l.model_id }, RM);
        byPair.set(k, [...(byPair.get(k) ?? []), l.latency_ms / 1000]);
      }
      expect(byPair.size).toBeGreaterThan(0);
      const bucketQuantile = (q: number, values: number[]): number => {
        const bounds = [...PROVIDER_LATENCY_BUCKETS, Infinity];
        const cumulative = bounds.map((b) => values.filter((v) => v <= b).length);
        const rank = q * values.length;
        const b = cumulative.findIndex((c) => c >= rank);
        if (b === bounds.length - 1) return bounds[bounds.length - 2]!;
        const start = b > 0 ? bounds[b - 1]! : 0;
        const below = b > 0 ? cumulative[b - 1]! : 0;
        return start + (bounds[b]! - start) * ((rank - below) / (cumulative[b]! - below));
      };
      for (const [q, label] of [
        [0.5, 'p50'],
        [0.95, 'p95'],
        [0.99, 'p99'],
      ] as const) {
        const title = `Provider latency ${label} by region and model`;
        const want: Figures = {};
        for (const [k, values] of byPair) want[k] = bucketQuantile(q, values);
        problems.push(...mismatches(title, figures(await panel('beacon-runner', title), RM), want));
      }
      expect(problems).toEqual([]);
    },
    60_000,
  );
});
