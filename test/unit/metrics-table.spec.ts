import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { createMetrics } from '@beacon/observability';
import { buildDashboards } from '../../dashboards/src/build.js';

/**
 * Issue 15.2 acceptance: "The README's metrics table gives each metric's unit and what each panel means." The tables
 * are in dashboards/README.md (linked from README.md's Observability section); this test keeps them in step with the
 * registry and the dashboard builders, so that a metric or panel added without its row fails here.
 */

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../..');
const readme = readFileSync(path.join(root, 'dashboards/README.md'), 'utf8');

/** The text of a `## heading` section (up to the next `## `). */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`no section ## ${heading}`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

/** Rows of the Markdown tables in `text` (header and separator rows left out), as trimmed cells. */
function tableRows(text: string): string[][] {
  const lines = text.split('\n').filter((l) => l.startsWith('|'));
  return lines
    .map((l) =>
      l
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    )
    .filter((cells, i, all) => !/^-+$/.test(cells[0]!) && !/^-+$/.test(all[i + 1]?.[0] ?? ''));
}

describe('the metrics and panels tables of dashboards/README.md (issue 15.2)', () => {
  it('defect 15.2: every registered metric has a row with its type, a unit, its labels and a meaning; no row is stale', async () => {
    const metrics = createMetrics();
    const registered = await metrics.registry.getMetricsAsJSON();
    const rows = new Map(tableRows(section(readme, 'Metrics')).map((cells) => [cells[0]!.replace(/`/g, ''), cells]));
    const problems: string[] = [];
    for (const m of registered) {
      const row = rows.get(m.name);
      if (!row) {
        problems.push(`${m.name}: no row`);
        continue;
      }
      const [, type, unit, labels, meaning] = row;
      // prom-client types `type` as a numeric enum, but the JSON holds 'counter', 'gauge', 'histogram' or 'summary'.
      if (type !== String(m.type)) problems.push(`${m.name}: type ${type}, registry says ${String(m.type)}`);
      if (!unit) problems.push(`${m.name}: no unit`);
      if (!meaning) problems.push(`${m.name}: no meaning`);
      // The labels column lists the metric's label names (— for none).
      const metric = metrics.registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] };
      const want = (metric.labelNames ?? []).map((l) => `\`${l}\``).join(', ') || '—';
      if (labels !== want) problems.push(`${m.name}: labels ${labels}, registry says ${want}`);
    }
    const names = new Set(registered.map((m) => m.name));
    for (const name of rows.keys()) if (!names.has(name)) problems.push(`${name}: a row for a metric the registry does not have`);
    expect(problems).toEqual([]);
    expect(rows.size).toBeGreaterThan(40);
  });

  it('every panel of every dashboard has a row saying what it shows; no row is stale', () => {
    const problems: string[] = [];
    const panels = section(readme, 'Panels');
    for (const d of Object.values(buildDashboards())) {
      const heading = `### ${d.title} (\`${d.uid}\`)`;
      const start = panels.indexOf(heading);
      if (start < 0) {
        problems.push(`${d.uid}: no ${heading}`);
        continue;
      }
      const end = panels.indexOf('\n### ', start + 1);
      const rows = new Map(tableRows(panels.slice(start, end < 0 ? undefined : end)).map((cells) => [cells[0]!, cells[1] ?? '']));
      const titles = ((d.panels ?? []) as { type?: string; title?: string }[]).filter((p) => p.type !== 'row').map((p) => p.title ?? '');
      for (const t of titles) if (!rows.get(t)) problems.push(`${d.uid} / ${t}: no row`);
      for (const t of rows.keys()) if (!titles.includes(t)) problems.push(`${d.uid} / ${t}: a row for no panel`);
    }
    expect(problems).toEqual([]);
  });

  it("README.md's observability section links to the tables", () => {
    expect(readFileSync(path.join(root, 'README.md'), 'utf8')).toMatch(/dashboards\/README\.md#metrics/);
  });
});
