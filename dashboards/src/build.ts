import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { biasDashboard } from './bias.dashboard.js';
import { driftDashboard } from './drift.dashboard.js';
import type { Dashboard } from './house-style.js';
import { reliabilityDashboard } from './reliability.dashboard.js';
import { runnerDashboard } from './runner.dashboard.js';

/** The dashboards, by the file name they are written to under dashboards/generated/. */
export function buildDashboards(): Record<string, Dashboard> {
  return {
    'beacon-runner.json': runnerDashboard(),
    'beacon-bias.json': biasDashboard(),
    'beacon-reliability.json': reliabilityDashboard(),
    'beacon-drift.json': driftDashboard(),
  };
}

/** Object keys sorted at every depth (arrays keep their order): the JSON does not depend on builder call order. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Deterministic JSON of one dashboard: sorted keys, two-space indent, final newline, no timestamps or ids from Grafana. */
export function renderDashboard(d: Dashboard): string {
  return `${JSON.stringify(sortKeys(d), null, 2)}\n`;
}

/** File name → file content of every generated dashboard. */
export function renderDashboards(): Record<string, string> {
  return Object.fromEntries(Object.entries(buildDashboards()).map(([file, d]) => [file, renderDashboard(d)]));
}

/**
 * `node dist/dashboards/build.js [OUT_DIR] [--check]` (what `npm run dashboards` runs): writes every dashboard to OUT_DIR
 * (default dashboards/generated, relative to the working directory); with --check writes nothing and exits 1 when a file
 * differs from what the builders produce.
 */
async function main(argv: string[]): Promise<number> {
  const check = argv.includes('--check');
  const outDir = path.resolve(argv.find((a) => !a.startsWith('--')) ?? 'dashboards/generated');
  const stale: string[] = [];
  if (!check) await mkdir(outDir, { recursive: true });
  for (const [file, text] of Object.entries(renderDashboards())) {
    const target = path.join(outDir, file);
    if (check) {
      const current = await readFile(target, 'utf8').catch(() => null);
      if (current !== text) stale.push(target);
    } else {
      await writeFile(target, text);
      process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
    }
  }
  if (stale.length) process.stderr.write(`out of date (run npm run dashboards): ${stale.join(', ')}\n`);
  return stale.length ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
