import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { createMetrics } from '@beacon/observability';
import { parse } from 'yaml';
import { buildDashboards, renderDashboards } from '../../dashboards/src/build.js';
import { STAT_FORMAT } from '../../dashboards/src/house-style.js';
import { panelQueries, variableQueries } from '../../dashboards/src/inventory.js';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface RuleFile {
  groups: {
    name: string;
    rules: { alert?: string; record?: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> }[];
  }[];
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

/** GitHub's anchors of the Markdown headings of a file (outside code fences). */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = /^#{1,6}\s+(.*?)\s*#*$/.exec(line);
    if (fenced || !m) continue;
    const base = m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n ? `${base}-${n}` : base);
  }
  return anchors;
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

  it('has four dashboards with unique uids, each with panels and queries on the fixed Prometheus datasource', () => {
    expect(dashboards.map(([file, d]) => [file, d.uid])).toEqual([
      ['beacon-runner.json', 'beacon-runner'],
      ['beacon-bias.json', 'beacon-bias'],
      ['beacon-reliability.json', 'beacon-reliability'],
      ['beacon-drift.json', 'beacon-drift'],
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
          /beacon_(attempts_total|executions_finished_total|responses_total|retries_total|duplicate_calls_total|lease_expirations_total|inflight_calls|breaker_state|provider_latency_seconds_bucket|provider_latency_seconds_count)\{([^}]*)\}/g,
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

describe('what the panels show (issue 15.2)', () => {
  interface PanelJson {
    id?: number;
    type?: string;
    title?: string;
    fieldConfig?: { defaults?: { unit?: string; decimals?: number } };
    targets?: { expr?: string }[];
  }
  const panels = dashboards.flatMap(([, d]) => ((d.panels ?? []) as PanelJson[]).map((p) => ({ uid: d.uid!, p })));

  it('defect 15.2: no panel plots a raw counter: every counter is read through rate() or increase()', async () => {
    const counters = (await createMetrics().registry.getMetricsAsJSON())
      .filter((m) => String(m.type) === 'counter')
      .map((m) => `${m.name.replace(/_total$/, '')}_total`);
    const raw: string[] = [];
    for (const q of dashboards.flatMap(([, d]) => panelQueries(d))) {
      for (const name of counters) {
        for (const m of q.expr.matchAll(new RegExp(`(\\w*\\(?)\\b${name}\\b`, 'g'))) {
          if (!/^(rate|increase)\($/.test(m[1]!)) raw.push(`${q.dashboard} / ${q.panel}: ${name} read as ${m[1] || 'is'}`);
        }
      }
    }
    expect(raw).toEqual([]);
  });

  it('defect 15.2: stat panels show counts as whole numbers (round(), 0 decimals) and shares as percentages with 1 decimal', () => {
    const stats = panels.filter(({ p }) => p.type === 'stat');
    expect(stats.length).toBeGreaterThan(6);
    const problems: string[] = [];
    for (const { uid, p } of stats) {
      const where = `${uid} / ${p.title}`;
      const { unit, decimals } = p.fieldConfig?.defaults ?? {};
      const kind = (Object.keys(STAT_FORMAT) as (keyof typeof STAT_FORMAT)[]).find((k) => STAT_FORMAT[k].unit === unit);
      if (!kind) {
        problems.push(`${where}: unit ${unit} is neither a count, a share nor an amount in US dollars`);
        continue;
      }
      if (decimals !== (STAT_FORMAT[kind].decimals ?? undefined)) problems.push(`${where}: ${kind} with decimals ${decimals}`);
      for (const t of p.targets ?? []) {
        // A count built from increase() (which extrapolates: 72.2 cells) is round()ed.
        if (kind === 'count' && t.expr?.includes('increase(') && !t.expr.startsWith('round('))
          problems.push(`${where}: ${t.expr} not round()ed`);
      }
    }
    expect(problems).toEqual([]);
    // Bar gauges of shares say how many decimals too.
    for (const { p } of panels.filter(({ p }) => p.type === 'bargauge')) {
      expect({ title: p.title, ...p.fieldConfig?.defaults }).toMatchObject({ title: p.title, unit: 'percentunit', decimals: 1 });
    }
  });

  it('defect 15.2: latency quantiles read successful calls only; API panels leave out /metrics and the health probes', () => {
    const queries = dashboards.flatMap(([, d]) => panelQueries(d));
    const quantiles = queries.filter((q) => q.expr.includes('histogram_quantile('));
    expect(quantiles.length).toBe(4);
    for (const q of quantiles) {
      const selectors = [...q.expr.matchAll(/beacon_(provider_latency|http_request_duration)_seconds_(bucket|count)\{([^}]*)\}/g)];
      expect(selectors.length).toBe(2);
      for (const m of selectors) {
        const want = m[1] === 'provider_latency' ? ['outcome="succeeded"'] : ['route!~"/metrics|/health/.*"', 'status=~"[23].."'];
        expect({ panel: q.panel, matchers: m[3] }).toEqual({ panel: q.panel, matchers: expect.stringContaining(want.join(', ')) });
      }
    }
    for (const q of queries.filter((x) => x.expr.includes('beacon_http_'))) {
      for (const m of q.expr.matchAll(/beacon_http_\w+\{([^}]*)\}/g))
        expect({ panel: q.panel, m: m[1] }).toEqual({ panel: q.panel, m: expect.stringContaining('route!~"/metrics|/health/.*"') });
    }
  });

  it('defect 15.2: the lease-expiration counter has region and model labels, and its panels filter by them', () => {
    // prom-client keeps a metric's label names on the metric object.
    expect((createMetrics().leaseExpirations as unknown as { labelNames: string[] }).labelNames).toEqual(['region', 'model']);
    const leaseQueries = dashboards.flatMap(([, d]) => panelQueries(d)).filter((q) => q.expr.includes('beacon_lease_expirations_total'));
    expect(leaseQueries.map((q) => q.panel)).toEqual(['Lease expirations', 'Lease expirations by region and model']);
    for (const q of leaseQueries) expect(q.expr).toContain('beacon_lease_expirations_total{region=~"$region", model=~"$model"}');
    for (const { p } of panels) expect(`${p.title}: ${(p as { description?: string }).description ?? ''}`).not.toMatch(/has no labels/);
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

  it('gives every alert a summary, a description, a runbook_url and a dashboard_url (defect 15.2)', () => {
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
        'BeaconReconcilerRunFailed',
        'BeaconReconcilerCriticalFinding',
      ]),
    );
    for (const r of alerts) {
      expect({ alert: r.alert, keys: Object.keys(r.annotations ?? {}).sort() }).toEqual({
        alert: r.alert,
        keys: ['dashboard_url', 'description', 'runbook_url', 'summary'],
      });
    }
  });

  it('defect 15.2: every runbook_url is a heading anchor of a file in the repository, one section per alert', () => {
    const problems: string[] = [];
    for (const r of rules.filter((x) => x.alert)) {
      const url = r.annotations?.runbook_url ?? '';
      const m = /^([\w./-]+\.md)#([\w-]+)$/.exec(url);
      if (!m) {
        problems.push(`${r.alert}: runbook_url ${url} is not <file.md>#<anchor>`);
        continue;
      }
      if (!existsSync(path.join(root, m[1]!))) {
        problems.push(`${r.alert}: ${m[1]} does not exist`);
        continue;
      }
      if (!headingAnchors(read(m[1]!)).has(m[2]!)) problems.push(`${r.alert}: no heading with anchor #${m[2]} in ${m[1]}`);
      // The section is the alert's own: its anchor is the alert's name.
      if (m[2] !== r.alert!.toLowerCase()) problems.push(`${r.alert}: anchor #${m[2]} is not the alert's section`);
    }
    expect(problems).toEqual([]);
    // The anchor rule itself (GitHub's): lower case, punctuation dropped, spaces to hyphens, repeats numbered.
    expect([...headingAnchors('## BeaconRetryStorm\n### Where to add… a metric\n## Dup\n## Dup\n```\n# not a heading\n```\n')]).toEqual([
      'beaconretrystorm',
      'where-to-add-a-metric',
      'dup',
      'dup-1',
    ]);
  });

  it('defect 15.2: every dashboard_url opens an existing panel of an existing dashboard, with variables it has', () => {
    const byUid = new Map(dashboards.map(([, d]) => [d.uid, d]));
    const problems: string[] = [];
    for (const r of rules.filter((x) => x.alert)) {
      const url = r.annotations?.dashboard_url ?? '';
      const m = /^\/d\/([\w-]+)\?(.*)$/.exec(url);
      const d = m ? byUid.get(m[1]) : undefined;
      if (!m || !d) {
        problems.push(`${r.alert}: dashboard_url ${url} names no Beacon dashboard`);
        continue;
      }
      const params = new URLSearchParams(m[2]);
      const panel = (d.panels ?? []).find((p) => String((p as { id?: number }).id) === params.get('viewPanel')) as
        { type?: string; title?: string } | undefined;
      if (!panel || panel.type === 'row') problems.push(`${r.alert}: ${d.uid} has no panel ${params.get('viewPanel')}`);
      const variables = new Set(variableQueries(d).map((v) => `var-${v.name}`));
      for (const [key, value] of params) {
        if (key === 'viewPanel') continue;
        if (!variables.has(key)) problems.push(`${r.alert}: ${d.uid} has no variable ${key}`);
        // Only labels the alert's series carry (its `by` or `on` labels), so the link scopes to the alert's own region/model.
        const label = /^\{\{ \$labels\.(\w+) \}\}$/.exec(value)?.[1];
        if (!label || !new RegExp(`\\b(by|on) \\([^)]*\\b${label}\\b`).test(r.expr))
          problems.push(`${r.alert}: ${key}=${value} is not a label of the alert`);
      }
    }
    expect(problems).toEqual([]);
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
