import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { createMetrics } from '@beacon/observability';
import { parse } from 'yaml';
import { buildDashboards, renderDashboards } from '../../dashboards/src/build.js';
import { panelQueries, variableQueries } from '../../dashboards/src/inventory.js';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string; annotations?: Record<string, string> }[] }[];
}
const rules = (parse(read('dashboards/alerts/beacon.rules.yml')) as RuleFile).groups.flatMap((g) => g.rules);
const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));

/** Series names the registry can expose: counters as `<name>_total`, histograms as `_bucket`/`_sum`/`_count`, gauges as is. */
async function registrySeriesNames(): Promise<Set<string>> {
  const { registry } = createMetrics();
  const names = new Set<string>(['up']);
  for (const m of await registry.getMetricsAsJSON()) {
    // prom-client types `type` as a numeric enum, but the JSON holds 'counter', 'gauge', 'histogram' or 'summary'.
    const type = String(m.type);
    if (type === 'counter') names.add(`${m.name.replace(/_total$/, '')}_total`);
    else if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${m.name}${suffix}`);
    else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(`${m.name}${suffix}`);
    else names.add(m.name);
  }
  return names;
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'and',
  'or',
  'unless',
  'atan2',
  'inf',
  'nan',
]);

/**
 * Metric names in a PromQL expression: identifiers followed by `{`, `[`, whitespace, `)`, `,` or the end, after removing
 * string literals, label matchers and grouping clauses (whose label names would otherwise look like metrics), and
 * skipping keywords, functions and aggregations (next non-blank character `(`), numbers, durations and `$variables`.
 */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w:$.])([A-Za-z_:][\w:]*)(?=[{[\s),]|$)(?!\s*\()/g)) {
    if (!KEYWORDS.has(m[1]!.toLowerCase())) names.add(m[1]!);
  }
  return [...names];
}

/** The selector of a `label_values(selector, label)` variable query. */
function variableSelector(query: string): string {
  const m = /^label_values\((.*),\s*(\w+)\)$/.exec(query);
  if (!m) throw new Error(`not a label_values() query: ${query}`);
  return m[1]!;
}

const dashboards = Object.entries(buildDashboards());
const expressions = [
  ...dashboards.flatMap(([, d]) => panelQueries(d).map((q) => ({ where: `${q.dashboard} / ${q.panel} / ${q.refId}`, expr: q.expr }))),
  ...dashboards.flatMap(([, d]) =>
    variableQueries(d).map((v) => ({ where: `${v.dashboard} / $${v.name}`, expr: variableSelector(v.query) })),
  ),
  ...rules.map((r) => ({ where: `rule ${r.alert ?? r.record}`, expr: r.expr })),
];

describe('generated dashboards', () => {
  it('regenerating them reproduces the committed JSON byte for byte (run `npm run dashboards` after changing dashboards/src)', () => {
    for (const [file, text] of Object.entries(renderDashboards())) {
      expect({ file, text: read(`dashboards/generated/${file}`) }).toEqual({ file, text });
    }
  });

  it('has three dashboards with unique uids, each with panels and queries on the fixed Prometheus datasource', () => {
    expect(dashboards.map(([file, d]) => [file, d.uid])).toEqual([
      ['beacon-runner.json', 'beacon-runner'],
      ['beacon-bias.json', 'beacon-bias'],
      ['beacon-reliability.json', 'beacon-reliability'],
    ]);
    for (const [, d] of dashboards) {
      const queries = panelQueries(d);
      expect(queries.length).toBeGreaterThan(8);
      for (const panel of d.panels ?? []) {
        const p = panel as { type: string; datasource?: { uid?: string }; targets?: { datasource?: { uid?: string } }[] };
        if (p.type === 'row') continue;
        expect(p.datasource?.uid).toBe('prometheus');
        for (const t of p.targets ?? []) expect(t.datasource?.uid).toBe('prometheus');
      }
      expect(variableQueries(d).map((v) => v.name)).toEqual(['region', 'model']);
    }
  });

  it('turns on exemplars on every provider latency panel', () => {
    const latency = dashboards
      .flatMap(([, d]) => (d.panels ?? []) as { title?: string; targets?: { exemplar?: boolean; expr?: string }[] }[])
      .filter((p) => p.targets?.some((t) => t.expr?.includes('beacon_provider_latency_seconds_bucket')));
    expect(latency.map((p) => p.title)).toEqual([
      'Provider latency p50 by region and model',
      'Provider latency p95 by region and model',
      'Provider latency p99 by region and model',
    ]);
    for (const p of latency) expect(p.targets!.every((t) => t.exemplar === true)).toBe(true);
  });

  it('scopes every query on a metric with region and model labels by the $region and $model variables', () => {
    for (const [, d] of dashboards) {
      for (const q of panelQueries(d)) {
        for (const m of q.expr.matchAll(
          /beacon_(attempts_total|executions_finished_total|responses_total|retries_total|duplicate_calls_total|inflight_calls|breaker_state|provider_latency_seconds_bucket)\{([^}]*)\}/g,
        )) {
          expect({ where: `${q.dashboard} / ${q.panel}`, matchers: m[2] }).toEqual({
            where: `${q.dashboard} / ${q.panel}`,
            matchers: expect.stringContaining('region=~"$region", model=~"$model"'),
          });
        }
      }
    }
  });
});

describe('queries and rules against the metrics contract', () => {
  it('finds metric names in PromQL, not label names, keywords or durations', () => {
    expect(
      metricNames(
        'sum by (region, le) (rate(beacon_x_bucket{a="b c", d=~"$region"}[$__rate_interval])) / ignoring (kind) group_left sum(up offset 1d) > bool 0.5',
      ),
    ).toEqual(['beacon_x_bucket', 'up']);
    expect(metricNames('(a:b:c - a:b:c offset 1d) and on (region) beacon_y')).toEqual(['a:b:c', 'beacon_y']);
  });

  it("references only metrics defined in libs/observability (plus up and this file's recording rules)", async () => {
    const known = await registrySeriesNames();
    const unknown = expressions.flatMap(({ where, expr }) =>
      metricNames(expr)
        .filter((n) => !known.has(n) && !recorded.has(n))
        .map((n) => `${where}: ${n}`),
    );
    expect(unknown).toEqual([]);
    // Recording rules are built from registry metrics only, and their names follow level:metric:operations.
    for (const name of recorded) expect(name).toMatch(/^[a-z_]+:beacon_[a-z_]+:[a-z0-9_]+$/);
    expect(expressions.length).toBeGreaterThan(50);
  });

  it('never groups or filters by a job or execution id', () => {
    expect(expressions.filter(({ expr }) => /\b(job_id|execution_id|executionId|jobId)\b/.test(expr)).map((e) => e.where)).toEqual([]);
    expect(read('dashboards/alerts/beacon.rules.yml')).not.toMatch(/job_id|execution_id/);
  });

  it('gives every alert a summary, a description and a one-line runbook', () => {
    const alerts = rules.filter((r) => r.alert);
    expect(alerts.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'BeaconRetryStorm',
        'BeaconDuplicateExecution',
        'BeaconQueueStalled',
        'BeaconProviderErrorRateHigh',
        'BeaconBreakerOpen',
        'BeaconRunnerDown',
        'BeaconRunnerAbsent',
        'BeaconRefusalShareShift',
      ]),
    );
    for (const r of alerts) {
      expect({ alert: r.alert, keys: Object.keys(r.annotations ?? {}).sort() }).toEqual({
        alert: r.alert,
        keys: ['description', 'runbook', 'summary'],
      });
      expect(r.annotations!.runbook).not.toMatch(/\n/);
    }
  });
});

describe('provisioning', () => {
  it('provides the datasource uids the dashboards use, with exemplar trace ids linked to the trace datasource', () => {
    const ds = parse(read('dashboards/provisioning/datasources/datasources.yaml')) as {
      datasources: { uid: string; type: string; jsonData?: { exemplarTraceIdDestinations?: { name: string; datasourceUid: string }[] } }[];
    };
    const byUid = new Map(ds.datasources.map((d) => [d.uid, d]));
    expect(byUid.get('prometheus')?.type).toBe('prometheus');
    expect(byUid.get('prometheus')?.jsonData?.exemplarTraceIdDestinations).toEqual([
      expect.objectContaining({ name: 'trace_id', datasourceUid: 'jaeger' }),
    ]);
    expect(byUid.get('jaeger')?.type).toBe('jaeger');
  });

  it('provisions the generated folder and scrapes the runner under the job name the rules use', () => {
    const providers = (
      parse(read('dashboards/provisioning/dashboards/dashboards.yaml')) as {
        providers: { folder: string; type: string; options: { path: string } }[];
      }
    ).providers;
    expect(providers).toEqual([
      expect.objectContaining({
        folder: 'Beacon',
        type: 'file',
        options: expect.objectContaining({ path: '/var/lib/grafana/dashboards/beacon' }),
      }),
    ]);
    const compose = read('dashboards/compose.yml');
    expect(compose).toContain('./generated:/var/lib/grafana/dashboards/beacon:ro');
    expect(compose).toContain('--enable-feature=exemplar-storage');
    const prom = parse(read('dashboards/prometheus.yml')) as { scrape_configs: { job_name: string }[]; rule_files: string[] };
    expect(prom.scrape_configs.map((s) => s.job_name)).toEqual(['beacon']);
    expect(prom.rule_files).toEqual(['/etc/prometheus/rules/beacon.rules.yml']);
  });
});
