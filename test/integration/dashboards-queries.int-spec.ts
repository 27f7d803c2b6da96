import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { buildDashboards } from '../../dashboards/src/build.js';
import { panelQueries } from '../../dashboards/src/inventory.js';
import { parse } from 'yaml';
import { findPrometheus, runPromtool, type PrometheusBinaries } from '../utils/prometheus.js';

/**
 * Issue 15.2: panel queries evaluated by Prometheus' own engine (`promtool test rules`, `promql_expr_test`) on input
 * series written for the case at hand: each test feeds the situation in which the old query showed a wrong figure and
 * states the figure the panel must show. The queries are taken from the dashboard builders (as Grafana would send them)
 * with Grafana's variables replaced.
 */

const bins = findPrometheus();
// Like the other Prometheus tests: skipped without promtool on a developer machine, a failure under CI=true.
const maybe = bins || process.env.CI === 'true' ? it : it.skip;

function need(): PrometheusBinaries {
  if (!bins)
    throw new Error('prometheus and promtool not found on PATH or in /usr/bin: `apt-get install -y prometheus` (Debian 12 ships 2.42)');
  return bins;
}

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../..');

/** The expression of alert `name` in dashboards/alerts/beacon.rules.yml. */
function alertExpr(name: string): string {
  const file = parse(readFileSync(path.join(root, 'dashboards/alerts/beacon.rules.yml'), 'utf8')) as {
    groups: { rules: { alert?: string; expr: string }[] }[];
  };
  const rule = file.groups.flatMap((g) => g.rules).find((r) => r.alert === name);
  if (!rule) throw new Error(`no alert ${name}`);
  return rule.expr;
}

/** Grafana's variables for one evaluation. */
interface Vars {
  region?: string;
  model?: string;
  /** `$__range` (default 30m). */
  range?: string;
  /** `$__rate_interval` (default 5m). */
  rateInterval?: string;
}

/** The query of panel `title` on dashboard `uid` (its target `refId`), with Grafana's variables replaced. */
function panelExpr(uid: string, title: string, vars: Vars = {}, refId = 'A'): string {
  const matches = Object.values(buildDashboards())
    .flatMap((d) => panelQueries(d))
    .filter((q) => q.dashboard === uid && q.panel === title && q.refId === refId);
  if (matches.length !== 1) throw new Error(`${matches.length} panels ${uid} / ${title} [${refId}]`);
  const expr = matches[0]!.expr
    .replaceAll('$__range', vars.range ?? '30m')
    .replaceAll('$__rate_interval', vars.rateInterval ?? '5m')
    .replaceAll('$region', vars.region ?? '.*')
    .replaceAll('$model', vars.model ?? '.*');
  if (expr.includes('$')) throw new Error(`variable left in ${expr}`);
  return expr;
}

/** An input series in promtool's notation (`0+60x10 600x50`: one sample a minute). */
interface Input {
  series: string;
  values: string;
}

/** One expectation: `expr` at `at` gives exactly these samples (labels in PromQL notation, value within float rounding). */
interface ExprCase {
  expr: string;
  at: string;
  samples: { labels: string; value: number }[];
}

/** Runs the cases on the input series through `promtool test rules`; resolves to promtool's complaints ('' when none). */
async function evaluate(input: Input[], cases: ExprCase[]): Promise<{ code: number | null; out: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'beacon-promql-'));
  try {
    const file = path.join(dir, 'panels.test.yml');
    const test = {
      rule_files: [],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: input,
          promql_expr_test: cases.map((c) => ({ expr: c.expr, eval_time: c.at, exp_samples: c.samples })),
        },
      ],
    };
    // JSON is YAML.
    await writeFile(file, JSON.stringify(test, null, 2));
    const result = await runPromtool(need(), ['test', 'rules', file]);
    return { code: result.code, out: result.code === 0 ? '' : `${result.stdout}${result.stderr}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const OK = { code: 0, out: '' };

/**
 * `expr` compared with `value` within float rounding: 1 for each of its series that is within 1e-9 of `value`, 0 for the
 * others (so an extra series still fails the case). promtool compares samples exactly, and a quantile interpolated
 * within a bucket is not exact in binary floating point.
 */
const near = (expr: string, value: number) => `abs((${expr}) - ${value}) < bool 1e-9`;

describe('dashboard panels evaluated by Prometheus on the cases they got wrong (issue 15.2)', () => {
  maybe(
    'defect 15.2: "Retries ÷ first attempts" (panels and BeaconRetryStorm) has no value, not +Inf, for a window with retries and no first attempts',
    async () => {
      const attempts = (kind: string, outcome: string, values: string): Input => ({
        series: `beacon_attempts_total{region="us-east", model="llama3.2-1b", outcome="${outcome}", kind="${kind}"}`,
        values,
      });
      // 600 first calls in the first 10 minutes, then none; 10 retries a minute for the whole hour.
      const input = [attempts('first', 'succeeded', '0+60x10 600x50'), attempts('retry', 'retryable_error', '0+10x60')];
      expect(
        await evaluate(input, [
          { expr: panelExpr('beacon-reliability', 'Retries ÷ first attempts', { range: '10m' }), at: '40m', samples: [] },
          { expr: panelExpr('beacon-reliability', 'Retries ÷ first attempts by region and model'), at: '40m', samples: [] },
          // The alert on the same ratio: +Inf > 0.2 fired, announcing "+Inf% of first calls".
          { expr: alertExpr('BeaconRetryStorm'), at: '40m', samples: [] },
          // With first calls in the window, the ratio: 100 retries ÷ 600 first calls.
          {
            expr: panelExpr('beacon-reliability', 'Retries ÷ first attempts', { range: '10m' }),
            at: '10m',
            samples: [{ labels: '{}', value: 100 / 600 }],
          },
        ]),
      ).toEqual(OK);
    },
  );

  maybe('defect 15.2: the lease-expiration panels count only the selected $region and $model', async () => {
    const leases = (region: string, model: string, values: string): Input => ({
      series: `beacon_lease_expirations_total{region="${region}", model="${model}"}`,
      values,
    });
    const input = [
      leases('eu-west', 'qwen2.5-1.5b', '0x10 2x30'),
      leases('us-east', 'llama3.2-1b', '0x10 5x30'),
      leases('eu-west', 'mistral-7b', '0x40'),
    ];
    const euWest = { region: 'eu-west' };
    expect(
      await evaluate(input, [
        { expr: panelExpr('beacon-reliability', 'Lease expirations', euWest), at: '40m', samples: [{ labels: '{}', value: 2 }] },
        {
          expr: panelExpr('beacon-reliability', 'Lease expirations', { region: 'eu-west', model: 'mistral-7b' }),
          at: '40m',
          samples: [{ labels: '{}', value: 0 }],
        },
        {
          expr: panelExpr('beacon-reliability', 'Lease expirations by region and model', euWest),
          at: '14m',
          samples: [
            { labels: '{region="eu-west", model="qwen2.5-1.5b"}', value: 2 },
            { labels: '{region="eu-west", model="mistral-7b"}', value: 0 },
          ],
        },
      ]),
    ).toEqual(OK);
  });

  maybe('defect 15.2: the duplicate-call panels count the calls of the selected range, not since the runner started', async () => {
    // Two duplicates long before the range, one inside it.
    const input = [{ series: 'beacon_duplicate_calls_total{region="us-east", model="llama3.2-1b"}', values: '0 2x20 3x40' }];
    expect(
      await evaluate(input, [
        {
          expr: panelExpr('beacon-reliability', 'Duplicate provider calls', { range: '45m' }),
          at: '60m',
          samples: [{ labels: '{}', value: 1 }],
        },
        {
          expr: panelExpr('beacon-reliability', 'Duplicate provider calls', { range: '30m' }),
          at: '60m',
          samples: [{ labels: '{}', value: 0 }],
        },
        {
          expr: panelExpr('beacon-reliability', 'Duplicate provider calls by region and model'),
          at: '24m',
          samples: [{ labels: '{region="us-east", model="llama3.2-1b"}', value: 1 }],
        },
      ]),
    ).toEqual(OK);
  });

  maybe('defect 15.2: API latency leaves out /metrics scrapes, health probes and requests that were not served', async () => {
    // Ten served requests a minute to /api/v1/jobs, all in (5 ms, 10 ms]; slow scrapes, probes and 500s.
    const histogram = (route: string, status: string, buckets: Record<string, string>, count: string): Input[] => [
      ...Object.entries(buckets).map(([le, values]) => ({
        series: `beacon_http_request_duration_seconds_bucket{method="GET", route="${route}", status="${status}", le="${le}"}`,
        values,
      })),
      { series: `beacon_http_request_duration_seconds_count{method="GET", route="${route}", status="${status}"}`, values: count },
    ];
    const input = [
      ...histogram('/api/v1/jobs', '200', { '0.005': '0x30', '0.01': '0+10x30', '1': '0+10x30', '+Inf': '0+10x30' }, '0+10x30'),
      ...histogram('/api/v1/jobs', '500', { '0.005': '0x30', '0.01': '0x30', '1': '0x30', '+Inf': '0+10x30' }, '0+10x30'),
      ...histogram('/metrics', '200', { '0.005': '0x30', '0.01': '0x30', '1': '0+4x30', '+Inf': '0+4x30' }, '0+4x30'),
      ...histogram('/health/ready', '200', { '0.005': '0x30', '0.01': '0x30', '1': '0+4x30', '+Inf': '0+4x30' }, '0+4x30'),
    ];
    expect(
      await evaluate(input, [
        {
          expr: near(panelExpr('beacon-reliability', 'API latency p95 by route'), 0.00975),
          at: '20m',
          samples: [{ labels: '{route="/api/v1/jobs"}', value: 1 }],
        },
      ]),
    ).toEqual(OK);
  });

  maybe('defect 15.2: provider latency quantiles are those of succeeded calls, not mixed with failures and timeouts', async () => {
    // 60 succeeded calls a minute in (0.1 s, 0.25 s]; 40 timeouts a minute at the two-minute limit.
    const histogram = (outcome: string, buckets: Record<string, string>, count: string): Input[] => [
      ...Object.entries(buckets).map(([le, values]) => ({
        series: `beacon_provider_latency_seconds_bucket{region="us-east", model="llama3.2-1b", outcome="${outcome}", le="${le}"}`,
        values,
      })),
      { series: `beacon_provider_latency_seconds_count{region="us-east", model="llama3.2-1b", outcome="${outcome}"}`, values: count },
    ];
    const input = [
      ...histogram('succeeded', { '0.1': '0x30', '0.25': '0+60x30', '60': '0+60x30', '120': '0+60x30', '+Inf': '0+60x30' }, '0+60x30'),
      ...histogram('retryable_error', { '0.1': '0x30', '0.25': '0x30', '60': '0x30', '120': '0+40x30', '+Inf': '0+40x30' }, '0+40x30'),
    ];
    const pair = '{region="us-east", model="llama3.2-1b"}';
    expect(
      await evaluate(input, [
        {
          expr: panelExpr('beacon-runner', 'Provider latency p50 by region and model'),
          at: '20m',
          samples: [{ labels: pair, value: 0.1 + 0.15 * 0.5 }],
        },
        {
          expr: panelExpr('beacon-runner', 'Provider latency p95 by region and model'),
          at: '20m',
          samples: [{ labels: pair, value: 0.1 + 0.15 * 0.95 }],
        },
        {
          expr: panelExpr('beacon-runner', 'Provider latency p99 by region and model'),
          at: '20m',
          samples: [{ labels: pair, value: 0.1 + 0.15 * 0.99 }],
        },
      ]),
    ).toEqual(OK);
  });

  maybe('defect 15.2: count stat panels show whole numbers (increase() extrapolates 60 cells to 63.3)', async () => {
    const input = [
      { series: 'beacon_executions_finished_total{region="us-east", model="llama3.2-1b", state="succeeded"}', values: '0+10x40' },
      { series: 'beacon_duplicate_calls_total{region="us-east", model="llama3.2-1b"}', values: '0+10x40' },
      { series: 'beacon_lease_expirations_total{region="us-east", model="llama3.2-1b"}', values: '0+10x40' },
    ];
    // A range of 6 m 20 s holds 7 samples a minute apart (60 increments); increase() scales them to the range: 63.33.
    const range = '380s';
    expect(
      await evaluate(input, [
        {
          expr: `sum(increase(beacon_executions_finished_total[${range}]))`,
          at: '30m',
          samples: [{ labels: '{}', value: 60 * (380 / 360) }],
        },
        { expr: panelExpr('beacon-runner', 'Executions finished', { range }), at: '30m', samples: [{ labels: '{}', value: 63 }] },
        { expr: panelExpr('beacon-reliability', 'Duplicate provider calls', { range }), at: '30m', samples: [{ labels: '{}', value: 63 }] },
        { expr: panelExpr('beacon-reliability', 'Lease expirations', { range }), at: '30m', samples: [{ labels: '{}', value: 63 }] },
      ]),
    ).toEqual(OK);
  });
});
